# Install-Monitoring on this machine with the real Debian programs (prometheus, alertmanager,
# blackbox and node exporters) on free 127.0.0.1 ports under a temporary data root; the probed app
# is tests/DevOpsTools.StatsEndpoint. Asserts promtool accepts every generated file, Prometheus
# scrapes every target (up == 1 through /api/v1/query), a second run changes nothing, -WhatIf
# changes nothing, and Remove-Monitoring leaves no process or file behind.

Describe 'Install-Monitoring on this machine' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:previousHome = $env:DEVOPSTOOLS_HOME
        $script:root = New-TestDataRoot
        $script:envName = 'prom-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:serverDir = Join-Path $root 'stats-endpoint'
        $script:endpoint = Start-TestStatsEndpoint -Directory $serverDir
        $script:base = $endpoint.Url

        $file = Join-Path $root 'env.yaml'
        New-Item -ItemType Directory -Force $root | Out-Null
        @"
apiVersion: devopstools/v1
name: $envName
apps:
  - name: shop
    image: localhost/shop:1
monitoring:
  slos:
    - name: shop-availability
      app: shop
      objective: 99.9
      window: 30d
    - name: shop-latency
      app: shop
      objective: 99
      window: 1h
      latencyMs: 300
"@ | Set-Content $file
        $script:definition = Import-DevOpsEnvironment $file
        $free = foreach ($i in 1..4) {
            $l = [System.Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $l; $l.LocalEndpoint.Port
        }
        $listeners = $free | Where-Object { $_ -is [System.Net.Sockets.TcpListener] }
        $ports = @($free | Where-Object { $_ -is [int] })
        $listeners | ForEach-Object { $_.Stop() }
        $script:params = @{
            PrometheusPort = $ports[0]; AlertmanagerPort = $ports[1]; BlackboxPort = $ports[2]; NodeExporterPort = $ports[3]
            ScrapeInterval = [TimeSpan]::FromSeconds(2); Probe = @{ shop = "$base/healthz" }; Confirm = $false
        }
        $script:stackDir = Join-Path $root "monitoring/$envName"
    }

    AfterAll {
        Remove-Monitoring $envName -Force -ErrorAction SilentlyContinue | Out-Null
        Stop-TestStatsEndpoint $endpoint
        Remove-TestDataRoot -Path $root -Restore $previousHome
    }

    It '-WhatIf shows the configuration diff and changes nothing' {
        $plan = Install-Monitoring $definition @params -WhatIf -InformationAction Ignore
        $plan.Status | Should -Be 'Planned'
        $plan.Changes | Should -Contain 'create prometheus.yml'
        $plan.Diff | Should -Match '\+\s+- record: "slo:sli_error:ratio_rate1h"'
        Test-Path $stackDir | Should -BeFalse
    }

    It 'installs, and promtool accepts every generated file' {
        $script:stack = Install-Monitoring $definition @params
        $stack.Status | Should -Be 'Installed'
        $stack.Targets | Should -Contain "blackbox-http: $base/healthz"
        $stack.Targets | Should -Contain "app-metrics: $($base -replace '^http://')"
        & promtool check config (Join-Path $stackDir 'config/prometheus.yml') 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        & promtool check rules (Join-Path $stackDir 'config/rules/slo.yml') 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $rules = Get-Content -Raw (Join-Path $stackDir 'config/rules/slo.yml')
        # Sloth's 30-day table: page at 14.4x over 1h and 5m.
        $rules | Should -Match ([regex]::Escape('slo:sli_error:ratio_rate1h{slo=\"shop-availability\"} > (14.4 * 0.001)'))
        $rules | Should -Match ([regex]::Escape('slo:sli_error:ratio_rate5m{slo=\"shop-availability\"} > (14.4 * 0.001)'))
    }

    It 'Prometheus scrapes every target (up == 1)' {
        $query = "$($stack.PrometheusUrl)api/v1/query?query=up"
        $deadline = (Get-Date).AddSeconds(60)
        do {
            Start-Sleep -Seconds 1
            $up = (Invoke-RestMethod $query).data.result
        } until ((@($up).Count -ge 6 -and -not ($up | Where-Object { $_.value[1] -ne '1' })) -or (Get-Date) -gt $deadline)
        # app-metrics: the test server serves /metrics, so Install-Monitoring scrapes it too.
        @($up.metric.job) | Sort-Object | Should -Be @('alertmanager', 'app-metrics', 'blackbox-exporter', 'blackbox-http', 'node', 'prometheus')
        @($up | Where-Object { $_.value[1] -eq '1' }).Count | Should -Be @($up).Count
        (Invoke-RestMethod "$($stack.PrometheusUrl)api/v1/query?query=probe_success").data.result[0].metric.instance | Should -Be "$base/healthz"
    }

    It 'records the SLI error ratio of a healthy app as 0' {
        $deadline = (Get-Date).AddSeconds(30)
        do {
            Start-Sleep -Seconds 1
            $sli = (Invoke-RestMethod "$($stack.PrometheusUrl)api/v1/query?query=slo:sli_error:ratio_rate5m").data.result
        } until (@($sli).Count -ge 1 -or (Get-Date) -gt $deadline)
        @($sli).Count | Should -Be 1
        $sli[0].metric.slo | Should -Be 'shop-availability'
        [double]$sli[0].value[1] | Should -Be 0
    }

    It 'a second run changes nothing and says so' {
        $before = Get-ChildItem -Recurse -File (Join-Path $stackDir 'config') | ForEach-Object { "$($_.FullName) $($_.LastWriteTimeUtc.Ticks)" }
        $again = Install-Monitoring $definition @params
        $again.Status | Should -Be 'Unchanged'
        $again.Changes | Should -BeNullOrEmpty
        Get-ChildItem -Recurse -File (Join-Path $stackDir 'config') | ForEach-Object { "$($_.FullName) $($_.LastWriteTimeUtc.Ticks)" } | Should -Be $before
    }

    It 'a configuration change reloads the program it concerns' {
        $changed = Install-Monitoring $definition @params -WebhookUrl 'http://127.0.0.1:9/hook'
        $changed.Status | Should -Be 'Updated'
        $changed.Changes | Should -Contain 'reload alertmanager'
        $changed.Diff | Should -Not -Match '127\.0\.0\.1:9/hook'
        (Invoke-RestMethod "$($stack.AlertmanagerUrl)api/v2/status").config.original | Should -Match 'webhook'
    }

    It 'Remove-Monitoring leaves no process or file behind' {
        $pids = Get-ChildItem (Join-Path $stackDir 'run') -Filter *.pid | ForEach-Object { [int](Get-Content $_) }
        $pids.Count | Should -Be 4
        $removed = Remove-Monitoring $envName -Force
        $removed.Status | Should -Be 'Removed'
        Test-Path $stackDir | Should -BeFalse
        foreach ($p in $pids) {
            $cmd = if (Test-Path "/proc/$p/cmdline") { Get-Content -Raw "/proc/$p/cmdline" } else { '' }
            $cmd | Should -Not -Match ([regex]::Escape($stackDir))
        }
        { Invoke-RestMethod "$($stack.PrometheusUrl)-/ready" -TimeoutSec 2 } | Should -Throw
    }
}
