<#
.SYNOPSIS
    Backup-AppData and Restore-AppData beside pg_dump and pg_restore run by hand, on one PostgreSQL
    database of about -SizeMB megabytes in a data service container on this machine.
.DESCRIPTION
    Sets up a temporary DEVOPSTOOLS_HOME and an environment file with one data service
    (`container: true`, a free loopback port), deploys it with Deploy-DataService, fills one table
    (bigserial primary key, a 65-character text of two md5 values per row) until
    pg_database_size reaches -SizeMB, and reports that size.
    Each of -Rounds rounds then times, in alternating order (odd rounds the module first, even
    rounds by hand first), so both see the same machine load and page cache:
      backup  - Backup-AppData (pg_dump -Fc in the container, streamed into the module's file,
                SHA-256 while written, manifest, retention) against
                `podman exec -- <container> pg_dump -Fc -h /run/postgresql -d <db> > file`;
      restore - Restore-AppData -Force (SHA-256 checked first, then pg_restore) against
                `podman exec -i -- <container> pg_restore --clean --if-exists --single-transaction
                --exit-on-error -h /run/postgresql -d <db> < file`,
    the same pg_dump and pg_restore options the module uses (src/DevOpsTools.Engine/Data/Backups/
    DataBackups.cs). The commands by hand run in bash, as a person would type them, with the same
    podman configuration the module gives podman. After each restore (untimed) the row count is
    checked. Reports the median wall seconds, MB/s (database size / seconds) and the module's
    overhead in % per operation. The goal (issue 10): overhead under 5 %.
    Writes out/bench/data.md and prints the table; records the load average before and after.
    Everything it creates (container and volume by the environment's label, the temporary
    directory) is removed in a finally block, also on Ctrl+C.
.EXAMPLE
    dotnet pwsh -c "& ./bench/data.ps1 -SizeMB 64 -Rounds 1"    # a quick check
.EXAMPLE
    dotnet pwsh -c "& ./bench/data.ps1"                         # 1 GB, 3 rounds
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(16, 65536)]
    [int] $SizeMB = 1024,
    [ValidateRange(1, 20)]
    [int] $Rounds = 3
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
foreach ($tool in 'podman', 'bash') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is needed." }
}

# The commands by hand get the podman configuration the module uses when the user has none of
# their own (PodmanCli), so both sides run the same podman.
$userConf = Join-Path ($env:XDG_CONFIG_HOME ? $env:XDG_CONFIG_HOME : (Join-Path $HOME '.config')) 'containers/containers.conf'
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf) -and -not (Test-Path $userConf)) {
    $env:CONTAINERS_CONF = (Resolve-Path (Join-Path $PSScriptRoot '../src/DevOpsTools.Engine/Resources/podman/containers.conf')).Path
}

$environment = 'dtbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
$work = Join-Path ([IO.Path]::GetTempPath()) "devopstools-bench-data-$environment"
$previousHome = $env:DEVOPSTOOLS_HOME
$database = 'shop'
$loadBefore = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '

function Invoke-Psql([string] $Container, [string] $Sql) {
    $out = & podman exec -- $Container psql -X -v ON_ERROR_STOP=1 -h /run/postgresql -d $database -Atc $Sql
    if ($LASTEXITCODE -ne 0) { throw "psql failed ($LASTEXITCODE): $Sql" }
    $out
}
function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}
function Measure-Seconds([scriptblock] $Action) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & $Action
    $watch.Stop()
    $watch.Elapsed.TotalSeconds
}

try {
    New-Item -ItemType Directory -Force (Join-Path $work 'home'), (Join-Path $work 'module'), (Join-Path $work 'plain') | Out-Null
    $env:DEVOPSTOOLS_HOME = Join-Path $work 'home'
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $storageMi = [math]::Max(256, $SizeMB * 3)
    $envFile = Join-Path $work 'env.yaml'
    Set-Content -Path $envFile -NoNewline -Value @"
name: $environment
servers:
  - name: db
    role: db
data:
  - name: main
    engine: postgresql
    version: 15
    container: true
    port: $port
    storage: ${storageMi}Mi
    users: [{ name: shop }]
    databases: [{ name: shop, owner: shop }]
    backup: { keep: 2 }
"@
    $service = Import-DevOpsEnvironment $envFile | Deploy-DataService
    $container = $service.Container
    Write-Host "Data service $environment/main in $container on 127.0.0.1:$port"

    # Fill: a first batch tells the bytes per row, then batches of at most 2M rows to the size.
    Invoke-Psql $container 'SET ROLE shop; CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text NOT NULL)' | Out-Null
    $target = [long] $SizeMB * 1MB
    $empty = [long] (Invoke-Psql $container "SELECT pg_database_size('shop')")
    $rows = 0L; $batch = 200000L
    $fillWatch = [Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        Invoke-Psql $container "SET ROLE shop; INSERT INTO bench_rows (payload) SELECT md5(random()::text) || '-' || md5(random()::text) FROM generate_series(1, $batch)" | Out-Null
        $rows += $batch
        $size = [long] (Invoke-Psql $container "SELECT pg_database_size('shop')")
        if ($size -ge $target) { break }
        $perRow = [math]::Max(1.0, ($size - $empty) / $rows)
        $batch = [long] [math]::Min(2000000, [math]::Max(10000, [math]::Ceiling(($target - $size) / $perRow)))
        Write-Host ("  filled {0:N0} rows, {1:N0} MB" -f $rows, ($size / 1MB))
    }
    $fillSeconds = $fillWatch.Elapsed.TotalSeconds
    Invoke-Psql $container 'VACUUM ANALYZE bench_rows' | Out-Null
    $rows = [long] (Invoke-Psql $container 'SELECT count(*) FROM bench_rows')
    $dbBytes = [long] (Invoke-Psql $container "SELECT pg_database_size('shop')")
    $dbMB = $dbBytes / 1MB
    Write-Host ("Database shop: {0:N0} rows, pg_database_size {1:N1} MB (filled in {2:N0} s)" -f $rows, $dbMB, $fillSeconds)

    $data = (Import-DevOpsEnvironment $envFile).Data
    $times = @{ ModuleBackup = @(); PlainBackup = @(); ModuleRestore = @(); PlainRestore = @() }
    $dumpBytes = @{ Module = 0L; Plain = 0L }
    $plainFile = Join-Path $work 'plain/shop.dump'
    $moduleDir = Join-Path $work 'module'

    $moduleBackup = {
        $script:lastBackup = $data | Backup-AppData -Path $moduleDir -Keep 1 -Confirm:$false
    }
    $plainBackup = {
        & bash -c 'podman exec -- "$1" pg_dump -Fc -h /run/postgresql -d "$2" > "$3"' bench $container $database $plainFile
        if ($LASTEXITCODE -ne 0) { throw "pg_dump by hand failed ($LASTEXITCODE)" }
    }
    $moduleRestore = {
        $script:lastBackup | Restore-AppData -Force -Confirm:$false | Out-Null
    }
    $plainRestore = {
        & bash -c 'podman exec -i -- "$1" pg_restore --clean --if-exists --single-transaction --exit-on-error -h /run/postgresql -d "$2" < "$3"' bench $container $database $plainFile
        if ($LASTEXITCODE -ne 0) { throw "pg_restore by hand failed ($LASTEXITCODE)" }
    }
    function Assert-Rows([string] $After) {
        $count = [long] (Invoke-Psql $container 'SELECT count(*) FROM bench_rows')
        if ($count -ne $rows) { throw "after $After the table has $count rows, not $rows" }
    }

    for ($round = 1; $round -le $Rounds; $round++) {
        $moduleFirst = ($round % 2) -eq 1
        $order = if ($moduleFirst) { 'module first' } else { 'by hand first' }
        foreach ($op in 'Backup', 'Restore') {
            $pair = if ($op -eq 'Backup') { @(@('Module', $moduleBackup), @('Plain', $plainBackup)) } else { @(@('Module', $moduleRestore), @('Plain', $plainRestore)) }
            if (-not $moduleFirst) { [array]::Reverse($pair) }
            foreach ($side in $pair) {
                $seconds = Measure-Seconds $side[1]
                $times["$($side[0])$op"] += $seconds
                if ($op -eq 'Restore') { Assert-Rows "$($side[0]) restore" }
            }
        }
        $dumpBytes.Module = $script:lastBackup.SizeBytes
        $dumpBytes.Plain = (Get-Item $plainFile).Length
        Write-Host ("Round {0} ({1}): backup module {2:N2} s, by hand {3:N2} s; restore module {4:N2} s, by hand {5:N2} s" -f $round, $order,
            $times.ModuleBackup[-1], $times.PlainBackup[-1], $times.ModuleRestore[-1], $times.PlainRestore[-1])
    }

    $loadAfter = (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' '
    $lines = @(
        "Database: $rows rows, pg_database_size $([math]::Round($dbMB, 1)) MB; dumps: module $([math]::Round($dumpBytes.Module / 1MB, 1)) MB, by hand $([math]::Round($dumpBytes.Plain / 1MB, 1)) MB"
        "Rounds: $Rounds (medians); load average before: $loadBefore, after: $loadAfter"
        ''
        '| Operation | Module s | Module MB/s | By hand s | By hand MB/s | Overhead |'
        '|---|---:|---:|---:|---:|---:|'
    )
    $overheads = @{}
    foreach ($op in 'Backup', 'Restore') {
        $m = Get-Median $times["Module$op"]; $p = Get-Median $times["Plain$op"]
        $overheads[$op] = ($m - $p) / $p * 100
        $lines += '| {0} | {1:N2} | {2:N1} | {3:N2} | {4:N1} | {5:+0.0;-0.0} % |' -f $op, $m, ($dbMB / $m), $p, ($dbMB / $p), $overheads[$op]
    }
    $met = ($overheads.Values | Where-Object { $_ -ge 5 }).Count -eq 0
    $lines += ''
    $lines += "Goal (module overhead under 5 % on both): $(if ($met) { 'met' } else { 'not met' })"
    $lines += ''
    $lines += 'Per round (s): ' + (@('ModuleBackup', 'PlainBackup', 'ModuleRestore', 'PlainRestore' | ForEach-Object { "$_ " + (($times[$_] | ForEach-Object { '{0:N2}' -f $_ }) -join ', ') }) -join '; ')
    $outDir = Join-Path $PSScriptRoot '../out/bench'
    New-Item -ItemType Directory -Force $outDir | Out-Null
    $lines | Set-Content (Join-Path $outDir 'data.md')
    $lines | Write-Output
}
finally {
    # Also on Ctrl+C: the service's container and volume by the environment's label, then the
    # temporary directory (only that one, under the temp folder).
    foreach ($id in @(& podman ps -a -q --filter "label=devopstools.environment=$environment" 2>$null)) { & podman rm -f -t 0 -- $id 2>$null | Out-Null }
    foreach ($v in @(& podman volume ls -q --filter "label=devopstools.environment=$environment" 2>$null)) { & podman volume rm -f -- $v 2>$null | Out-Null }
    & podman volume rm -f -- "devopstools-data-$environment-main" 2>$null | Out-Null
    $env:DEVOPSTOOLS_HOME = $previousHome
    $temp = [IO.Path]::GetFullPath([IO.Path]::GetTempPath())
    if ((Test-Path $work) -and [IO.Path]::GetFullPath($work).StartsWith($temp) -and (Split-Path -Leaf $work) -like 'devopstools-bench-data-dtbench-*') {
        Remove-Item -Recurse -Force -LiteralPath $work
    }
}
