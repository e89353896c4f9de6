<#
.SYNOPSIS
    Get-ServiceStats' probe engine beside hey and wrk against one local nginx endpoint: requests
    per second, p50 and p99 at the same concurrency (and, with hey, the same request count).
.DESCRIPTION
    Starts Debian's nginx as this user on 127.0.0.1 (a temporary prefix, one worker per CPU,
    keep-alive, a 2-byte body from `return 200`), then for each concurrency (8 and 64) runs
    -Rounds rounds; each round runs hey and Get-ServiceStats once each, in alternating order, so
    both see the same machine load. Both are closed-model (no rate), reuse connections and read
    whole bodies. wrk (duration-based) then runs for as long as that round's hey run took, with
    min(concurrency, CPUs) threads. Reports the median over rounds of each figure and the ratios
    to hey and to wrk. The goal (issue 11): throughput ratio to hey >= 1.0, p50 and p99 within 5 %
    of hey's; the ratio to wrk is reported.
    Writes out/bench/stats.md and prints the table; records the load average before and after.
.EXAMPLE
    dotnet pwsh -c "& ./bench/stats.ps1 -Requests 20000 -Rounds 3"
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(100, 10000000)]
    [int] $Requests = 20000,
    [ValidateRange(1, 20)]
    [int] $Rounds = 3,
    [int[]] $Concurrency = @(8, 64)
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
foreach ($tool in 'hey', 'wrk', 'nginx') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is needed (apt-get install hey wrk nginx)." }
}

Import-Module (Join-Path $PSScriptRoot 'BenchNginx.psm1') -Force

# hey gives each of its c workers n/c requests (integer division), so a count that is a multiple
# of c is the only one both tools send in full.
function Get-Count([int] $c) { [math]::Floor($Requests / $c) * $c }

function Invoke-Hey([int] $c) {
    $text = & hey -n (Get-Count $c) -c $c "http://127.0.0.1:$port/" 2>&1 | Out-String
    $rps = [double]([regex]::Match($text, 'Requests/sec:\s+([\d.]+)').Groups[1].Value)
    $p50 = [double]([regex]::Match($text, '50% in ([\d.]+) secs').Groups[1].Value) * 1000
    $p99 = [double]([regex]::Match($text, '99% in ([\d.]+) secs').Groups[1].Value) * 1000
    $ok = [regex]::Match($text, '\[200\]\s+(\d+) responses').Groups[1].Value
    if ($ok -ne "$(Get-Count $c)") { throw "hey: not every request answered 200:`n$text" }
    [pscustomobject]@{ Rps = $rps; P50 = $p50; P99 = $p99; Seconds = (Get-Count $c) / $rps }
}

# wrk prints latencies with their own unit (us, ms, s).
function ConvertTo-Ms([string] $value) {
    $m = [regex]::Match($value, '^([\d.]+)(us|ms|s)$')
    if (-not $m.Success) { throw "wrk: cannot read latency '$value'" }
    $n = [double]::Parse($m.Groups[1].Value, [cultureinfo]::InvariantCulture)
    switch ($m.Groups[2].Value) { 'us' { $n / 1000 } 'ms' { $n } 's' { $n * 1000 } }
}

function Invoke-Wrk([int] $c, [double] $seconds) {
    $threads = [math]::Max(1, [math]::Min($c, [Environment]::ProcessorCount))
    $duration = [math]::Max(1, [math]::Ceiling($seconds))
    $text = & wrk -t $threads -c $c -d "${duration}s" --latency "http://127.0.0.1:$port/" 2>&1 | Out-String
    if ($text -match 'Non-2xx or 3xx responses: (\d+)') { throw "wrk: $($Matches[1]) requests did not answer 200:`n$text" }
    [pscustomobject]@{
        Rps = [double]([regex]::Match($text, 'Requests/sec:\s+([\d.]+)').Groups[1].Value)
        P50 = ConvertTo-Ms ([regex]::Match($text, '(?m)^\s+50%\s+(\S+)').Groups[1].Value)
        P99 = ConvertTo-Ms ([regex]::Match($text, '(?m)^\s+99%\s+(\S+)').Groups[1].Value)
    }
}

function Invoke-Probe([int] $c) {
    $s = Get-ServiceStats -Url "http://127.0.0.1:$port/" -Requests (Get-Count $c) -Concurrency $c -ProgressAction SilentlyContinue
    if ($s.Failures -ne 0) { throw "Get-ServiceStats: $($s.Failures) failures ($($s.Reason))" }
    [pscustomobject]@{ Rps = $s.Throughput; P50 = $s.LatencyP50; P99 = $s.LatencyP99 }
}

function Get-Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[[math]::Floor($n / 2)] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

$loadBefore = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
$nginx = Start-BenchNginx
$port = $nginx.Port
try {
    # Warm-up: JIT and connection pools on both sides, not measured.
    $null = Invoke-Probe 8
    $null = & hey -n 1000 -c 8 "http://127.0.0.1:$port/" 2>&1
    $rows = foreach ($c in $Concurrency) {
        $hey = [System.Collections.Generic.List[object]]::new()
        $probe = [System.Collections.Generic.List[object]]::new()
        $wrk = [System.Collections.Generic.List[object]]::new()
        for ($r = 0; $r -lt $Rounds; $r++) {
            if ($r % 2) { $probe.Add((Invoke-Probe $c)); $hey.Add((Invoke-Hey $c)) }
            else { $hey.Add((Invoke-Hey $c)); $probe.Add((Invoke-Probe $c)) }
            $wrk.Add((Invoke-Wrk $c $hey[-1].Seconds))
        }
        $w = [pscustomobject]@{ Rps = Get-Median $wrk.Rps; P50 = Get-Median $wrk.P50; P99 = Get-Median $wrk.P99 }
        $h = [pscustomobject]@{ Rps = Get-Median $hey.Rps; P50 = Get-Median $hey.P50; P99 = Get-Median $hey.P99 }
        $p = [pscustomobject]@{ Rps = Get-Median $probe.Rps; P50 = Get-Median $probe.P50; P99 = Get-Median $probe.P99 }
        [pscustomobject]@{
            Concurrency = $c
            HeyRps      = [math]::Round($h.Rps); ProbeRps = [math]::Round($p.Rps); RpsRatio = [math]::Round($p.Rps / $h.Rps, 2)
            HeyP50      = [math]::Round($h.P50, 2); ProbeP50 = [math]::Round($p.P50, 2); P50Ratio = [math]::Round($p.P50 / $h.P50, 2)
            HeyP99      = [math]::Round($h.P99, 2); ProbeP99 = [math]::Round($p.P99, 2); P99Ratio = [math]::Round($p.P99 / $h.P99, 2)
            WrkRps      = [math]::Round($w.Rps); WrkRatio = [math]::Round($p.Rps / $w.Rps, 2)
            WrkP50      = [math]::Round($w.P50, 2); WrkP99 = [math]::Round($w.P99, 2)
        }
    }
}
finally {
    Stop-BenchNginx $nginx
}
$loadAfter = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3

$wrkLines = @(
    ''
    '| Concurrency | wrk req/s | probe/wrk | wrk p50 ms | wrk p99 ms |'
    '|---:|---:|---:|---:|---:|'
) + @($rows | ForEach-Object { "| $($_.Concurrency) | $($_.WrkRps) | $($_.WrkRatio) | $($_.WrkP50) | $($_.WrkP99) |" })
$lines = @(
    "Requests per run: $Requests; rounds: $Rounds (medians); load average before $($loadBefore -join ' '), after $($loadAfter -join ' '); $([Environment]::ProcessorCount) vCPU"
    ''
    '| Concurrency | hey req/s | probe req/s | ratio | hey p50 ms | probe p50 ms | ratio | hey p99 ms | probe p99 ms | ratio |'
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
) + @($rows | ForEach-Object { "| $($_.Concurrency) | $($_.HeyRps) | $($_.ProbeRps) | $($_.RpsRatio) | $($_.HeyP50) | $($_.ProbeP50) | $($_.P50Ratio) | $($_.HeyP99) | $($_.ProbeP99) | $($_.P99Ratio) |" })
$lines += $wrkLines
$outDir = New-Item -ItemType Directory -Force (Join-Path $PSScriptRoot '../out/bench')
$lines | Set-Content (Join-Path $outDir 'stats.md')
$lines -join "`n"
