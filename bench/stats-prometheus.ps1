<#
.SYNOPSIS
    Get-ServiceStats -PrometheusUrl for 50 services on a local Prometheus: wall time per run.
.DESCRIPTION
    Starts the test server (tests/DevOpsTools.StatsEndpoint, which exposes http_requests_total and
    a latency histogram on /metrics) and Debian's prometheus on 127.0.0.1 with a temporary config
    and --storage.tsdb.path, scraping every second: one job, -Services static targets (the same
    server, each with its own app label, so 50 label values of one job, each with its own series).
    hey drives a mix (1 % errors, 5 % slow) through the server for -LoadSeconds, then each of
    -Rounds runs times Get-ServiceStats -PrometheusUrl over a 5m window for every service at once
    (no -Service: the services come from the data), and once more with the 50 names piped in.
    The goal (issue 11): stats for 50 services from Prometheus in under 2 s.
    Writes out/bench/stats-prometheus.md and prints the table; records the load average.
.EXAMPLE
    dotnet pwsh -c "& ./bench/stats-prometheus.ps1 -Services 50 -Rounds 10"
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(1, 1000)]
    [int] $Services = 50,
    [ValidateRange(1, 100)]
    [int] $Rounds = 10,
    [ValidateRange(5, 600)]
    [int] $LoadSeconds = 15
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestSupport.psm1') -Force
foreach ($tool in 'hey', 'prometheus') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is needed (apt-get install hey prometheus)." }
}

$work = New-TestTempDirectory -Prefix 'devopstools-bench-prom'
$server = $null
$prometheus = $null
try {
    $server = Start-TestStatsEndpoint -Directory (Join-Path $work 'server')
    $address = $server.Url -replace '^http://'
    $port = Get-TestFreePort
    $names = @(1..$Services | ForEach-Object { 'svc{0:d3}' -f $_ })
    $targets = ($names | ForEach-Object { "      - targets: [`"$address`"]`n        labels: { app: `"$_`" }" }) -join "`n"
    @"
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: "app-metrics"
    static_configs:
$targets
"@ | Set-Content (Join-Path $work 'prometheus.yml')
    $start = [System.Diagnostics.ProcessStartInfo]::new('prometheus')
    foreach ($a in "--config.file=$(Join-Path $work 'prometheus.yml')", "--storage.tsdb.path=$(Join-Path $work 'data')", "--web.listen-address=127.0.0.1:$port") {
        $start.ArgumentList.Add($a)
    }
    $start.RedirectStandardError = $true
    $start.RedirectStandardOutput = $true
    $prometheus = [System.Diagnostics.Process]::Start($start)
    $prometheus.BeginErrorReadLine(); $prometheus.BeginOutputReadLine()
    $url = "http://127.0.0.1:$port"
    $deadline = (Get-Date).AddSeconds(60)
    do {
        Start-Sleep -Seconds 1
        $up = try { @((Invoke-RestMethod "$url/api/v1/query?query=up==1").data.result).Count } catch { 0 }
    } until ($up -eq $Services -or (Get-Date) -gt $deadline)
    if ($up -ne $Services) { throw "Prometheus scrapes $up of $Services targets." }

    $null = & hey -z "${LoadSeconds}s" -c 4 "$($server.Url)/mix?key=bench&fail=1&slow=5&fastMs=2&slowMs=50" 2>&1
    Start-Sleep -Seconds 3
    $loadBefore = (Get-Content /proc/loadavg).Split(' ')[0]
    $null = Get-ServiceStats -PrometheusUrl $url -Window 5m   # warm-up: JIT, connection
    $times = foreach ($i in 1..$Rounds) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $rows = @(Get-ServiceStats -PrometheusUrl $url -Window 5m)
        $clock.Stop()
        if ($rows.Count -ne $Services -or @($rows | Where-Object { $_.Requests -eq 0 }).Count) { throw "expected $Services services with requests, got $($rows.Count)" }
        $clock.Elapsed.TotalMilliseconds
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $named = @($names | ForEach-Object { [pscustomobject]@{ Service = $_ } } | Get-ServiceStats -PrometheusUrl $url -Window 5m)
    $clock.Stop()
    if ($named.Count -ne $Services) { throw "expected $Services named services, got $($named.Count)" }
    $pipedMs = $clock.Elapsed.TotalMilliseconds
    $loadAfter = (Get-Content /proc/loadavg).Split(' ')[0]

    $sorted = @($times | Sort-Object)
    $median = $sorted[[math]::Floor($sorted.Count / 2)]
    $table = @"
| Services | Runs | Median ms | Min ms | Max ms | 50 names piped, ms | Load before/after |
|---:|---:|---:|---:|---:|---:|---|
| $Services | $Rounds | $('{0:0}' -f $median) | $('{0:0}' -f $sorted[0]) | $('{0:0}' -f $sorted[-1]) | $('{0:0}' -f $pipedMs) | $loadBefore / $loadAfter |
"@
    $out = Join-Path $PSScriptRoot '../out/bench'
    New-Item -ItemType Directory -Force $out | Out-Null
    $table | Set-Content (Join-Path $out 'stats-prometheus.md')
    $table
    $rows[0] | Format-List Service, Requests, ErrorRate, LatencyP50, LatencyP99, Availability, Sources | Out-String
}
finally {
    if ($prometheus -and -not $prometheus.HasExited) { $prometheus.Kill(); $prometheus.WaitForExit(10000) | Out-Null }
    if ($server) { Stop-TestStatsEndpoint $server }
    Remove-TestTempDirectory $work
}
