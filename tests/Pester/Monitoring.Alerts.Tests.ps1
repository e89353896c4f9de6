# A burn-rate alert end to end through the stack Install-Monitoring runs (the real Debian
# prometheus, alertmanager, blackbox and node exporters on free 127.0.0.1 ports): the probed app is
# the test server's /switch/<name> route (its error rate set by POST), and -WebhookUrl points at the
# same server's /hook/<name> receiver, which records every body Alertmanager posts. The SLO's 1h
# window scales the burn-rate windows down to minutes (BurnRateAlert.For), and a 2 s scrape and
# evaluation interval makes the whole round trip, firing then resolved, take a few minutes.
# Every wait polls with a loose bound; nothing asserts how fast it was.

Describe 'A burn-rate alert reaches the webhook and resolves' -Tag 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:previousHome = $env:DEVOPSTOOLS_HOME
        $script:root = New-TestDataRoot
        $script:envName = 'dtalert-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:sloName = 'shop-availability'
        $script:endpoint = Start-TestStatsEndpoint -Directory (Join-Path $root 'stats-endpoint')
        $script:base = $endpoint.Url
        $script:switchName = 'shop-' + $envName
        $script:hookName = 'alerts-' + $envName
        # The switch starts healthy (0 % failures) before anything probes it.
        Invoke-RestMethod -Method Post "$base/switch/${switchName}?fail=0" | Out-Null

        New-Item -ItemType Directory -Force $root | Out-Null
        $file = Join-Path $root 'env.yaml'
        @"
apiVersion: devopstools/v1
name: $envName
apps:
  - name: shop
    image: localhost/shop:1
monitoring:
  slos:
    - name: $sloName
      app: shop
      objective: 99
      window: 1h
"@ | Set-Content $file
        $script:definition = Import-DevOpsEnvironment $file

        # Four distinct free ports: hold every listener until all four are chosen.
        $listeners = foreach ($i in 1..4) {
            $l = [System.Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $l
        }
        $ports = @($listeners | ForEach-Object { $_.LocalEndpoint.Port })
        $listeners | ForEach-Object { $_.Stop() }
        $script:params = @{
            PrometheusPort = $ports[0]; AlertmanagerPort = $ports[1]; BlackboxPort = $ports[2]; NodeExporterPort = $ports[3]
            ScrapeInterval = [TimeSpan]::FromSeconds(2)
            Probe = @{ shop = "$base/switch/$switchName" }
            WebhookUrl = "$base/hook/$hookName"
            Confirm = $false
        }
        $script:stackDir = Join-Path $root "monitoring/$envName"

        # Every notification posted to the receiver so far, as parsed Alertmanager webhook bodies.
        function script:Get-Notification {
            @(Invoke-RestMethod "$base/hook/$hookName") | Where-Object { $_ } | ForEach-Object { $_.body | ConvertFrom-Json }
        }

        # Polls until a notification with that status carries the SLO's alert of that severity;
        # returns that alert (with the notification's own status), or nothing at the deadline.
        function script:Wait-Notification([string] $Status, [string] $Severity, [int] $TimeoutSeconds) {
            $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
            do {
                foreach ($n in Get-Notification) {
                    if ($n.status -ne $Status) { continue }
                    $alert = @($n.alerts) | Where-Object {
                        $_.status -eq $Status -and $_.labels.alertname -eq 'SloErrorBudgetBurn' -and
                        $_.labels.slo -eq $sloName -and $_.labels.severity -eq $Severity
                    } | Select-Object -First 1
                    if ($alert) { return [pscustomobject]@{ Notification = $n; Alert = $alert } }
                }
                Start-Sleep -Seconds 2
            } until ((Get-Date) -gt $deadline)
        }
    }

    AfterAll {
        Remove-Monitoring $envName -Force -ErrorAction SilentlyContinue | Out-Null
        Stop-TestStatsEndpoint $endpoint
        Remove-TestDataRoot -Path $root -Restore $previousHome
    }

    It 'installs the stack with the webhook receiver, resolved notifications on' {
        $script:stack = Install-Monitoring $definition @params
        $stack.Status | Should -Be 'Installed'
        $stack.Targets | Should -Contain "blackbox-http: $base/switch/$switchName"
        $alertmanagerYml = Get-Content -Raw (Join-Path $stackDir 'config/alertmanager.yml')
        $alertmanagerYml | Should -Match 'send_resolved: true'
        $alertmanagerYml | Should -Match ([regex]::Escape("/hook/$hookName"))
        # Both the page and the ticket alert of the SLO are loaded and quiet while the app is healthy.
        $deadline = (Get-Date).AddSeconds(90)
        do {
            Start-Sleep -Seconds 1
            $rules = @((Invoke-RestMethod "$($stack.PrometheusUrl)api/v1/rules?type=alert").data.groups.rules)
            $probe = (Invoke-RestMethod "$($stack.PrometheusUrl)api/v1/query?query=probe_success").data.result
        } until ((@($rules).Count -ge 2 -and @($probe).Count -ge 1) -or (Get-Date) -gt $deadline)
        @($rules | Where-Object name -EQ 'SloErrorBudgetBurn').Count | Should -Be 2
        @($rules.state) | Should -Not -Contain 'firing'
        $probe[0].value[1] | Should -Be '1'
        @(Get-Notification).Count | Should -Be 0
    }

    It 'a failing app fires the page alert of its SLO at the webhook' {
        Invoke-RestMethod -Method Post "$base/switch/${switchName}?fail=100" | Out-Null
        (Invoke-WebRequest "$base/switch/$switchName" -SkipHttpErrorCheck).StatusCode | Should -Be 503
        $script:fired = Wait-Notification -Status 'firing' -Severity 'page' -TimeoutSeconds 300
        $fired | Should -Not -BeNullOrEmpty -Because 'Alertmanager posts the page alert within minutes of the app failing every probe'
        $fired.Notification.receiver | Should -Be 'webhook'
        $fired.Notification.groupLabels.alertname | Should -Be 'SloErrorBudgetBurn'
        $fired.Alert.labels.alertname | Should -Be 'SloErrorBudgetBurn'
        $fired.Alert.labels.slo | Should -Be $sloName
        $fired.Alert.labels.app | Should -Be 'shop'
        $fired.Alert.labels.severity | Should -Be 'page'
        $fired.Alert.labels.environment | Should -Be $envName
        $fired.Alert.annotations.summary | Should -Match "SLO $sloName"
        # The ticket alert (3x over the scaled 2 min window) fires from the same failure.
        $ticket = Wait-Notification -Status 'firing' -Severity 'ticket' -TimeoutSeconds 180
        $ticket | Should -Not -BeNullOrEmpty
        $ticket.Alert.labels.slo | Should -Be $sloName
    }

    It 'a healthy app again resolves the same alert at the webhook' {
        Invoke-RestMethod -Method Post "$base/switch/${switchName}?fail=0" | Out-Null
        $resolved = Wait-Notification -Status 'resolved' -Severity 'page' -TimeoutSeconds 360
        $resolved | Should -Not -BeNullOrEmpty -Because 'Alertmanager posts the resolution (send_resolved) once both windows are below the threshold'
        $resolved.Alert.fingerprint | Should -Be $fired.Alert.fingerprint
        $resolved.Alert.labels.alertname | Should -Be 'SloErrorBudgetBurn'
        $resolved.Alert.labels.slo | Should -Be $sloName
        $resolved.Alert.labels.severity | Should -Be 'page'
        [datetime]$resolved.Alert.endsAt | Should -BeGreaterThan ([datetime]$fired.Alert.startsAt)
        (Invoke-RestMethod "$($stack.PrometheusUrl)api/v1/query?query=probe_success").data.result[0].value[1] | Should -Be '1'
    }
}
