#Requires -Modules Pester
# Export-ServiceStats against real readers: the Prometheus text checked by Debian's promtool and
# pushed to a real Pushgateway on 127.0.0.1 (read back through its API), the CSV read back with
# Import-Csv under a culture that writes decimal commas, the JSON with ConvertFrom-Json. The stats
# come from real probes of the test server of tests/DevOpsTools.StatsEndpoint (a known error mix).

Describe 'Export-ServiceStats' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:work = New-TestTempDirectory -Prefix 'stats-export'
        $serverDir = Join-Path $work 'endpoint'
        $script:endpoint = Start-TestStatsEndpoint -Directory $serverDir
        $script:base = $endpoint.Url

        # Debian's Pushgateway on a port of its own, no persistence: it holds only what this suite pushes.
        $script:gatewayPort = Get-TestFreePort
        $script:gateway = Start-Process -PassThru -FilePath prometheus-pushgateway -ArgumentList "--web.listen-address=127.0.0.1:$gatewayPort" `
            -RedirectStandardError (Join-Path $work 'pushgateway.log') -RedirectStandardOutput (Join-Path $work 'pushgateway.out')
        $script:gatewayUrl = "http://127.0.0.1:$gatewayPort"
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ($true) {
            try { $null = Invoke-WebRequest "$gatewayUrl/-/ready" -TimeoutSec 2; break }
            catch { if ([DateTime]::UtcNow -gt $deadline) { throw "the Pushgateway did not start: $(Get-Content -Raw (Join-Path $work 'pushgateway.log'))" }; Start-Sleep -Milliseconds 200 }
        }

        # 10 % of answers are 503: exactly 20 failures in 200, and an SLO of 99 % breached 10 times over.
        $script:stats = @(
            Get-ServiceStats -Url "$base/mix?key=export&fail=10&fastMs=1" -Requests 200 -Concurrency 2 -Service 'shop "eu"' -Environment test -Objective 99
            Get-ServiceStats -Url "$base/healthz" -Requests 20 -Service '=cmd|calc' -Environment test
        )
    }

    AfterAll {
        Stop-TestStatsEndpoint $endpoint
        if ($gateway -and -not $gateway.HasExited) { $gateway.Kill(); $null = $gateway.WaitForExit(10000) }
        Remove-TestTempDirectory $work
    }

    It 'writes Prometheus text that promtool accepts, with the figures of the probe' {
        $file = Join-Path $work 'devopstools.prom'
        $written = $stats | Export-ServiceStats Prometheus $file
        $written | Should -BeOfType ([IO.FileInfo])
        $text = Get-Content -Raw $file
        $check = $text | & promtool check metrics 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($check -join "`n")
        # The label value escapes its quotes; the figures are the probe's, in base units.
        $text | Should -Match ([regex]::Escape('devopstools_service_probe_failures{service="shop \"eu\"",environment="test",target="' + "$base/mix?key=export&fail=10&fastMs=1" + '"} 20'))
        $text | Should -Match 'devopstools_service_error_ratio\{service="shop \\"eu\\"".*\} 0\.1\n'
        $text | Should -Match 'devopstools_service_slo_burn_rate\{.*slo="availability 99%"\} 10(\.0+\d*)?\n'
        $text | Should -Match 'devopstools_service_status\{service="=cmd\|calc".*status="Healthy"\} 1\n'
        # Every family once, all its samples together.
        $text | Should -Match 'devopstools_service_latency_seconds\{service="=cmd\|calc".*percentile="99"\} \d'
        ([regex]::Matches($text, '(?m)^# TYPE devopstools_service_up gauge$')).Count | Should -Be 1
        # No temporary file is left beside it.
        @(Get-ChildItem -Force $work -Filter '.devopstools.prom.*').Count | Should -Be 0
    }

    It 'pushes to a real Pushgateway, and a second push of the job replaces the first' {
        $stats | Export-ServiceStats -PushgatewayUrl $gatewayUrl -Job nightly
        $groups = (Invoke-RestMethod "$gatewayUrl/api/v1/metrics").data
        $group = @($groups | Where-Object { $_.labels.job -eq 'nightly' })
        $group.Count | Should -Be 1
        $failures = $group[0].devopstools_service_probe_failures.metrics
        @($failures | Where-Object { $_.labels.service -eq 'shop "eu"' }).value | Should -Be '20'

        $stats[1] | Export-ServiceStats -PushgatewayUrl $gatewayUrl -Job nightly
        $metrics = Invoke-RestMethod "$gatewayUrl/metrics"
        $metrics | Should -Not -Match 'service="shop \\"eu\\""'
        $metrics | Should -Match 'devopstools_service_up\{environment="test",instance="",job="nightly",service="=cmd\|calc"'
    }

    It 'writes CSV with invariant numbers under a decimal-comma culture, and disarms formula text' {
        $file = Join-Path $work 'stats.csv'
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            $stats | Export-ServiceStats Csv $file | Out-Null
        }
        finally { [cultureinfo]::CurrentCulture = $saved }
        $rows = @(Import-Csv $file)
        $rows.Count | Should -Be 2
        $rows[0].Service | Should -Be 'shop "eu"'
        $rows[0].ErrorRate | Should -Be '0.1'
        $rows[0].Failures | Should -Be '20'
        $rows[0].BurnRate | Should -Match '^10(\.0+\d*)?$'
        $rows[0].SloBreached | Should -Be 'true'
        $rows[1].Service | Should -Be "'=cmd|calc"
        $rows[1].Status | Should -Be 'Healthy'
    }

    It 'returns JSON to the pipeline without -Path, with errors and sources' {
        $json = $stats | Export-ServiceStats Json | ConvertFrom-Json
        $json.Count | Should -Be 2
        $json[0].Errors.'HTTP 503' | Should -Be 20
        $json[0].Slos[0].Name | Should -Be 'availability 99%'
        $json[0].Status | Should -Be 'Degraded'
        $json[1].Sources.LatencyP99 | Should -Be 'probe'
    }

    It 'writes nothing under -WhatIf, and refuses -NoClobber on an existing file and a missing folder' {
        $file = Join-Path $work 'whatif.json'
        $stats | Export-ServiceStats Json $file -WhatIf
        Test-Path $file | Should -BeFalse
        $stats | Export-ServiceStats Html (Join-Path $work 'whatif.html') -WhatIf
        Test-Path (Join-Path $work 'whatif.html') | Should -BeFalse
        $stats | Export-ServiceStats -PushgatewayUrl $gatewayUrl -Job whatif -WhatIf
        (Invoke-RestMethod "$gatewayUrl/api/v1/metrics").data.labels.job | Should -Not -Contain 'whatif'

        Set-Content $file 'keep'
        { $stats | Export-ServiceStats Json $file -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'ExportTargetNotWritable,DevOpsTools.Commands.Monitoring.ExportServiceStatsCommand'
        Get-Content $file | Should -Be 'keep'
        { $stats | Export-ServiceStats Json (Join-Path $work 'no/such/folder.json') -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*no/such*does not exist*'
    }

    It 'names the Pushgateway that cannot be reached' {
        $closed = Get-TestFreePort
        { $stats | Export-ServiceStats -PushgatewayUrl "http://127.0.0.1:$closed" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ExportPushFailed,DevOpsTools.Commands.Monitoring.ExportServiceStatsCommand' -ExpectedMessage "*127.0.0.1:$closed*"
    }
}
