<#
.SYNOPSIS
    The working set of one long Get-ServiceStats probe at a flat open-model rate (issue 11):
    memory at 1, 2, 5 and 10 minutes of a run against local nginx, and the figures of the run.
.DESCRIPTION
    Starts Debian's nginx as this user on 127.0.0.1 exactly as bench/stats.ps1 does (a temporary
    prefix, one worker per CPU, keep-alive, a 2-byte body from `return 200`), then runs
    `Get-ServiceStats -Url ... -Duration -Rate -Concurrency` in a child pwsh process, so the
    working set measured is the probe's alone. Every -SampleSeconds this script reads the child's
    VmRSS from /proc/<pid>/status; inside the child a second runspace logs the managed heap
    (GC.GetTotalMemory, GC.GetGCMemoryInfo() heap size and committed bytes), the GC counts and the
    thread pool's size at the same pace, and this script reads the child's thread count, so growth,
    if any, can be told apart as managed (retained objects), GC-committed, thread stacks or other
    native memory.
    Times are measured from the moment the child starts the probe (after its module import).
    Reports RSS, threads and heap at 1, 2, 5 and 10 minutes (the marks within -Minutes), their maxima,
    and the achieved throughput, requests, failures, p50 and p99. nginx and the child are
    stopped in a finally whatever happens.
    Writes out/bench/stats-memory.md and prints the table; records the load average before and after.
.EXAMPLE
    dotnet pwsh -c "& ./bench/stats-memory.ps1 -Minutes 10 -Rate 5000 -Concurrency 32"
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(0.1, 120)]
    [double] $Minutes = 10,
    [ValidateRange(1, 1000000)]
    [double] $Rate = 5000,
    [ValidateRange(1, 10000)]
    [int] $Concurrency = 32,
    [ValidateRange(1, 60)]
    [int] $SampleSeconds = 5
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path $ModuleManifest).Path

Import-Module (Join-Path $PSScriptRoot 'BenchNginx.psm1') -Force

$duration = [TimeSpan]::FromMinutes($Minutes)

# The child: import the module, warm up briefly (JIT, connection pool: not measured), start the
# heap logger in its own runspace, mark the start, run the probe, write the result as JSON.
# It runs from a file; values reach it as arguments, not spliced into the script.
$childScript = {
    param($manifest, $url, $ticks, $rate, $concurrency, $sampleSeconds, $startedFile, $heapFile, $resultFile, $errorFile)
    $ErrorActionPreference = 'Stop'
    try {
        Import-Module $manifest
        $null = Get-ServiceStats -Url $url -Requests 2000 -Concurrency 8 -ProgressAction SilentlyContinue
        $logger = [powershell]::Create()
        $null = $logger.AddScript({
            param($file, $seconds)
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while ($true) {
                $info = [GC]::GetGCMemoryInfo()
                '{0:F1},{1},{2},{3},{4},{5},{6}' -f $clock.Elapsed.TotalSeconds, [GC]::GetTotalMemory($false), $info.HeapSizeBytes,
                    [GC]::CollectionCount(0), [GC]::CollectionCount(2), $info.TotalCommittedBytes, [Threading.ThreadPool]::ThreadCount | Add-Content $file
                Start-Sleep -Seconds $seconds
            }
        }).AddArgument($heapFile).AddArgument($sampleSeconds)
        $null = $logger.BeginInvoke()
        Set-Content $startedFile ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())
        $s = Get-ServiceStats -Url $url -Duration ([TimeSpan]::new([long]$ticks)) -Rate $rate -Concurrency $concurrency -ProgressAction SilentlyContinue
        $s | Select-Object Requests, Failures, Throughput, LatencyP50, LatencyP99, LatencyMax, @{ n = 'Status'; e = { "$($_.Status)" } }, Reason |
            ConvertTo-Json -Depth 3 | Set-Content $resultFile
        $logger.Stop()
    }
    catch {
        "$_`n$($_.ScriptStackTrace)" | Set-Content $errorFile
        exit 1
    }
}

# The child's resident set and its thread count (each thread's touched stack is resident too).
function Get-ProcStatus([int] $processId) {
    $text = Get-Content -Raw "/proc/$processId/status" -ErrorAction SilentlyContinue
    if (-not $text) { return $null }
    [pscustomobject]@{
        Rss     = [long][regex]::Match($text, 'VmRSS:\s+(\d+) kB').Groups[1].Value * 1024
        Threads = [int][regex]::Match($text, 'Threads:\s+(\d+)').Groups[1].Value
    }
}

function Get-SampleAt([object[]] $samples, [double] $seconds) {
    # The sample nearest the mark (the sampler's pace is a few seconds).
    $samples | Sort-Object { [math]::Abs($_.Seconds - $seconds) } | Select-Object -First 1
}

$loadBefore = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
$nginx = Start-BenchNginx
$prefix = $nginx.Prefix
$port = $nginx.Port
# The child's files go beside nginx's, in the directory Stop-BenchNginx removes.
$startedFile = Join-Path $prefix 'probe-started'
$heapFile = Join-Path $prefix 'heap.csv'
$resultFile = Join-Path $prefix 'result.json'
$errorFile = Join-Path $prefix 'error.txt'
$child = $null
$samples = [System.Collections.Generic.List[object]]::new()
try {
    # The same runtime and pwsh as this one: under `dotnet pwsh` that is dotnet plus pwsh.dll.
    $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    $entry = [Environment]::GetCommandLineArgs()[0]
    if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet' -and $entry -like '*.dll') { $start.ArgumentList.Add($entry) }
    # The child script as a file, its values as separate arguments (data, not code).
    $childFile = Join-Path $prefix 'child.ps1'
    $childScript.ToString() | Set-Content $childFile
    foreach ($a in '-NoProfile', '-NonInteractive', '-File', $childFile, $ModuleManifest, "http://127.0.0.1:$port/",
        $duration.Ticks, $Rate, $Concurrency, $SampleSeconds, $startedFile, $heapFile, $resultFile, $errorFile) { $start.ArgumentList.Add("$a") }
    $start.UseShellExecute = $false
    $child = [Diagnostics.Process]::Start($start)

    while (-not (Test-Path $startedFile) -and -not $child.HasExited) { Start-Sleep -Milliseconds 200 }
    if ($child.HasExited) { throw "the child pwsh ended before the probe started: $(Get-Content -Raw $errorFile -ErrorAction SilentlyContinue)" }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $atStart = Get-ProcStatus $child.Id
    while (-not $child.HasExited) {
        $status = Get-ProcStatus $child.Id
        if ($null -ne $status) { $samples.Add([pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Rss = $status.Rss; Threads = $status.Threads }) }
        $null = $child.WaitForExit($SampleSeconds * 1000)
    }
    if ($child.ExitCode -ne 0 -or -not (Test-Path $resultFile)) {
        throw "the child pwsh failed (exit $($child.ExitCode)): $(Get-Content -Raw $errorFile -ErrorAction SilentlyContinue)"
    }
    $result = Get-Content -Raw $resultFile | ConvertFrom-Json
    $heap = @(Get-Content $heapFile | ForEach-Object {
        $f = $_ -split ','
        [pscustomobject]@{
            Seconds = [double]$f[0]; Total = [long]$f[1]; HeapSize = [long]$f[2]; Gen0 = [long]$f[3]; Gen2 = [long]$f[4]
            Committed = [long]$f[5]; PoolThreads = [int]$f[6]
        }
    })
}
finally {
    if ($child -and -not $child.HasExited) { $child.Kill($true); $null = $child.WaitForExit(5000) }
    Stop-BenchNginx $nginx
}
$loadAfter = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3

$mb = { param($bytes) [math]::Round($bytes / 1MB, 1) }
$marks = @(1, 2, 5, 10) | Where-Object { $_ -le $Minutes + 1e-9 }
if (-not $marks) { $marks = @($Minutes) }
$lines = @(
    "Rate $Rate req/s (open model), concurrency $Concurrency, $Minutes min; RSS sampled every ${SampleSeconds} s; load average before $($loadBefore -join ' '), after $($loadAfter -join ' '); $([Environment]::ProcessorCount) vCPU"
    ''
    '| Minute | RSS MiB | threads | pool threads | GetTotalMemory MiB | GC heap MiB | GC committed MiB | gen0 GCs | gen2 GCs |'
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    "| 0 (start) | $(& $mb $atStart.Rss) | $($atStart.Threads) | $($heap[0].PoolThreads) | $(& $mb $heap[0].Total) | $(& $mb $heap[0].HeapSize) | $(& $mb $heap[0].Committed) | $($heap[0].Gen0) | $($heap[0].Gen2) |"
)
foreach ($m in $marks) {
    $r = Get-SampleAt $samples.ToArray() ($m * 60)
    $h = Get-SampleAt $heap ($m * 60)
    $lines += "| $m | $(& $mb $r.Rss) | $($r.Threads) | $($h.PoolThreads) | $(& $mb $h.Total) | $(& $mb $h.HeapSize) | $(& $mb $h.Committed) | $($h.Gen0) | $($h.Gen2) |"
}
$max = { param($values) ($values | Measure-Object -Maximum).Maximum }
$lines += "| max | $(& $mb (& $max $samples.Rss)) | $(& $max $samples.Threads) | $(& $max $heap.PoolThreads) | $(& $mb (& $max $heap.Total)) | $(& $mb (& $max $heap.HeapSize)) | $(& $mb (& $max $heap.Committed)) | | |"
$lines += @(
    ''
    '| Requests | Failures | req/s | p50 ms | p99 ms | max ms | status |'
    '|---:|---:|---:|---:|---:|---:|---|'
    "| $($result.Requests) | $($result.Failures) | $([math]::Round($result.Throughput)) | $([math]::Round($result.LatencyP50, 2)) | $([math]::Round($result.LatencyP99, 2)) | $([math]::Round($result.LatencyMax, 2)) | $($result.Status) |"
)
$outDir = New-Item -ItemType Directory -Force (Join-Path $PSScriptRoot '../out/bench')
$lines | Set-Content (Join-Path $outDir 'stats-memory.md')
$samples | ForEach-Object { '{0:F0},{1},{2}' -f $_.Seconds, $_.Rss, $_.Threads } | Set-Content (Join-Path $outDir 'stats-memory-rss.csv')
$lines -join "`n"
