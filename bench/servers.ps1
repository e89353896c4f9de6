<#
.SYNOPSIS
    Benchmarks Podman servers: time until N servers answer SSH (N = 1, 5, 10; warm and, with
    -Cold, with the server image removed first), and Invoke-ServerCommand on 10 servers against
    `ssh` in a shell loop.
.DESCRIPTION
    Uses a temporary DEVOPSTOOLS_HOME and unique environment names (bench-<random>-n<N>) and
    removes every server it created. -Cold removes the module's server image before each cold
    run (only when no container uses it), so each cold run pays the debootstrap build.
.EXAMPLE
    dotnet pwsh bench/servers.ps1 -Cold
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [int[]] $Count = @(1, 5, 10),
    [switch] $Cold,
    [int] $Repeat = 5
)
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf)) {
    $env:CONTAINERS_CONF = Join-Path (Split-Path $ModuleManifest) 'podman/containers.conf'
}
$dataRoot = Join-Path ([IO.Path]::GetTempPath()) ("devopstools-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$env:DEVOPSTOOLS_HOME = $dataRoot
$run = [guid]::NewGuid().ToString('N').Substring(0, 6)
$results = [System.Collections.Generic.List[object]]::new()

function Measure-Create([int] $n, [string] $mode) {
    $envName = "bench-$run-$mode-n$n"
    $names = 1..$n | ForEach-Object { "s$_" }
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $servers = @(New-Server -Name $names -Environment $envName -ThrottleLimit 10)
    $seconds = $watch.Elapsed.TotalSeconds
    if ($servers.Count -ne $n) { throw "Only $($servers.Count) of $n servers were created." }
    $results.Add([pscustomobject]@{ Measure = "New-Server, $mode"; N = $n; Seconds = [math]::Round($seconds, 2) })
    Write-Host ("{0,-5} N={1,-3} ready in {2,6:N2} s" -f $mode, $n, $seconds)
    return , $servers
}

try {
    foreach ($n in $Count) {
        if ($Cold) {
            $image = (& podman images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=localhost/devopstools/debian12') | Select-Object -First 1
            if ($image) {
                & podman rmi $image *> $null
                if ($LASTEXITCODE -ne 0) { Write-Warning "Image $image is in use; skipping the cold run for N=$n."; continue }
            }
            $servers = Measure-Create $n 'cold'
            $servers | Remove-Server -Force
        }
    }

    foreach ($n in $Count) {
        $servers = Measure-Create $n 'warm'
        if ($n -eq ($Count | Measure-Object -Maximum).Maximum) {
            # Round trip on every server: Invoke-ServerCommand (connect + run, in parallel) vs ssh in a loop.
            $null = $servers | Invoke-ServerCommand 'true'
            $invoke = foreach ($i in 1..$Repeat) {
                $w = [Diagnostics.Stopwatch]::StartNew()
                $out = @($servers | Invoke-ServerCommand 'uname -n')
                if ($out.Count -ne $n) { throw 'missing results' }
                $w.Elapsed.TotalSeconds
            }
            $key = Join-Path $dataRoot "keys/$($servers[0].Environment)/id_ed25519"
            $known = Join-Path $dataRoot 'known_hosts'
            $ports = ($servers.SshPort) -join ' '
            $loop = "for p in $ports; do ssh -q -i '$key' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$known' -p `$p admin@127.0.0.1 uname -n >/dev/null || exit 1; done"
            $ssh = foreach ($i in 1..$Repeat) {
                $w = [Diagnostics.Stopwatch]::StartNew()
                & bash -c $loop
                if ($LASTEXITCODE -ne 0) { throw 'ssh loop failed' }
                $w.Elapsed.TotalSeconds
            }
            $median = { param($xs) $s = @($xs | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
            $results.Add([pscustomobject]@{ Measure = 'Invoke-ServerCommand (median)'; N = $n; Seconds = [math]::Round((& $median $invoke), 3) })
            $results.Add([pscustomobject]@{ Measure = 'ssh in a shell loop (median)'; N = $n; Seconds = [math]::Round((& $median $ssh), 3) })
        }
        $servers | Remove-Server -Force
    }
}
finally {
    foreach ($e in (Get-Server | Where-Object Environment -like "bench-$run-*" | Select-Object -ExpandProperty Environment -Unique)) {
        Get-Server -Environment $e | Remove-Server -Force -ErrorAction SilentlyContinue
    }
    if ((Split-Path -Leaf $dataRoot) -like 'devopstools-bench-*' -and (Test-Path $dataRoot)) { Remove-Item -LiteralPath $dataRoot -Recurse -Force }
}

$results | Format-Table -AutoSize | Out-Host
$results
