#Requires -Modules Pester
# Get-ServiceStats' active probes against real servers on 127.0.0.1: the test server of
# tests/DevOpsTools.StatsEndpoint (a known latency and error mix), a closed port, and the hello
# sample app deployed on this machine with Deploy-App and piped in, and a Podman server's port. No assertion on speed: the
# latency bounds are the server's own delays, widened by the histogram's precision and scheduling.

BeforeDiscovery {
    $script:hasPodman = [bool](Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'Get-ServiceStats against the test server' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:serverDir = New-TestTempDirectory -Prefix 'stats-endpoint'
        $script:endpoint = Start-TestStatsEndpoint -Directory $serverDir
        $script:base = $endpoint.Url
        # Quantiles may read above the server's delay by the client's own scheduling (two shared
        # vCPUs, load average above 10 seen), never below it; less than the gap between the mix's
        # two delays, so a fast quantile can never pass for a slow one.
        $script:tolerance = 150
        # Warm both ends up (JIT, the connection pool) so the first run measures the mix, not start-up.
        $null = Get-ServiceStats -Url "$base/mix?key=warm&fastMs=1" -Requests 100 -Concurrency 4
        $script:precision = 0.001
    }

    AfterAll {
        Stop-TestStatsEndpoint $endpoint
        Remove-TestTempDirectory $serverDir
    }

    It 'reads p50 and p99 of a known latency mix within the histogram precision and scheduling' {
        # 95 % of answers after 50 ms, 5 % after 500 ms.
        $s = Get-ServiceStats -Url "$base/mix?key=p&slow=5&fastMs=50&slowMs=500" -Requests 200 -Concurrency 4 -Service mix
        $s.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.ServiceStats'
        $s.Service | Should -Be 'mix'
        $s.Status | Should -Be 'Healthy'
        $s.Requests | Should -Be 200
        $s.LatencyP50 | Should -BeGreaterOrEqual (50 * (1 - $precision))
        $s.LatencyP50 | Should -BeLessOrEqual (50 * (1 + $precision) + $tolerance)
        $s.LatencyP99 | Should -BeGreaterOrEqual (500 * (1 - $precision))
        # The tail is the ten slow answers, four of them in flight together (the mix's slow slots are
        # consecutive): one stall of the machine lifts them all, so its high side only bounds it.
        $s.LatencyP99 | Should -BeLessOrEqual (500 * (1 + $precision) + 1000)
        $s.Sources['LatencyP99'] | Should -Be 'probe'
        $s.Throughput | Should -BeGreaterThan 0
    }

    It 'counts the error rate of a known error mix exactly and says Degraded with the reason' {
        $s = Get-ServiceStats -Url "$base/mix?key=e&fail=5" -Requests 400 -Concurrency 8
        $s.Requests | Should -Be 400
        $s.Failures | Should -Be 20
        $s.ErrorRate | Should -Be 0.05
        $s.Errors['HTTP 503'] | Should -Be 20
        $s.Status | Should -Be 'Degraded'
        $s.Reason | Should -Match 'error rate 5\.00 %.*HTTP 503'
    }

    It 'reports a closed port as Down, not as an error' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $s = Get-ServiceStats -Url "http://127.0.0.1:$port/", "tcp://127.0.0.1:$port" -Requests 3 -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        $s.Count | Should -Be 2
        $s.Status | Should -Be @('Down', 'Down')
        $s[0].Reason | Should -Match 'connection refused'
        $s[1].Target | Should -Be "tcp://127.0.0.1:$port"
    }

    It 'probes the TCP port of a running server as Healthy' {
        $s = Get-ServiceStats -Url ($base -replace '^http', 'tcp') -Requests 10
        $s.Status | Should -Be 'Healthy'
        $s.LatencyP50 | Should -BeGreaterThan 0
    }

    It 'rejects what is not an http, https or tcp URL with ProbeUrlInvalid and still probes the rest' {
        $s = Get-ServiceStats -Url 'ftp://127.0.0.1/x', "$base/healthz" -Requests 2 -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ProbeUrlInvalid,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $s.Status | Should -Be 'Healthy'
    }

    It 'rejects zero requests as a parameter error' {
        { Get-ServiceStats -Url "$base/healthz" -Requests 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,DevOpsTools.Commands.Monitoring.GetServiceStatsCommand'
        { Get-ServiceStats -Url "$base/healthz" -Duration 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProbeSettingsInvalid,DevOpsTools.Commands.Monitoring.GetServiceStatsCommand'
    }

    It 'holds the body condition and the latency objective' {
        (Get-ServiceStats -Url "$base/healthz" -Requests 3 -BodyContains 'ok').Status | Should -Be 'Healthy'
        $s = Get-ServiceStats -Url "$base/mix?key=slo&fastMs=30" -Requests 5 -LatencyObjective 00:00:00.005
        $s.Status | Should -Be 'Degraded'
        $s.Reason | Should -Match 'objective 5 ms'
    }

    It 'scores an availability SLO on a known error mix, exactly, and degrades the service that breaks it' {
        # 5 % answer 503: 10 bad of 200 against a 0.1 % budget, a burn rate of 50; the error-rate
        # rule is off (-MaxErrorRate 1), so the SLO alone makes it Degraded.
        $s = Get-ServiceStats -Url "$base/mix?key=slo-a&fail=5" -Requests 200 -Concurrency 2 -Service shop -Objective 99.9 -MaxErrorRate 1
        $s.Slo | Should -Be 'availability 99.9%'
        $s.SloObjective | Should -Be 99.9
        "$($s.SloKind)" | Should -Be 'Availability'
        $s.BadEvents | Should -Be 10
        $s.BurnRate | Should -BeGreaterThan 49.999999
        $s.BurnRate | Should -BeLessThan 50.000001
        $s.ErrorBudgetRemaining | Should -BeLessThan -48.999999
        $s.SloBreached | Should -BeTrue
        $s.Status | Should -Be 'Degraded'
        $s.Reason | Should -Match ([regex]::Escape("SLO 'availability 99.9%' breached: 95.00 % good (10 of 200 failed), objective 99.9 %"))
        $s.Sources['ErrorBudgetRemaining'] | Should -Be 'probe'
    }

    It 'counts a latency SLO''s slow successes exactly, not from the quantiles' {
        # Per 100: 10 answer after 600 ms, the rest at once; against 300 ms that is 20 bad of 200.
        $s = Get-ServiceStats -Url "$base/mix?key=slo-l&slow=10&slowMs=600" -Requests 200 -Concurrency 10 -Objective 95 -LatencyThresholdMs 300
        $s.Slo | Should -Be 'latency 95% under 300ms'
        $s.SloLatencyThresholdMs | Should -Be 300
        $s.BadEvents | Should -Be 20
        $s.SloBreached | Should -BeTrue
        $s.Reason | Should -Match '90\.00 % good \(20 of 200 failed or slower than 300 ms\), objective 95 %'
    }

    It 'holds each service to its app''s SLOs from an environment file or definition' {
        $file = Join-Path $TestDrive 'slo-env.yaml'
        @'
apiVersion: devopstools/v1
name: slotest
provider:
  type: podman
apps:
  - name: shop
    image: localhost/shop:1.0.0
    port: 8080
monitoring:
  slos:
    - name: shop-availability
      app: shop
      objective: 99.5
      window: 7d
'@ | Set-Content -LiteralPath $file
        # 5 % errors against a 0.5 % budget: 10 of 200 bad, a burn rate of 10.
        $s = Get-ServiceStats -Url "$base/mix?key=slo-e&fail=5" -Requests 200 -Service shop -Environment $file -MaxErrorRate 1
        $s.Environment | Should -Be 'slotest'
        $s.Slo | Should -Be 'shop-availability'
        $s.SloObjective | Should -Be 99.5
        $s.Slos[0].Window | Should -Be ([timespan]::FromDays(7))
        $s.BadEvents | Should -Be 10
        $s.BurnRate | Should -BeGreaterThan 9.999999
        $s.BurnRate | Should -BeLessThan 10.000001
        $s.Status | Should -Be 'Degraded'

        # The definition itself does the same; a service of no declared SLO is held to none.
        $definition = Import-DevOpsEnvironment -Path $file
        $other = Get-ServiceStats -Url "$base/healthz" -Requests 5 -Service web -Environment $definition
        $other.Environment | Should -Be 'slotest'
        $other.Slo | Should -BeNullOrEmpty
        $other.Status | Should -Be 'Healthy'
        # -Objective wins over the file's SLOs.
        $own = Get-ServiceStats -Url "$base/healthz" -Requests 5 -Service shop -Environment $definition -Objective 90
        $own.Slo | Should -Be 'availability 90%'
    }

    It 'refuses -LatencyThresholdMs without -Objective' {
        { Get-ServiceStats -Url "$base/healthz" -Requests 1 -LatencyThresholdMs 300 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProbeSettingsInvalid,*'
    }

    It 'exits non-zero from pwsh -c with -FailOn SloBreach, naming the service, the figure and the objective' {
        $module = $env:DEVOPSTOOLS_TEST_MODULE
        $command = "Import-Module '$module'; `$ErrorView = 'NormalView'; Get-ServiceStats -Url '$base/mix?key=slo-f&fail=2' -Requests 100 -Service checkout -Objective 99 -FailOn SloBreach | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $out | Should -Match 'SloBreached'
        $out | Should -Match 'checkout'
        $out | Should -Match ([regex]::Escape('98.00 % good (2 of 100 failed), objective 99 %'))

        # The same service within its objective passes the gate: exit 0.
        $command = "Import-Module '$module'; Get-ServiceStats -Url '$base/mix?key=slo-p&fail=1' -Requests 100 -Service checkout -Objective 98 -FailOn SloBreach | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }

    It 'exits non-zero with -FailOn Down for a closed port, and -FailOn Down passes a Degraded service' {
        $module = $env:DEVOPSTOOLS_TEST_MODULE
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closed = $listener.LocalEndpoint.Port; $listener.Stop()
        $command = "Import-Module '$module'; `$ErrorView = 'NormalView'; Get-ServiceStats -Url 'http://127.0.0.1:$closed/' -Requests 3 -Service gone -FailOn Down | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $out | Should -Match 'ServiceDown'
        $out | Should -Match 'gone'

        $command = "Import-Module '$module'; Get-ServiceStats -Url '$base/mix?key=slo-d&fail=50' -Requests 100 -FailOn Down | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }

    It 'fits its table in 80 columns' {
        $s = Get-ServiceStats -Url "$base/healthz" -Requests 3 -Service 'a-long-service-name' -Environment test
        $lines = ($s | Format-Table | Out-String -Width 200) -split "`n" | Where-Object { $_.Trim() }
        $lines.Count | Should -Be 3
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $lines[2] | Should -Match 'Healthy'
    }

    It 'stops promptly on a stopped pipeline (Ctrl+C) in a long run' {
        $ps = [PowerShell]::Create()
        $null = $ps.AddCommand('Import-Module').AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddStatement().
            AddCommand('Get-ServiceStats').AddParameter('Url', "$base/mix?key=stop&fastMs=10").AddParameter('Duration', [timespan]::FromMinutes(10))
        $run = $ps.BeginInvoke()
        # Stop once the probe itself runs (its progress bar shows), not while the module imports.
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        $probing = { @($ps.Streams.Progress | Where-Object { $_.Activity -eq 'Probing services' -and "$($_.CurrentOperation)" -match 'requests' }).Count }
        while ((& $probing) -eq 0 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        & $probing | Should -BeGreaterThan 0
        # Stop() returns once the pipeline has stopped: a probe that ignored it would hold it for 10 minutes.
        $ps.Stop()
        $output = try { $ps.EndInvoke($run) } catch { @() }
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        @($output | Where-Object { $_ -and $_.PSObject.TypeNames[0] -eq 'DevOpsTools.ServiceStats' }) | Should -BeNullOrEmpty
        $ps.Dispose()
    }

    Context '-NotifyWebhook against a receiver on 127.0.0.1' {
        BeforeAll {
            Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
            $script:restoreHome = $env:DEVOPSTOOLS_HOME
            $script:alertRoot = New-TestDataRoot
            function script:Set-Failing([string] $Name, [int] $Percent) {
                $null = Invoke-RestMethod -Method Post -Uri "$base/switch/$($Name)?fail=$Percent"
            }
            function script:Get-Posts([string] $Hook) { @(Invoke-RestMethod -Uri "$base/hook/$Hook") }
        }

        AfterAll { Remove-TestDataRoot -Path $alertRoot -Restore $restoreHome }

        It 'posts fired once per change, nothing while it holds, resolved when healthy, nothing under -WhatIf' {
            $url = "$base/switch/generic"
            $hook = "$base/hook/generic?token=T0-B0-secret"
            Set-Failing generic 50
            $s = Get-ServiceStats -Url $url -Service api -Environment prod -Requests 100 -NotifyWebhook $hook -WhatIf
            $s.Status | Should -Be 'Degraded'
            Get-Posts 'generic' | Should -BeNullOrEmpty

            $null = Get-ServiceStats -Url $url -Service api -Environment prod -Requests 100 -NotifyWebhook $hook
            $posts = Get-Posts 'generic'
            $posts.Count | Should -Be 1
            $body = $posts[0].body | ConvertFrom-Json
            $body.status | Should -Be 'fired'
            $body.state | Should -Be 'Degraded'
            $body.service | Should -Be 'api'
            $body.environment | Should -Be 'prod'
            $body.target | Should -Be $url
            $body.figures.errorRate | Should -Be 0.5
            $body.reason | Should -Match 'HTTP 503'
            $posts[0].body | Should -Not -Match 'secret'

            Set-Failing generic 50
            $null = Get-ServiceStats -Url $url -Service api -Environment prod -Requests 100 -NotifyWebhook $hook
            (Get-Posts 'generic').Count | Should -Be 1

            Set-Failing generic 0
            $s = Get-ServiceStats -Url $url -Service api -Environment prod -Requests 100 -NotifyWebhook $hook
            $s.Status | Should -Be 'Healthy'
            $posts = Get-Posts 'generic'
            $posts.Count | Should -Be 2
            ($posts[1].body | ConvertFrom-Json).status | Should -Be 'resolved'
        }

        It 'posts Slack and Teams bodies that parse with their fields' {
            Set-Failing slack 50
            $null = Get-ServiceStats -Url "$base/switch/slack" -Service web -Requests 100 -NotifyWebhook "$base/hook/slack" -WebhookFormat Slack
            $slack = (Get-Posts 'slack')[0].body | ConvertFrom-Json
            $slack.text | Should -Be '[FIRED] web is Degraded'
            $slack.blocks.type | Should -Be @('header', 'section', 'context')

            Set-Failing teams 100
            $null = Get-ServiceStats -Url "$base/switch/teams" -Service web -Requests 100 -NotifyWebhook "$base/hook/teams" -WebhookFormat Teams
            $teams = (Get-Posts 'teams')[0].body | ConvertFrom-Json
            $teams.'@type' | Should -Be 'MessageCard'
            $teams.summary | Should -Be '[FIRED] web is Down'
            $teams.sections[0].facts.name | Should -Contain 'Availability'
        }

        It 'reports a receiver answering 500 by host and status, and retries on the next run' {
            Set-Failing retry 50
            $bad = "$base/hook/retry?answer=500&sig=secret-sig"
            $null = Get-ServiceStats -Url "$base/switch/retry" -Service api -Requests 100 -NotifyWebhook $bad -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'WebhookPostFailed*'
            $errs[0].Exception.Message | Should -Match '127\.0\.0\.1 answered HTTP 500'
            $errs[0].Exception.Message | Should -Not -Match 'secret|hook/retry'

            Set-Failing retry 50
            $null = Get-ServiceStats -Url "$base/switch/retry" -Service api -Requests 100 -NotifyWebhook "$base/hook/retry" -ErrorVariable errs2
            $errs2 | Should -BeNullOrEmpty
            $posts = Get-Posts 'retry'
            $posts.answer | Should -Be @(500, 200)
            ($posts[1].body | ConvertFrom-Json).status | Should -Be 'fired'
        }

        It 'refuses a webhook that is not http or https without echoing it' {
            { Get-ServiceStats -Url "$base/healthz" -Requests 1 -NotifyWebhook 'ftp://127.0.0.1/hook-token' -ErrorAction Stop } |
                Should -Throw -ErrorId 'WebhookUrlInvalid*'
        }
    }
}

Describe 'Deploy-App | Get-ServiceStats and servers on this machine' -Tag 'Podman', 'Deploy', 'Monitoring' -Skip:(-not $hasPodman) {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'ds' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:port = Get-Random -Minimum 29000 -Maximum 31000
        $repo = Join-Path $PSScriptRoot '../..'
        # The base image is built on first use; the server also serves a probe of its declared
        # port 22 (sshd, reached on its published loopback port) before it goes.
        $warm = New-Server -Name warm -Environment $envName -Port 22 -ErrorAction Stop
        $script:serverStats = $warm | Get-ServiceStats -Requests 5 -ErrorAction Stop
        $warm | Remove-Server -Force
        & (Join-Path $repo 'examples/apps/hello/build.ps1')
        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $script:spec = Join-Path $dataRoot 'hello.yaml'
        (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace('    port: 8080', "    port: 8080`n    publicPort: $port") | Set-Content $spec
    }

    AfterAll {
        Remove-App hello -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        podman ps -a --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" } | ForEach-Object { podman rm -f -- $_ *> $null }
        podman volume ls --format '{{.Name}}' | Where-Object { $_ -like "*$envName*" } | ForEach-Object { podman volume rm -f -- $_ *> $null }
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'probes a server''s declared port as TCP under the server''s name' {
        $serverStats.Service | Should -Be 'warm:22'
        $serverStats.Environment | Should -Be $envName
        $serverStats.Target | Should -Match '^tcp://127\.0\.0\.1:\d+$'
        $serverStats.Status | Should -Be 'Healthy'
        $serverStats.Requests | Should -Be 5
    }

    It 'probes the deployed sample app as Healthy under its app and environment names' {
        $s = Deploy-App -Path $spec -Environment $envName -TimeoutSec 120 -ErrorAction Stop | Get-ServiceStats -Requests 50 -Concurrency 2 -ErrorAction Stop
        $s.Service | Should -Be 'hello'
        $s.Environment | Should -Be $envName
        $s.Target | Should -BeLike "http://127.0.0.1:$port/*"
        $s.Status | Should -Be 'Healthy'
        $s.Requests | Should -BeGreaterThan 0
        $s.Requests | Should -Be 50
    }
}
