# Hardening cmdlets. The catalogue and profile tests run anywhere; the Podman tests harden real
# Podman servers (podman, runc, debootstrap: build.ps1 -Task Deps) and skip where podman is not
# installed, a skip build.ps1 -Task Test fails on (only credential lanes may skip).
BeforeDiscovery {
    $script:PodmanSkip = -not (Get-Command podman -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
}

Describe 'Get-HardeningRule' {
    It 'lists the catalogue with stable ids, references and parameters' {
        $rules = Get-HardeningRule
        $rules.Count | Should -BeGreaterOrEqual 60
        ($rules | Select-Object -ExpandProperty Id -Unique).Count | Should -Be $rules.Count
        $rules[0].PSObject.TypeNames[0] | Should -Be 'DevOpsTools.HardeningRule'
        (Get-HardeningRule -Id SSH-001).CisReference | Should -Be '5.1.20'
        (Get-HardeningRule -Id FW-001).Parameters.Name | Should -Contain 'allowedPorts'
    }

    It 'filters by wildcard id, category and profile' {
        (Get-HardeningRule -Id 'SSH-*').Category | Sort-Object -Unique | Should -Be 'Ssh'
        (Get-HardeningRule -Category Kernel, Modules).Category | Sort-Object -Unique | Should -Be @('Kernel', 'Modules')
        (Get-HardeningRule -Profile Baseline).Count | Should -BeLessThan (Get-HardeningRule -Profile Strict).Count
        (Get-HardeningRule -Profile Baseline).Id | Should -Not -Contain 'SSH-025'
    }

    It 'reads a custom profile and reports its errors with file, line and field' {
        $good = Join-Path $TestDrive 'bastion.yaml'
        Set-Content $good "apiVersion: devopstools/v1`nkind: HardeningProfile`nname: bastion`nextends: Baseline`ndisable: [Firewall]`nparameters:`n  SSH-009:`n    allowForwarding: true`n"
        (Get-HardeningRule -Profile $good).Id | Should -Not -Contain 'FW-001'

        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "name: bad`nparameters:`n  SSH-005:`n    maxAuthTry: 2`n"
        $err = { Get-HardeningRule -Profile $bad -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'HardeningUnknownParameter,*'
        $err.Exception.Message | Should -BeLike "*bad.yaml:4:5: `$.parameters.SSH-005.maxAuthTry: unknown parameter 'maxAuthTry' of SSH-005; did you mean 'maxAuthTries'?"
    }

    It 'reports an id that matches no rule as a not-found error, as Get-Server does' {
        Get-HardeningRule -Id SSH-999 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'HardeningRuleNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'SSH-999'
        # A wildcard that matches nothing is no error; the ids that exist are still returned.
        Get-HardeningRule -Id 'SSH-99*' -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
        (Get-HardeningRule -Id SSH-001, SSH-999 -ErrorAction SilentlyContinue).Id | Should -Be 'SSH-001'
    }

    It 'resolves hardening.profile in an environment file relative to that file' {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'envs/nested')
        $yaml = "apiVersion: devopstools/v1`nname: rel`nprovider:`n  type: podman`nservers:`n  - name: web`nhardening:`n  profile: {0}`n"
        Set-Content (Join-Path $dir 'rel.yaml') ($yaml -f 'profiles/bastion.yaml')
        Set-Content (Join-Path $dir 'builtin.yaml') ($yaml -f 'Strict')
        Push-Location $TestDrive
        try {
            (Import-DevOpsEnvironment (Join-Path $dir 'rel.yaml')).Hardening.Profile | Should -Be (Join-Path $dir 'profiles/bastion.yaml')
            (Import-DevOpsEnvironment (Join-Path $dir 'builtin.yaml')).Hardening.Profile | Should -Be 'Strict'
        }
        finally { Pop-Location }
    }

    It 'reports a missing profile file' {
        { Get-HardeningRule -Profile (Join-Path $TestDrive 'nope.yaml') -ErrorAction Stop } | Should -Throw -ErrorId 'HardeningProfileNotFound,*'
    }
}

Describe 'Set-Hardening and Test-Hardening parameters' {
    It 'rejects an unknown rule id with a suggestion' {
        $err = { Test-Hardening -HostName 127.0.0.1 -Rule SHH-001 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'HardeningUnknownRule,*'
        $err.Exception.Message | Should -BeLike "*did you mean 'SSH-001'*"
    }

    It 'needs no -IdentityFile for -HostName, and says the ssh-agent was tried when there is no key' {
        $knownHosts = Join-Path $TestDrive 'agent_known_hosts'
        Set-Content -Path $knownHosts -Value '[127.0.0.1]:2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEnqVZr0kuFzS2pnWDt1nz3RxH2qf3S6AfbI3vE1oFZs'
        $saved = $env:HOME, $env:SSH_AUTH_SOCK
        try {
            $env:HOME = Join-Path $TestDrive 'home-without-keys'
            $env:SSH_AUTH_SOCK = Join-Path $TestDrive 'no-agent.sock'
            Test-Hardening -HostName 127.0.0.1 -Port 2 -KnownHostsFile $knownHosts -ErrorVariable noKey -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            $env:HOME, $env:SSH_AUTH_SOCK = $saved
        }
        $noKey[0].FullyQualifiedErrorId | Should -BeLike 'SshAuthenticationFailed,*'
        $noKey[0].Exception.Message | Should -BeLike '*no -IdentityFile, no answer from the ssh-agent at*no-agent.sock*'
    }

    It 'supports -WhatIf and -Confirm, and binds Server from the pipeline' {
        $cmd = Get-Command Set-Hardening
        $cmd.Parameters.Keys | Should -Contain 'WhatIf'
        $cmd.Parameters['Server'].Attributes.Where({ $_ -is [Parameter] }).ValueFromPipeline | Should -Contain $true
        (Get-Command Test-Hardening).Parameters['OutputFormat'].Attributes.ValidValues | Should -Be @('Json', 'JUnit')
    }

    It 'asks before it changes a server (ConfirmImpact High); -Force does not ask and leaves $ConfirmPreference as it was' {
        $cmd = Get-Command Set-Hardening
        $cmd.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
        $cmd.Parameters.Keys | Should -Contain 'Force'
        # Nothing listens on port 1: with -Force the run goes past ShouldProcess (no prompt, which
        # would fail in this non-interactive session) and fails on the connection instead.
        $key = Join-Path $TestDrive 'id_none'
        Set-Content $key 'not a key'
        $ConfirmPreference | Should -Be 'High'
        Set-Hardening -HostName 127.0.0.1 -Port 1 -IdentityFile $key -Force -ErrorVariable err -ErrorAction SilentlyContinue
        # A prompt in a non-interactive session is an UnexpectedError; past it, the connection's own
        # error (HostKeyUnknown or SshConnectionFailed) names the host.
        $err.Count | Should -BeGreaterThan 0
        $err[0].FullyQualifiedErrorId | Should -Not -BeLike 'UnexpectedError,*'
        $err[0].FullyQualifiedErrorId | Should -Match '^(HostKeyUnknown|SshConnectionFailed),'
        $ConfirmPreference | Should -Be 'High'
        Get-Variable ConfirmPreference -Scope Local -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # From a function too (a compiled scope, whose preference variables cannot be removed).
        function Invoke-Forced { Set-Hardening -HostName 127.0.0.1 -Port 1 -IdentityFile $key -Force -ErrorVariable e -ErrorAction SilentlyContinue; $e; $ConfirmPreference }
        $out = @(Invoke-Forced)
        $out[-1] | Should -Be 'High'
        $out[0].FullyQualifiedErrorId | Should -Match '^(HostKeyUnknown|SshConnectionFailed),'
    }

    It 'completes -Rule and -ExcludeRule from the catalogue and -Profile from built-in names and .yaml files' {
        function Complete([string] $line) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText }
        $ssh = Complete 'Set-Hardening -Rule SSH-00'
        $ssh | Should -Contain 'SSH-001'
        $ssh | Should -Contain 'SSH-009'
        $ssh | Should -Not -Contain 'SSH-010'
        Complete 'Test-Hardening -ExcludeRule Fire' | Should -Be @('Firewall')
        Complete 'Test-Hardening -ExcludeRule fw-' | Should -Be @('FW-001')
        Complete 'Get-HardeningRule -Id KRN-01' | Should -Contain 'KRN-016'
        Complete 'Set-Hardening -Profile St' | Should -Be @('Strict')
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'profiles')
        Set-Content (Join-Path $dir 'bastion.yaml') 'name: bastion'
        Set-Content (Join-Path $dir 'notes.txt') 'not a profile'
        $files = Complete "Set-Hardening -Profile $dir/"
        ($files | Where-Object { $_ -like '*bastion.yaml*' }).Count | Should -Be 1
        $files | Where-Object { $_ -like '*notes.txt*' } | Should -BeNullOrEmpty
        Complete 'Set-Hardening -Profile ' | Should -Contain 'Baseline'
    }
}

Describe 'Hardening on Podman servers' -Tag 'Podman' -Skip:$PodmanSkip {
    BeforeAll {
        # Keys and known_hosts of this run live in a temporary data directory.
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'hard-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        # Server a declares an application port: the firewall rule must keep it open.
        $script:servers = @(New-Server -Name a -Environment $envName -Port 8080) + @(New-Server -Name b -Environment $envName)
        $script:before = $servers | Test-Hardening
    }

    AfterAll {
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'scores below 100 before, applies Baseline, and scores 100 after' {
        $before | ForEach-Object { $_.Score | Should -BeLessThan 100 }
        $reports = $servers | Set-Hardening -Force
        $reports.Count | Should -Be 2
        $reports | ForEach-Object { $_.Failed | Should -Be 0; $_.Changed | Should -BeGreaterThan 0 }
        ($servers | Test-Hardening) | ForEach-Object { $_.Score | Should -Be 100 }
    }

    It 'opens the SSH port and the declared application port in the default-deny firewall' {
        $servers[0].Ports | Should -Be @(8080)
        (Get-Server -Environment $envName -Name a).Ports | Should -Be @(8080)
        $rules = ($servers[0] | Invoke-ServerCommand -Command 'nft list table inet devopstools' -Sudo -ErrorAction Stop).StdOut
        $rules | Should -Match 'policy drop'
        $rules | Should -Match 'tcp dport .*22'
        $rules | Should -Match 'tcp dport .*8080'
        $other = ($servers[1] | Invoke-ServerCommand -Command 'nft list table inet devopstools' -Sudo -ErrorAction Stop).StdOut
        $other | Should -Not -Match '8080'
    }

    It 'is idempotent: a second run changes nothing' {
        $again = $servers | Set-Hardening -Force
        $again | ForEach-Object { $_.Changed | Should -Be 0 }
        # Reports carry their Server, so the pipeline goes on without -PassThru.
        $next = $again | Invoke-ServerCommand -Command 'systemctl is-system-running'
        $next.Count | Should -Be 2
        $next.Server.Name | Sort-Object | Should -Be @('a', 'b')
    }

    It 'refuses root and password logins while the admin key login keeps working' {
        $r = $servers[0] | Invoke-ServerCommand -Command 'sudo -n sshd -T' -ErrorAction Stop
        $r.StdOut | Should -Match '(?m)^permitrootlogin no$'
        $r.StdOut | Should -Match '(?m)^passwordauthentication no$'
    }

    It 'marks kernel-wide rules NotApplicable in a container, and still writes the module blacklists' {
        $report = $servers[0] | Test-Hardening
        ($report.Rules | Where-Object RuleId -in 'KRN-010', 'LOG-002').Status | Sort-Object -Unique | Should -Be 'NotApplicable'
        ($report.Rules | Where-Object RuleId -eq 'MOD-002').Status | Should -Be 'Compliant'
        ($servers[0] | Invoke-ServerCommand -Command 'cat /etc/modprobe.d/devopstools-protocols.conf' -ErrorAction Stop).StdOut | Should -Match '(?m)^install dccp /bin/false$'
    }

    It '-WhatIf changes nothing' {
        $fresh = New-Server -Name c -Environment $envName
        $sum = { ($fresh | Invoke-ServerCommand -Command 'sudo -n sh -c "cat /etc/ssh/sshd_config /etc/login.defs /etc/ssh/sshd_config.d/* 2>/dev/null | sha256sum"').StdOut }
        $a = & $sum
        $fresh | Set-Hardening -WhatIf -InformationAction SilentlyContinue
        # -WhatIf wins over -Force, as a switch or as $WhatIfPreference (ShouldProcess decides).
        ($fresh | Set-Hardening -Force -WhatIf -InformationAction SilentlyContinue).Mode | Should -Be 'Plan'
        $WhatIfPreference = $true
        try { ($fresh | Set-Hardening -Force -InformationAction SilentlyContinue).Mode | Should -Be 'Plan' }
        finally { $WhatIfPreference = $false }
        & $sum | Should -Be $a
    }

    It 'shows reports in a table that fits 80 columns' {
        $lines = ($before | Format-Table | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $lines[0] | Should -Match 'Server +Profile +Mode +Score +Changed +Compliant +N/A +Failed +Time RolledBack'
        $lines.Count | Should -Be (2 + @($before).Count)
    }

    It 'writes JUnit and JSON, and fails a threshold' {
        $xml = Join-Path $TestDrive 'h.xml'
        $servers | Test-Hardening -OutputFormat JUnit -OutputPath $xml | Out-Null
        ([xml](Get-Content -Raw $xml)).testsuites.testsuite.Count | Should -Be 2
        $json = Join-Path $TestDrive 'h.json'
        $servers | Test-Hardening -OutputPath $json | Out-Null
        (Get-Content -Raw $json | ConvertFrom-Json).servers.Count | Should -Be 2
        $fresh = Get-Server -Environment $envName -Name c
        { $fresh | Test-Hardening -Threshold 99 -ErrorAction Stop } | Should -Throw -ErrorId 'HardeningThresholdNotMet,*'
    }

    It 'rolls back a profile that would lock the admin out' {
        $p = Join-Path $TestDrive 'lockout.yaml'
        Set-Content $p "name: lockout`nextends: None`nenable: [SSH-025]`nparameters:`n  SSH-025:`n    allowUsers: [nobody]`n"
        $report = $servers[1] | Set-Hardening -Profile $p -Force -ErrorAction SilentlyContinue -ErrorVariable rolled
        $report.RolledBack | Should -Contain 'SSH-025'
        $rolled.FullyQualifiedErrorId | Should -BeLike 'HardeningRolledBack,*'
        ($servers[1] | Invoke-ServerCommand -Command 'true').ExitCode | Should -Be 0
    }

    It 'tests a machine it did not create (-HostName), trusting the user''s hashed known_hosts' {
        $srv = $servers[1]
        $recorded = Get-Content (Join-Path $dataRoot 'known_hosts') | Where-Object { $_ -like "``[127.0.0.1``]:$($srv.SshPort) *" }
        $recorded | Should -HaveCount 1
        # The user's own file, hashed the way Debian's ssh writes it (HashKnownHosts yes).
        $userFile = Join-Path $TestDrive 'known_hosts'
        Set-Content -Path $userFile -Value $recorded
        & ssh-keygen -q -H -f $userFile 2>$null | Out-Null
        Get-Content $userFile | Should -Match '^\|1\|'
        $report = Test-Hardening -HostName 127.0.0.1 -Port $srv.SshPort -User admin -IdentityFile $srv.IdentityFile -KnownHostsFile $userFile
        $report.Server.Provider | Should -Be 'External'
        $report.Score | Should -BeGreaterThan 0
        $report.Rules.Count | Should -BeGreaterThan 50

        # Another key for that host is a mismatch; no entry at all is unknown. Nothing runs then.
        Set-Content -Path $userFile -Value "[127.0.0.1]:$($srv.SshPort) ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEnqVZr0kuFzS2pnWDt1nz3RxH2qf3S6AfbI3vE1oFZs"
        Test-Hardening -HostName 127.0.0.1 -Port $srv.SshPort -IdentityFile $srv.IdentityFile -KnownHostsFile $userFile -ErrorVariable mismatch -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $mismatch[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyMismatch,*'
        Set-Content -Path $userFile -Value ''
        Test-Hardening -HostName 127.0.0.1 -Port $srv.SshPort -IdentityFile $srv.IdentityFile -KnownHostsFile $userFile -ErrorVariable unknown -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $unknown[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyUnknown,*'
    }

    It 'stops promptly on Ctrl+C and leaves the server reachable with a valid sshd configuration' {
        $victim = New-Server -Name d -Environment $envName
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($Module, $DataHome, $Server)
                    $env:DEVOPSTOOLS_HOME = $DataHome
                    Import-Module $Module
                    $Server | Set-Hardening -Profile Strict -Force
                }).AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($env:DEVOPSTOOLS_HOME).AddArgument($victim)
            $async = $ps.BeginInvoke()
            Start-Sleep -Seconds 3
            $async.IsCompleted | Should -BeFalse -Because 'the first Strict run takes longer than 3 s (package installs)'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
            $async.IsCompleted | Should -BeTrue
        }
        finally {
            $ps.Dispose()
        }
        $after = $victim | Invoke-ServerCommand -Command 'sshd -t && echo sshd-ok' -Sudo -ErrorAction Stop
        $after.StdOut | Should -Match 'sshd-ok'
    }
}
