#Requires -Modules Pester
# Watch-ServiceStats in a real terminal: Debian's tmux runs an interactive pwsh in a detached
# 100x30 pane on a server of its own (-S), the table is read back with capture-pane, and Ctrl+C
# is sent as a key. The service is the test server's /switch endpoint, turned from healthy to
# failing between captures. Nothing here times anything: the waits are bounds, loose for a
# loaded machine.

BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:serverDir = New-TestTempDirectory -Prefix 'dtwatch-server'
    $script:endpoint = Start-TestStatsEndpoint -Directory $serverDir
    $script:base = $endpoint.Url
}

AfterAll {
    Stop-TestStatsEndpoint $endpoint
    Remove-TestTempDirectory $serverDir
}

Describe 'Watch-ServiceStats in a real terminal (tmux)' -Tag 'Monitoring' {
    BeforeAll {
        $script:session = 'dtwatch'
        $script:scriptDir = New-TestTempDirectory -Prefix 'dtwatch-script'
        # A tmux server of its own, its socket in the test's folder: nothing shared, nothing left behind.
        $script:socket = Join-Path $scriptDir 'tmux.sock'

        function Invoke-Tmux { & tmux -S $socket @args }
        # -Escapes: with the cells' attributes as SGR sequences, ESC shown as <ESC> (test reports are
        # XML, which cannot carry a raw ESC).
        function Get-Pane([switch] $Escapes) {
            $lines = if ($Escapes) { Invoke-Tmux capture-pane -p -e -t $session } else { Invoke-Tmux capture-pane -p -t $session }
            ($lines -join "`n").Replace([string][char]27, '<ESC>')
        }
        function Get-PaneFlag([string] $Name) { "$(Invoke-Tmux display -p -t $session "#{$Name}")".Trim() }
        # Polls the pane until $Until holds for its text; fails with the last capture.
        function Wait-Pane([scriptblock] $Until, [int] $Seconds, [string] $Because) {
            $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
            do {
                $text = Get-Pane
                if (& $Until $text) { return $text }
                Start-Sleep -Milliseconds 250
            } while ([DateTime]::UtcNow -lt $deadline)
            throw "after $Seconds s the pane still does not show $Because; it shows:`n$text"
        }
        function Get-Round([string] $Text) {
            if ($Text -match 'Watch-ServiceStats  round (\d+)') { [int]$Matches[1] } else { 0 }
        }

        $null = Invoke-RestMethod -Method Post -Uri "$base/switch/dtwatch?fail=0"
        $script:watchScript = Join-Path $scriptDir 'watch.ps1'
        @"
Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'
Watch-ServiceStats -Url '$base/switch/dtwatch' -Service watched-svc -Interval 1 -Requests 20
"@ | Set-Content -Path $watchScript

        # dotnet pwsh: the repository's local tool, so the pane runs from the repository root.
        Invoke-Tmux new-session -d -s $session -x 100 -y 30 -c $env:DEVOPSTOOLS_REPO_ROOT 'dotnet pwsh -NoProfile'
        $null = Wait-Pane { param($t) $t -match '(?m)^PS .*>' } -Seconds 120 -Because 'the pwsh prompt'
        Invoke-Tmux send-keys -t $session ". '$watchScript'" Enter
    }

    AfterAll {
        Invoke-Tmux kill-server 2>$null
        Remove-TestTempDirectory $scriptDir
    }

    It 'draws one row per service on the alternate screen, the status in colour, within 80 columns, cursor hidden' {
        $text = Wait-Pane { param($t) $t -match '(?m)^watched-svc\s+Healthy\s+100\.00%\s+0\.00%' } -Seconds 120 -Because 'a Healthy row for watched-svc'
        $text | Should -Match '(?m)^SERVICE\s+STATUS\s+AVAIL\s+ERRORS\s+P50\s+P99\s+REQ/S$'
        foreach ($line in $text -split "`n") { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because "'$line' must fit 80 columns" }
        Get-PaneFlag alternate_on | Should -Be '1'
        Get-PaneFlag cursor_flag | Should -Be '0'
        # tmux re-renders the cells' attributes: green foreground on the status only.
        Get-Pane -Escapes | Should -Match '<ESC>\[32mHealthy<ESC>\[39m'
    }

    It 'redraws in place: the round advances and the row follows the service failing' {
        $before = Get-Pane
        $round = Get-Round $before
        $round | Should -BeGreaterThan 0
        $null = Invoke-RestMethod -Method Post -Uri "$base/switch/dtwatch?fail=100"
        $after = Wait-Pane { param($t) $t -match '(?m)^watched-svc\s+Down\s+0\.00%\s+100\.00%' } -Seconds 60 -Because 'the row turning Down'
        Get-Round $after | Should -BeGreaterThan $round
        $after | Should -Match '(?m)^watched-svc: all 20 requests failed \(mostly HTTP 503\)$'
        # In place: one title and one row, however many rounds were drawn.
        ([regex]::Matches($after, 'Watch-ServiceStats  round')).Count | Should -Be 1
        ([regex]::Matches($after, '(?m)^watched-svc ')).Count | Should -Be 1
        Get-Pane -Escapes | Should -Match '<ESC>\[31mDown'
    }

    It 'stops on Ctrl+C promptly and leaves the terminal clean: shell screen back, no table, cursor visible' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Invoke-Tmux send-keys -t $session C-c
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Get-PaneFlag alternate_on) -ne '0' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-PaneFlag alternate_on | Should -Be '0' -Because 'the alternate screen is left'
        # The prompt takes a command again: the marker is typed split, so only its output shows it whole.
        Invoke-Tmux send-keys -t $session "'back' + '-at-prompt'" Enter
        $text = Wait-Pane { param($t) $t -match '(?m)^back-at-prompt$' } -Seconds 30 -Because 'the prompt running a command'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        $text | Should -Not -Match 'watched-svc'
        $text | Should -Not -Match 'Watch-ServiceStats  round'
        $text | Should -Not -Match 'REQ/S'
        Get-PaneFlag cursor_flag | Should -Be '1'
    }

    It 'with -Count runs that many rounds, then leaves the last table on the shell''s screen' {
        Invoke-Tmux send-keys -t $session "Watch-ServiceStats -Url '$base/healthz' -Service counted-svc -Count 2 -Interval 0.5 -Requests 3; 'count' + '-done'" Enter
        $text = Wait-Pane { param($t) $t -match '(?m)^count-done$' } -Seconds 60 -Because 'the command ending by itself'
        $text | Should -Match '(?m)^Watch-ServiceStats  round 2/2 '
        $text | Should -Match '(?m)^counted-svc\s+Healthy\s+100\.00%'
        Get-PaneFlag alternate_on | Should -Be '0'
        Get-PaneFlag cursor_flag | Should -Be '1'
        Get-Pane -Escapes | Should -Match 'counted-svc\s+<ESC>\[32mHealthy'
    }

    It 'draws no colour when NO_COLOR is set' {
        Invoke-Tmux send-keys -t $session "`$env:NO_COLOR = '1'; Watch-ServiceStats -Url '$base/healthz' -Service nocolor-svc -Count 1 -Interval 0.5 -Requests 3; 'nocolor' + '-done'" Enter
        $null = Wait-Pane { param($t) $t -match '(?m)^nocolor-done$' } -Seconds 60 -Because 'the command ending by itself'
        # The table's row, with or without colour (not the typed command, should it wrap there).
        $row = @((Get-Pane -Escapes) -split "`n" | Where-Object { ($_ -replace '<ESC>\[[0-9;]*m', '') -match '^nocolor-svc\s+Healthy' })
        $row | Should -HaveCount 1
        $row[0] | Should -Not -Match '<ESC>\[3[1-3]m' -Because 'no green, yellow or red'
        $row[0] | Should -Match 'nocolor-svc\s+Healthy'
    }
}

Describe 'Watch-ServiceStats in scripts' -Tag 'Monitoring' {
    It '-PassThru -Count 2 emits every sample of both rounds as ServiceStats, in target order' {
        # The mix fails the first 10 of every 100 requests: round one's 10 all fail, round two's none.
        $samples = @(Watch-ServiceStats -Url "$base/mix?key=passthru&fail=10", "$base/healthz" -PassThru -Count 2 -Interval 0.2 -Requests 10)
        $samples.Count | Should -Be 4
        $samples | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.ServiceStats' }
        $samples.Target | Should -Be @("$base/mix?key=passthru&fail=10", "$base/healthz", "$base/mix?key=passthru&fail=10", "$base/healthz")
        $samples.Status | Should -Be @('Down', 'Healthy', 'Healthy', 'Healthy')
        $samples[0].ErrorRate | Should -Be 1
        $samples[2].ErrorRate | Should -Be 0
        $samples.Requests | Should -Be @(10, 10, 10, 10)
        # Round two starts after round one ended.
        $samples[2].StartedAt | Should -BeGreaterThan ($samples[1].StartedAt + $samples[1].Window)
    }

    It 'gathers the targets of every pipeline record into one round' {
        $records = [pscustomobject]@{ Url = "$base/healthz"; Service = 'first' }, [pscustomobject]@{ Url = "$base/status/503"; Service = 'second' }
        $samples = @($records | Watch-ServiceStats -PassThru -Count 1 -Interval 0.2 -Requests 2)
        $samples.Service | Should -Be @('first', 'second')
        $samples.Status | Should -Be @('Healthy', 'Down')
    }

    It 'rejects a bad URL with ProbeUrlInvalid and still watches the rest' {
        $samples = @(Watch-ServiceStats -Url 'ftp://127.0.0.1/x', "$base/healthz" -PassThru -Count 1 -Interval 0.2 -Requests 2 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ProbeUrlInvalid,*'
        $samples.Count | Should -Be 1
    }

    It 'redirected, it writes each round as a plain table: no control sequences, 80 columns' {
        $command = "Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'; Watch-ServiceStats -Url '$base/healthz' -Service plain-svc -Count 2 -Interval 0.2 -Requests 3"
        $out = @(& dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | ForEach-Object { "$_" })
        $LASTEXITCODE | Should -Be 0
        $text = $out -join "`n"
        $text | Should -Match '(?m)^Watch-ServiceStats  round 1/2 '
        $text | Should -Match '(?m)^Watch-ServiceStats  round 2/2 '
        ([regex]::Matches($text, '(?m)^plain-svc\s+Healthy')).Count | Should -Be 2
        $text.Contains([char]27) | Should -BeFalse
        foreach ($line in $out) { $line.Length | Should -BeLessOrEqual 80 }
    }

    It 'completes -Environment from live data, as Get-ServiceStats does' {
        foreach ($name in 'Watch-ServiceStats', 'Get-ServiceStats') {
            $completer = (Get-Command $name).Parameters['Environment'].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }
            $completer.Type.Name | Should -Be 'ServerEnvironmentCompleter'
        }
    }

    It 'checks its parameters: -Interval and -Count out of range, an SLO window without an objective' {
        { Watch-ServiceStats -Url "$base/healthz" -Interval 0 -Count 1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        { Watch-ServiceStats -Url "$base/healthz" -Count 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        { Watch-ServiceStats -Url "$base/healthz" -Count 1 -SloWindow 6h -ErrorAction Stop } | Should -Throw -ErrorId 'ProbeSettingsInvalid,*'
    }
}
