#Requires -Modules Pester
# Deploy-App and the app cmdlets against this machine's own Podman (no server given): the hello
# sample app (examples/apps/hello, built by its build.ps1) behind the target's HAProxy, updated
# under load from hey, a broken version rolled back, undone, its data kept and its log read.

Describe 'Deploy-App on this machine' -Tag 'Podman', 'Deploy' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dl' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:port = Get-Random -Minimum 20000 -Maximum 29000
        $repo = Join-Path $PSScriptRoot '../..'

        # The sample images need the module's Debian base, which New-Server builds on first use.
        $warm = New-Server -Name warm -Environment $envName -ErrorAction Stop
        $warm | Remove-Server -Force
        & (Join-Path $repo 'examples/apps/hello/build.ps1')

        # The example spec, on a public port of this test's own.
        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $script:spec = Join-Path $dataRoot 'hello.yaml'
        (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace('    port: 8080', "    port: 8080`n    publicPort: $port") | Set-Content $spec
        $script:url = "http://127.0.0.1:$port"

        function Get-Version { (Invoke-RestMethod "$url/version" -TimeoutSec 5).version }
        function Get-Containers { @(podman ps -a --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" }) }
    }

    AfterAll {
        Remove-App hello -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        # Whatever a failed test left: only this test's containers and volume, by their names.
        Get-Containers | ForEach-Object { podman rm -f -- $_ *> $null }
        podman volume ls --format '{{.Name}}' | Where-Object { $_ -like "*$envName*" } | ForEach-Object { podman volume rm -f -- $_ *> $null }
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'deploys version 1 and serves it on the public port' {
        $d = Deploy-App -Path $spec -Environment $envName -TimeoutSec 120 -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        $d.Revision | Should -Be 1
        $d.ImageDigest | Should -Match '^sha256:[0-9a-f]{64}$'
        $d.Endpoints[0].Port | Should -Be $port
        Get-Version | Should -Be '1'
    }

    It 'shows a change with -WhatIf and changes nothing' {
        $before = Get-Containers
        Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:2 -WhatIf -InformationVariable plan
        ($plan | Out-String) | Should -Match 'revision 2'
        Get-Containers | Should -Be $before
        (Get-AppDeployment hello -Environment $envName).Revision | Should -Be 1
    }

    It 'updates to version 2 under load without a failed request' {
        $load = Start-ThreadJob { param($u) hey -z 10s -c 4 "$u/" 2>&1 | Out-String } -ArgumentList $url
        Start-Sleep -Seconds 2
        $d = Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:2 -TimeoutSec 120 -ErrorAction Stop
        $report = $load | Wait-Job | Receive-Job
        Write-Host $report
        $d.Status | Should -Be 'Healthy'
        $report | Should -Match '\[200\]\s+\d+ responses'
        $report | Should -Not -Match '\[[^2]\d\d\]\s+\d+ responses'
        $report | Should -Not -Match 'Error distribution'
        Get-Version | Should -Be '2'
    }

    It 'rolls a broken version back by itself and says why' {
        $d = Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:broken -TimeoutSec 20 -ErrorVariable failed -ErrorAction SilentlyContinue
        $d.Status | Should -Be 'RolledBack'
        $d.RolledBack | Should -BeTrue
        $d.RollbackReason | Should -Not -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DeployRolledBack*'
        $failed[0].Exception.Message | Should -Match ([regex]::Escape($d.RollbackReason))
        Get-Version | Should -Be '2'
    }

    It 'keeps the history, and Undo-AppDeployment goes back to version 1 with its data kept' {
        $now = Get-AppDeployment hello -Environment $envName
        $now.Status | Should -Be 'Healthy'
        @($now.History).Count | Should -BeGreaterOrEqual 3
        @($now.History | Where-Object Status -eq 'RolledBack').Count | Should -Be 1
        $d = Undo-AppDeployment hello -Environment $envName -ToRevision 1 -Confirm:$false -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        Get-Version | Should -Be '1'
        # The volume outlives revisions: what version 1 and version 2 wrote is still there.
        (Invoke-WebRequest "$url/data" -TimeoutSec 5).Content | Should -Match 'written-by-2'
    }

    It 'reads the app''s log lines' {
        $lines = @(Get-AppLog hello -Environment $envName -Tail 50)
        $lines.Count | Should -BeGreaterThan 0
        $lines[0].App | Should -Be 'hello'
        ($lines.Line -join "`n") | Should -Match 'hello 1'
    }

    It 'follows new log lines as they are written, -Since leaves older ones out, and stopping ends it at once' {
        $instance = (Get-AppDeployment hello -Environment $envName).Revision
        $container = "dot-$envName-hello-r$instance-0"
        function Write-AppLine([string] $Text) {
            # A line on the app's own stdout, as the app would write it.
            podman exec -- $container sh -c 'printf "%s\n" "$1" > /proc/1/fd/1' sh $Text
            if ($LASTEXITCODE) { throw "could not write to $container's log" }
        }
        $marker = "follow-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
        # Stop-Job stops the job's pipeline the way Ctrl+C does (StopProcessing).
        $job = Start-ThreadJob { param($m, $e) Import-Module $m; Get-AppLog hello -Environment $e -Tail 1 -Follow } -ArgumentList $env:DEVOPSTOOLS_TEST_MODULE, $envName
        try {
            Start-Sleep -Seconds 3
            Write-AppLine $marker
            $got = [System.Collections.Generic.List[object]]::new()
            $deadline = (Get-Date).AddSeconds(20)
            while (-not ($got | Where-Object Line -eq $marker) -and (Get-Date) -lt $deadline) {
                $job | Receive-Job | ForEach-Object { $got.Add($_) }
                Start-Sleep -Milliseconds 200
            }
            @($got | Where-Object Line -eq $marker).Count | Should -Be 1 -Because 'a line written after -Follow started arrives while it runs'
            $job.State | Should -Be 'Running'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $job | Stop-Job
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'Ctrl+C (StopProcessing) ends the stream promptly'
            $job.State | Should -Be 'Stopped'
        }
        finally { $job | Remove-Job -Force }
        # No podman logs --follow is left behind.
        @(ps -eo args | Where-Object { $_ -like "podman logs*--follow*$envName*" }).Count | Should -Be 0

        # -Since is to the second: a second between the marker and it, and between it and the late line.
        Start-Sleep -Seconds 2
        $since = [DateTime]::UtcNow
        Start-Sleep -Milliseconds 1100
        $late = "since-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Write-AppLine $late
        Start-Sleep -Seconds 1
        $recent = @(Get-AppLog hello -Environment $envName -Since $since)
        $recent.Line | Should -Contain $late
        $recent.Line | Should -Not -Contain $marker
    }

    It 'runs podman with the module''s configuration when the session has none of its own' {
        # The suite sets CONTAINERS_CONF; a user's session does not, and this host's podman needs the module's containers.conf.
        $bare = "$($envName)c"
        $bareSpec = Join-Path $dataRoot 'bare.yaml'
        (Get-Content -Raw $spec).Replace("publicPort: $port", "publicPort: $($port + 30)") | Set-Content $bareSpec
        $script = "Import-Module '$env:DEVOPSTOOLS_TEST_MODULE'; (Deploy-App -Path '$bareSpec' -Environment $bare -TimeoutSec 60 -ErrorAction Stop).Status; Remove-App hello -Environment $bare -RemoveVolumes -Force | Out-Null"
        $saved = $env:CONTAINERS_CONF
        try {
            Remove-Item Env:CONTAINERS_CONF
            $status = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1
        }
        finally { $env:CONTAINERS_CONF = $saved }
        $status | Should -Be 'Healthy' -Because ($status | Out-String)
    }

    It 'refuses an invalid spec with its file, line and field, and changes nothing' {
        $bad = Join-Path $dataRoot 'bad.yaml'
        (Get-Content -Raw $spec).Replace('replicas: 1', 'replicas: many') | Set-Content $bad
        $before = Get-Containers
        { Deploy-App -Path $bad -Environment $envName -ErrorAction Stop } | Should -Throw -ExpectedMessage "*bad.yaml:*replicas*"
        Get-Containers | Should -Be $before
    }

    It 'refuses an unknown image before changing anything' {
        $before = Get-Containers
        $history = @((Get-AppDeployment hello -Environment $envName -ErrorAction Stop).History).Count
        Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:no-such-tag -ErrorVariable failed -ErrorAction SilentlyContinue | Out-Null
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DeployImageNotFound*'
        "$($failed[0])" | Should -BeLike '*devopstools-hello:no-such-tag*'
        Get-Containers | Should -Be $before
        @((Get-AppDeployment hello -Environment $envName -ErrorAction Stop).History).Count | Should -Be $history
        Get-Version | Should -Not -BeNullOrEmpty
    }

    It 'names an unreachable server and its address, and deploys nowhere' {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closed = $listener.LocalEndpoint.Port; $listener.Stop()
        $key = Join-Path $dataRoot 'unused_key'
        ssh-keygen -q -t ed25519 -N '' -f $key | Out-Null
        # A host key is on record for it (else the module refuses before connecting: HostKeyUnknown).
        $known = Join-Path $dataRoot 'unreachable_known_hosts'
        "[127.0.0.1]:$closed $((Get-Content "$key.pub") -replace ' \S+$', '')" | Set-Content $known
        $before = Get-Containers
        Deploy-App -Path $spec -Environment $envName -HostName 127.0.0.1 -Port $closed -IdentityFile $key -KnownHostsFile $known -TimeoutSec 30 -ErrorVariable failed -ErrorAction SilentlyContinue | Out-Null
        $failed | Should -Not -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
        $failed[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        "$($failed[0])" | Should -BeLike "*127.0.0.1*$closed*"
        # The rollout says it did not start, so nothing changed anywhere.
        @($failed | Where-Object { $_.FullyQualifiedErrorId -like 'DeployNotStarted*' }) | Should -HaveCount 1
        Get-Containers | Should -Be $before
    }

    It 'promotes exactly the digest that runs in the source environment, not what its tag means now' {
        # The source runs version 2 under a tag of this test's own; then the tag moves to version 1.
        $tag = "localhost/devopstools-hello:promo-$envName"
        podman tag localhost/devopstools-hello:2 $tag
        $source = "$($envName)s"; $target = "$($envName)p"
        $sourceSpec = Join-Path $dataRoot 'source.yaml'; $targetSpec = Join-Path $dataRoot 'target.yaml'
        (Get-Content -Raw $spec).Replace("publicPort: $port", "publicPort: $($port + 10)") | Set-Content $sourceSpec
        (Get-Content -Raw $spec).Replace("publicPort: $port", "publicPort: $($port + 20)") | Set-Content $targetSpec
        try {
            $ran = Deploy-App -Path $sourceSpec -Environment $source -Image $tag -TimeoutSec 120 -ErrorAction Stop
            podman tag localhost/devopstools-hello:1 $tag

            $promoted = Deploy-App -Path $targetSpec -Environment $target -FromEnvironment $source -TimeoutSec 120 -ErrorAction Stop
            $promoted.Status | Should -Be 'Healthy'
            $promoted.ImageDigest | Should -Be $ran.ImageDigest
            $promoted.Image | Should -Be $tag
            (Invoke-RestMethod "http://127.0.0.1:$($port + 20)/version" -TimeoutSec 5).version | Should -Be '2'
            # Each environment has its own volume on the host.
            (Invoke-RestMethod "http://127.0.0.1:$($port + 20)/data" -TimeoutSec 5).files.PSObject.Properties.Name | Should -Not -Contain 'written-by-1'

            # A source that is not healthy is never promoted.
            podman stop -t 2 -- "dot-$source-hello-r1-0" | Out-Null
            { Deploy-App -Path $targetSpec -Environment $target -FromEnvironment $source -ErrorAction Stop } | Should -Throw -ErrorId 'PromotionSourceUnhealthy*'
            (Get-AppDeployment hello -Environment $target).Revision | Should -Be 1
        }
        finally {
            Remove-App hello -Environment $source -RemoveVolumes -Force -ErrorAction SilentlyContinue | Out-Null
            Remove-App hello -Environment $target -RemoveVolumes -Force -ErrorAction SilentlyContinue | Out-Null
            podman untag $tag *> $null
        }
    }

    It 'removes the app and its volume' {
        $d = Remove-App hello -Environment $envName -RemoveVolumes -Force
        $d.Status | Should -Be 'Removed'
        Get-Containers | Should -BeNullOrEmpty
        podman volume exists "dot-$envName-hello-hello-data"; $LASTEXITCODE | Should -Be 1
        Get-AppDeployment hello -Environment $envName -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'AppNotFound*'
    }
}
