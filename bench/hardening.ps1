<#
.SYNOPSIS
    Fleet benchmark of Set-Hardening / Test-Hardening against Debian's Ansible 7.7 running
    bench/ansible/hardening.yml (the same Baseline controls with ordinary modules, default
    forks, pipelining on), on N = 1, 5, 10 fresh Podman servers, and against the apt floor: the
    same apt work (apt-get update, then one apt-get install of exactly the packages Set-Hardening
    installed) on N other fresh servers in parallel, without the module.
.DESCRIPTION
    Needs New-Server / Remove-Server (Podman provider and SSH layer) and ansible-playbook
    (apt-get install ansible). Writes out/bench/hardening.md and prints the table. Goal at
    N = 10: at least 10x faster than the playbook, idempotent re-run under 1 s per server, first
    run within 1.2x of the apt floor.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [int[]] $Count = @(1, 5, 10)
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
if (-not (Get-Command New-Server -Module DevOpsTools -ErrorAction SilentlyContinue)) {
    Write-Warning 'hardening bench skipped: New-Server is not in this build (needs the Podman provider and the SSH layer).'
    return
}
if (-not (Get-Command ansible-playbook -ErrorAction SilentlyContinue)) {
    Write-Warning 'ansible-playbook not found (apt-get install ansible): measuring DevOpsTools only.'
}

$ansibleDir = Join-Path $PSScriptRoot 'ansible'
$outDir = New-Item -ItemType Directory -Force (Join-Path $PSScriptRoot '../out/bench')
$rows = [System.Collections.Generic.List[object]]::new()

function New-Fleet([int] $n, [string] $prefix) {
    $envName = "$prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $names = 1..$n | ForEach-Object { "s$_" }
    $servers = New-Server -Name $names -Environment $envName
    [pscustomobject]@{ Environment = $envName; Servers = @($servers) }
}

function Get-InstalledPackages($Reports) {
    # The packages of Set-Hardening's one apt transaction, from its own change notes.
    $ran = @($Reports.Rules | ForEach-Object { $_.Changes } | ForEach-Object Description | Where-Object { $_ -match '^ran: .*apt-get install' })
    @($ran | ForEach-Object { ($_ -split ' ') | Where-Object { $_ -match '^[a-z0-9][a-z0-9+.-]+$' -and $_ -notin 'ran:', 'env', 'apt-get', 'install' } } | Sort-Object -Unique)
}

function Measure-AptFloor([object[]] $Servers, [string[]] $Packages) {
    # The same apt work as Set-Hardening's first run, through podman exec, all servers at once.
    $ids = @($Servers | ForEach-Object Id)
    Measure-Command {
        $ids | ForEach-Object -ThrottleLimit 16 -Parallel {
            podman exec -e DEBIAN_FRONTEND=noninteractive -- $_ sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold "$@"' sh @using:Packages *> $null
            if ($LASTEXITCODE -ne 0) { throw "apt floor failed on $_" }
        }
    }
}

# Warm-up, not recorded: one server hardened so the mirror's caches hold every package for the
# floor and the module alike, and the package list of the floor is taken from what it installed.
$warm = New-Fleet 1 'hwarm'
try { $packages = Get-InstalledPackages @($warm.Servers | Set-Hardening -Force) }
finally { Get-Server -Environment $warm.Environment | Remove-Server -Force }
Write-Host "apt floor packages: $($packages -join ' ')"

foreach ($n in $Count) {
    $fleet = New-Fleet $n 'hfloor'
    try { $floor = Measure-AptFloor $fleet.Servers $packages }
    finally { Get-Server -Environment $fleet.Environment | Remove-Server -Force }

    $fleet = New-Fleet $n 'hbench'
    try {
        $first = Measure-Command { $script:r1 = $fleet.Servers | Set-Hardening -Force }
        $again = Measure-Command { $script:r2 = $fleet.Servers | Set-Hardening -Force }
        $test = Measure-Command { $script:r3 = $fleet.Servers | Test-Hardening }
        if (@($r2 | Where-Object Changed -gt 0).Count) { Write-Warning "re-run changed something at N=$n" }
    }
    finally { Get-Server -Environment $fleet.Environment | Remove-Server -Force }

    $a1 = $a2 = $null
    if (Get-Command ansible-playbook -ErrorAction SilentlyContinue) {
        $fleet = New-Fleet $n 'abench'
        try {
            $inventory = Join-Path $outDir "inventory-$n.ini"
            $fleet.Servers | & (Join-Path $ansibleDir 'New-Inventory.ps1') -Path $inventory
            $env:ANSIBLE_CONFIG = Join-Path $ansibleDir 'ansible.cfg'
            $a1 = Measure-Command { ansible-playbook -i $inventory (Join-Path $ansibleDir 'hardening.yml') | Out-Null }
            $a2 = Measure-Command { ansible-playbook -i $inventory (Join-Path $ansibleDir 'hardening.yml') | Out-Null }
        }
        finally { Get-Server -Environment $fleet.Environment | Remove-Server -Force }
    }

    $rows.Add([pscustomobject]@{
        N                  = $n
        AptFloorS          = [math]::Round($floor.TotalSeconds, 2)
        FirstVsFloor       = [math]::Round($first.TotalSeconds / $floor.TotalSeconds, 2)
        SetFirstRunS       = [math]::Round($first.TotalSeconds, 2)
        SetReRunS          = [math]::Round($again.TotalSeconds, 2)
        ReRunPerServerS    = [math]::Round($again.TotalSeconds / $n, 2)
        TestS              = [math]::Round($test.TotalSeconds, 2)
        AnsibleFirstRunS   = if ($a1) { [math]::Round($a1.TotalSeconds, 1) } else { $null }
        AnsibleReRunS      = if ($a2) { [math]::Round($a2.TotalSeconds, 1) } else { $null }
        SpeedUpFirst       = if ($a1) { [math]::Round($a1.TotalSeconds / $first.TotalSeconds, 1) } else { $null }
        SpeedUpReRun       = if ($a2) { [math]::Round($a2.TotalSeconds / $again.TotalSeconds, 1) } else { $null }
    })
}

$rows | Format-Table -AutoSize | Out-Host
$md = @('| N | apt floor | Set first run | first / floor | Set re-run | re-run per server | Test | Ansible first | Ansible re-run | speed-up first | speed-up re-run |', '|---|---|---|---|---|---|---|---|---|---|---|')
$md += $rows | ForEach-Object { "| $($_.N) | $($_.AptFloorS) s | $($_.SetFirstRunS) s | $($_.FirstVsFloor)x | $($_.SetReRunS) s | $($_.ReRunPerServerS) s | $($_.TestS) s | $($_.AnsibleFirstRunS) s | $($_.AnsibleReRunS) s | $($_.SpeedUpFirst)x | $($_.SpeedUpReRun)x |" }
Set-Content (Join-Path $outDir 'hardening.md') $md
