#Requires -Modules Pester
# Get-ServiceStats -Source Prometheus against the real Prometheus that Install-Monitoring runs for
# a test environment (Debian prometheus and blackbox_exporter on free 127.0.0.1 ports, scraping
# every second, under a temporary data root). The app is tests/DevOpsTools.StatsEndpoint: its
# /metrics has http_requests_total{handler,code} and http_request_duration_seconds (the client
# libraries' default buckets). A known mix goes through it with the module's own probe, then the
# PromQL figures must agree with the probe's: the error rate exactly (both counters are scaled
# alike by increase()'s extrapolation), the quantiles within the histogram bucket Prometheus
# interpolated in. No assertion on speed.

Describe 'Get-ServiceStats from Prometheus' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:previousHome = $env:DEVOPSTOOLS_HOME
        $script:root = New-TestDataRoot
        $null = New-Item -ItemType Directory -Force $root
        $script:envName = 'dtprom-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:endpoint = Start-TestStatsEndpoint -Directory (Join-Path $root 'stats-endpoint')
        $script:base = $endpoint.Url
        $file = Join-Path $root 'env.yaml'
        @"
apiVersion: devopstools/v1
name: $envName
apps:
  - name: shop
    image: localhost/shop:1
"@ | Set-Content $file
        $definition = Import-DevOpsEnvironment $file
        # Four listeners open at once, so the four free ports differ.
        $listeners = @(1..4 | ForEach-Object { $l = [System.Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $l })
        $ports = @($listeners | ForEach-Object { $_.LocalEndpoint.Port })
        $listeners | ForEach-Object { $_.Stop() }
        $script:stack = Install-Monitoring $definition -Probe @{ shop = "$base/healthz" } -ScrapeInterval ([TimeSpan]::FromSeconds(1)) `
            -PrometheusPort $ports[0] -AlertmanagerPort $ports[1] -BlackboxPort $ports[2] -NodeExporterPort $ports[3] -Confirm:$false
        $script:prom = $stack.PrometheusUrl

        function script:Query([string] $Expression) {
            (Invoke-RestMethod -Method Post "$($prom)api/v1/query" -Body @{ query = $Expression }).data.result
        }

        # Prometheus scrapes the app (its counters still at 0) and probes it before any load.
        $deadline = (Get-Date).AddSeconds(60)
        do {
            Start-Sleep -Seconds 1
            $up = Query 'up{job="app-metrics"} == 1'
            $probed = Query 'probe_success{app="shop"} == 1'
        } until ((@($up).Count -eq 1 -and @($probed).Count -eq 1) -or (Get-Date) -gt $deadline)
        Start-Sleep -Seconds 3

        # The mix: 5 % answer 503 at once, 10 % after 200 ms, the rest after 20 ms.
        $script:requests = 400
        $script:probe = Get-ServiceStats -Url "$base/mix?key=prom&fail=5&slow=10&fastMs=20&slowMs=200" -Requests $requests -Concurrency 4 -Service shop
        $deadline = (Get-Date).AddSeconds(60)
        do {
            Start-Sleep -Seconds 1
            $seen = Query 'sum(http_requests_total{handler="/mix"})'
        } until ((@($seen).Count -eq 1 -and [double]$seen[0].value[1] -ge $requests) -or (Get-Date) -gt $deadline)
        Start-Sleep -Seconds 2
        $script:fromProm = Get-ServiceStats -Environment $envName -Source Prometheus -Service shop -Window 5m -Matcher 'handler="/mix"'

        # The default buckets in milliseconds: a quantile Prometheus interpolated lies in one of them.
        $script:bounds = @(0, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
        function script:Bucket([double] $Ms) {
            for ($i = 1; $i -lt $bounds.Count; $i++) { if ($Ms -le $bounds[$i]) { return @($bounds[$i - 1], $bounds[$i]) } }
            @($bounds[-1], [double]::PositiveInfinity)
        }
        # The probe's latency is the server's plus the client's own scheduling on two busy vCPUs.
        $script:scheduling = 150
    }

    AfterAll {
        Remove-Monitoring $envName -Force -ErrorAction SilentlyContinue | Out-Null
        Stop-TestStatsEndpoint $endpoint
        Remove-TestDataRoot -Path $root -Restore $previousHome
    }

    It 'finds the Prometheus Install-Monitoring runs for -Environment, with every figure sourced prometheus' {
        $fromProm.Service | Should -Be 'shop'
        $fromProm.Environment | Should -Be $envName
        $fromProm.Target | Should -BeLike "$prom*"
        foreach ($name in 'Requests', 'ErrorRate', 'Availability', 'LatencyP50', 'LatencyP99', 'Status') {
            $fromProm.Sources[$name] | Should -Be 'prometheus' -Because $name
        }
        $fromProm.Sources.ContainsKey('LatencyMax') | Should -BeFalse -Because 'a histogram has no maximum'
        $probe.Sources['ErrorRate'] | Should -Be 'probe'
    }

    It 'agrees with the probe on the error rate and the request count' {
        $probe.ErrorRate | Should -Be 0.05
        # increase() extrapolates both counters by the same factor: the ratio stays exact but for rounding.
        [math]::Abs($fromProm.ErrorRate - $probe.ErrorRate) | Should -BeLessOrEqual 0.005
        # The count itself is extrapolated to the window's end by up to half a scrape interval.
        $fromProm.Requests | Should -BeGreaterOrEqual ($requests * 0.97)
        $fromProm.Requests | Should -BeLessOrEqual ($requests * 1.1)
        $fromProm.Errors['HTTP 503'] | Should -BeGreaterThan 0
        $fromProm.Status | Should -Be 'Degraded'
        $fromProm.Reason | Should -Match 'error rate .* is above 1\.00 %.*HTTP 503'
    }

    It 'agrees with the probe on p50 and p99 within the histogram bucket the quantile falls in' {
        foreach ($q in 'LatencyP50', 'LatencyP99') {
            $estimate = $fromProm.$q
            $estimate | Should -Not -BeNullOrEmpty
            $low, $high = Bucket $estimate
            # The server's own latency is in that bucket; the client's is never below it and above
            # it by no more than scheduling.
            $probe.$q | Should -BeGreaterOrEqual $low -Because "$q from Prometheus is $estimate ms, in ($low, $high]"
            $probe.$q | Should -BeLessOrEqual ($high + $scheduling) -Because "$q from Prometheus is $estimate ms, in ($low, $high]"
        }
        # Fast and slow are told apart: p50 is a fast answer (20 ms), p99 a slow one (200 ms).
        $fromProm.LatencyP50 | Should -BeLessThan 100
        $fromProm.LatencyP99 | Should -BeGreaterOrEqual 100
    }

    It 'reads availability from the blackbox probes of the app' {
        $all = Get-ServiceStats -PrometheusUrl $prom -Service shop -Window 5m
        $all.Availability | Should -Be 1
        # Without the matcher, the probes' own /healthz requests count too.
        $all.Requests | Should -BeGreaterThan $fromProm.Requests
    }

    It '-Source All gives one row per source for the same service' {
        $rows = @(Get-ServiceStats -Url "$base/healthz" -Requests 5 -Service shop -Environment $envName -Source All -Window 1m)
        $rows.Count | Should -Be 2
        $rows[0].Sources['Requests'] | Should -Be 'probe'
        $rows[1].Sources['Requests'] | Should -Be 'prometheus'
    }

    It 'lists every service Prometheus has data of when none is named' {
        $every = @(Get-ServiceStats -Environment $envName -Window 1m)
        $every.Service | Should -Contain 'shop'
    }

    It 'takes a service name with a quote as data: no data, a clear Reason, not zeros' {
        $odd = Get-ServiceStats -Environment $envName -Source Prometheus -Service 'sh"op\' -Window 1m
        $odd.Status | Should -Be 'Unknown'
        $odd.Reason | Should -Match ([regex]::Escape('no http_requests_total, probe_success or up series with app="sh\"op\\"'))
        $odd.Sources.ContainsKey('Requests') | Should -BeFalse
        $odd.LatencyP50 | Should -BeNullOrEmpty
        # The table shows no figure for it, not 0.00 %.
        ($odd | Format-Table | Out-String) | Should -Match 'Unknown\s+-\s+-\s+-\s+-\s+-'
        { Get-ServiceStats -Environment $envName -Source Prometheus -Service 'sh"op\' -Window 1m -FailOn Degraded -ErrorAction Stop } |
            Should -Throw -ErrorId 'ServiceDegraded,*'
    }

    It 'reports Prometheus refusing a query with its own error text' {
        $err = $null
        try { Get-ServiceStats -PrometheusUrl $prom -Service shop -Matcher 'handler=~"("' -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'PrometheusQueryFailed,*'
        $err.Exception.Message | Should -Match 'bad_data.*error parsing regexp'
    }

    It 'names an unreachable Prometheus, and exits non-zero from pwsh -c with -FailOn' {
        $closed = Get-TestFreePort
        { Get-ServiceStats -PrometheusUrl "http://127.0.0.1:$closed" -Service shop -ErrorAction Stop } |
            Should -Throw -ErrorId 'PrometheusUnreachable,*' -ExpectedMessage "*http://127.0.0.1:$closed/*"
        $module = $env:DEVOPSTOOLS_TEST_MODULE
        $command = "Import-Module '$module'; `$ErrorView = 'NormalView'; Get-ServiceStats -PrometheusUrl 'http://127.0.0.1:$closed' -Service shop -FailOn Degraded | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Not -Be 0
        $out | Should -Match 'PrometheusUnreachable'

        # A healthy Prometheus answer passes the gate: exit 0.
        $command = "Import-Module '$module'; Get-ServiceStats -Environment '$envName' -Service shop -Window 1m -Matcher 'handler=""/healthz""' -FailOn Down | Out-Null"
        $out = & dotnet pwsh -NoProfile -NonInteractive -c $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
    }

    It 'refuses Prometheus parameters without a Prometheus source, and -Source Probe with nothing to probe' {
        { Get-ServiceStats -Url "$base/healthz" -Requests 1 -Window 5m -ErrorAction Stop } | Should -Throw -ErrorId 'PrometheusSettingsInvalid,*'
        # -Source Probe with nothing to probe probes the environment's deployments; it has none.
        Get-ServiceStats -Environment $envName -Source Probe -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none[0].FullyQualifiedErrorId | Should -BeLike 'ProbeNoDeployment,*'
        { Get-ServiceStats -PrometheusUrl $prom -Matcher 'handler="/mix"} or vector(1)' -ErrorAction Stop } | Should -Throw -ErrorId 'PrometheusSettingsInvalid,*'
        { Get-ServiceStats -PrometheusUrl $prom -ServiceLabel '__app' -ErrorAction Stop } | Should -Throw -ErrorId 'PrometheusSettingsInvalid,*'
    }

    It 'fails an environment whose monitoring is not installed with PrometheusNotFound' {
        { Get-ServiceStats -Environment 'dtprom-none' -Source Prometheus -ErrorAction Stop } | Should -Throw -ErrorId 'PrometheusNotFound,*'
    }
}
