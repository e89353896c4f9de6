<#
.SYNOPSIS
    Rolling updates of the hello sample app with Deploy-App, on this machine's Podman and on two
    container-host servers, beside the floor: the same update done by hand (bench/deploy/floor.sh).
.DESCRIPTION
    For each target: one deploy of version 1 (warm-up; on servers it includes preparing them and
    sending the images), then -Updates updates alternating versions 2 and 1, timed one by one;
    each followed by one update done by the floor (start the new instance, under a systemd unit on
    servers as the issue asks of the platform, poll its health check
    on the spec's schedule: every 0.2 s during the start period, then every second; reload
    HAProxy, drain 2 s, stop the old one: the platform's own work and waits), on this machine by
    sh and on the servers by OpenSSH with ControlPersist (Deploy-App keeps its connections open
    between cmdlets too); interleaved so that both see the same machine load. The
    module's overhead per deploy is the difference of the medians. Then one more update of each target under hey (4 connections),
    whose status counts are recorded: the goal is zero failed requests. Goal for the overhead:
    under 500 ms per deploy.

    Needs the module's Podman provider (the Debian base image is built by New-Server), hey and
    curl. Uses a temporary DEVOPSTOOLS_HOME and unique environment names, and removes what it made.
    Writes out/bench/deploy.md and prints the table.
.EXAMPLE
    dotnet pwsh -c "& ./bench/deploy.ps1 -Updates 4"
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(1, 50)]
    [int] $Updates = 4,
    [switch] $SkipServers
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf)) {
    $env:CONTAINERS_CONF = Join-Path (Split-Path $ModuleManifest) 'podman/containers.conf'
}
foreach ($tool in 'hey', 'curl', 'ssh') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is needed (apt-get install hey curl openssh-client)." }
}

$repo = Join-Path $PSScriptRoot '..'
$floor = Join-Path $PSScriptRoot 'deploy/floor.sh'
$dataRoot = Join-Path ([IO.Path]::GetTempPath()) ("devopstools-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$env:DEVOPSTOOLS_HOME = $dataRoot
$run = [guid]::NewGuid().ToString('N').Substring(0, 6)
$localEnv = "bdl$run"
$serverEnv = "bds$run"
$port = Get-Random -Minimum 30000 -Maximum 39000
$floorPort = $port + 10
$rows = [System.Collections.Generic.List[object]]::new()
$loads = [System.Collections.Generic.List[object]]::new()
$servers = @()
$sshMux = @()

function Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

function Measure-Seconds([scriptblock] $Work) { (Measure-Command $Work).TotalSeconds }

function Get-Image([int] $i) { if ($i % 2) { 'localhost/devopstools-hello:2' } else { 'localhost/devopstools-hello:1' } }

function Invoke-Loaded([string] $Url, [scriptblock] $Work) {
    # hey for the whole update: its status counts are the zero-downtime evidence.
    $job = Start-ThreadJob { param($u) hey -z 12s -c 4 $u 2>&1 | Out-String } -ArgumentList $Url
    Start-Sleep -Seconds 2
    & $Work | Out-Null
    $report = $job | Wait-Job | Receive-Job
    $job | Remove-Job
    $ok = [regex]::Match($report, '\[200\]\s+(\d+) responses')
    [pscustomobject]@{
        Ok     = if ($ok.Success) { [int]$ok.Groups[1].Value } else { 0 }
        Failed = ([regex]::Matches($report, '\[([013-9]\d\d)\]\s+(\d+) responses') | ForEach-Object { [int]$_.Groups[2].Value } | Measure-Object -Sum).Sum +
                 $(if ($report -match 'Error distribution:\s*((?:\s*\[\d+\][^\n]*\n?)+)') { ([regex]::Matches($Matches[1], '\[(\d+)\]') | ForEach-Object { [int]$_.Groups[1].Value } | Measure-Object -Sum).Sum } else { 0 })
    }
}

$script:loadBefore = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
try {
    $warm = New-Server -Name warm -Environment "bdw$run"
    $warm | Remove-Server -Force
    & (Join-Path $repo 'examples/apps/hello/build.ps1') | Out-Null
    $spec = Join-Path $dataRoot 'hello.yaml'
    (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace('    port: 8080', "    port: 8080`n    publicPort: $port") | Set-Content $spec

    # This machine: Deploy-App, then the floor by sh.
    $first = Measure-Seconds { Deploy-App -Path $spec -Environment $localEnv -TimeoutSec 120 -ErrorAction Stop }
    $env:FLOOR_DIR = Join-Path $dataRoot 'floor'; $env:FLOOR_PORT = $floorPort; $env:FLOOR_BIND = '127.0.0.1'
    sh $floor update localhost/devopstools-hello:1 1
    # Interleaved, one module update then one floor update, so both see the same machine load.
    $module = [Collections.Generic.List[double]]::new(); $floorTimes = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$Updates) {
        $module.Add((Measure-Seconds { Deploy-App -Path $spec -Environment $localEnv -Image (Get-Image $i) -TimeoutSec 120 -ErrorAction Stop }))
        $floorTimes.Add((Measure-Seconds { sh $floor update (Get-Image $i) ($i + 1); if ($LASTEXITCODE) { throw 'floor update failed' } }))
    }
    $rows.Add([pscustomobject]@{ Target = 'this machine'; First = $first; Module = (Median $module); Floor = (Median $floorTimes) })
    $load = Invoke-Loaded "http://127.0.0.1:$port/" { Deploy-App -Path $spec -Environment $localEnv -Image (Get-Image ($Updates + 1)) -TimeoutSec 120 -ErrorAction Stop }
    $loads.Add([pscustomobject]@{ Target = 'this machine (Deploy-App)'; Ok = $load.Ok; Failed = $load.Failed })
    sh $floor clean

    if (-not $SkipServers) {
        # Two container-host servers, one at a time (-MaxUnavailable 1); the floor over OpenSSH, one server after the other.
        $servers = @(New-Server -Name web-1, web-2 -Environment $serverEnv -ContainerHost -Port 8080)
        $specServers = Join-Path $repo 'examples/apps/hello/app.yaml'
        $first = Measure-Seconds { $servers | Deploy-App -Path $specServers -TimeoutSec 300 -ErrorAction Stop }
        $script = Get-Content -Raw $floor
        $knownHosts = Join-Path $dataRoot 'known_hosts'
        # The floor keeps its OpenSSH connections open between updates (ControlPersist, as
        # Ansible does), as Deploy-App keeps its own (DEVOPSTOOLS_SSH_PERSIST): neither pays a
        # handshake per update.
        $script:sshMux = @('-o', 'ControlMaster=auto', '-o', "ControlPath=$dataRoot/cm-%C", '-o', 'ControlPersist=120')
        function Invoke-Floor([string] $Image, [int] $N) {
            foreach ($s in $servers) {
                $script | ssh -q @sshMux -i $s.IdentityFile -p $s.SshPort -o "UserKnownHostsFile=$knownHosts" -o StrictHostKeyChecking=yes -o BatchMode=yes "$($s.User)@127.0.0.1" `
                    sudo env FLOOR_DIR=/var/tmp/devopstools-floor FLOOR_PORT=9080 sh -s update $Image $N
                if ($LASTEXITCODE) { throw "floor update on $($s.Name) failed" }
            }
        }
        Invoke-Floor localhost/devopstools-hello:1 1
        $module = [Collections.Generic.List[double]]::new(); $floorTimes = [Collections.Generic.List[double]]::new()
        foreach ($i in 1..$Updates) {
            $module.Add((Measure-Seconds { $servers | Deploy-App -Path $specServers -Image (Get-Image $i) -MaxUnavailable 1 -TimeoutSec 300 -ErrorAction Stop }))
            $floorTimes.Add((Measure-Seconds { Invoke-Floor (Get-Image $i) ($i + 1) }))
        }
        $rows.Add([pscustomobject]@{ Target = '2 servers, one at a time'; First = $first; Module = (Median $module); Floor = (Median $floorTimes) })
        $url = (($servers | Get-AppDeployment hello) | Select-Object -First 1).Endpoints[0].Url
        $load = Invoke-Loaded $url { $servers | Deploy-App -Path $specServers -Image (Get-Image ($Updates + 1)) -MaxUnavailable 1 -TimeoutSec 300 -ErrorAction Stop }
        $loads.Add([pscustomobject]@{ Target = '2 servers (Deploy-App; hey on one server''s endpoint)'; Ok = $load.Ok; Failed = $load.Failed })
    }
}
finally {
    Remove-App hello -Environment $localEnv -RemoveVolumes -Force -ErrorAction SilentlyContinue | Out-Null
    if (Test-Path (Join-Path $dataRoot 'floor')) { $env:FLOOR_DIR = Join-Path $dataRoot 'floor'; sh $floor clean }
    if ($servers) {
        foreach ($s in $servers) { if ($sshMux.Count) { ssh -q @sshMux -p $s.SshPort -O exit "$($s.User)@127.0.0.1" 2>$null } }
        $servers | Remove-Server -Force -ErrorAction SilentlyContinue
    }
    if ((Split-Path -Leaf $dataRoot) -like 'devopstools-bench-*' -and (Test-Path $dataRoot)) { Remove-Item -LiteralPath $dataRoot -Recurse -Force }
}

$lines = [System.Collections.Generic.List[string]]::new()
$lines.Add("$(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC, load average before and after: $script:loadBefore / $((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3)")
$lines.Add('')
$lines.Add("| target | first deploy | update, Deploy-App (median of $Updates) | update, floor (median) | module overhead |")
$lines.Add('|---|---|---|---|---|')
foreach ($r in $rows) {
    $lines.Add(('| {0} | {1:0.00} s | {2:0.00} s | {3:0.00} s | **{4:0} ms** |' -f $r.Target, $r.First, $r.Module, $r.Floor, (($r.Module - $r.Floor) * 1000)))
}
$lines.Add('')
$lines.Add('| update under hey -c 4 | 200 responses | failed or non-200 |')
$lines.Add('|---|---|---|')
foreach ($l in $loads) { $lines.Add(('| {0} | {1} | {2} |' -f $l.Target, $l.Ok, $l.Failed)) }
$outDir = New-Item -ItemType Directory -Force (Join-Path $PSScriptRoot '../out/bench')
$lines | Set-Content (Join-Path $outDir 'deploy.md')
$lines | Write-Output
