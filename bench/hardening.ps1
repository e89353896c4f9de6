<#
.SYNOPSIS
    Fleet benchmark of Set-Hardening / Test-Hardening against Debian's Ansible 7.7 running
    bench/ansible/hardening.yml (the same Baseline controls with ordinary modules, default
    forks, pipelining on), on N = 1, 5, 10 fresh Podman servers.
.DESCRIPTION
    Needs New-Server / Remove-Server (Podman provider and SSH layer) and ansible-playbook
    (apt-get install ansible). Writes out/bench/hardening.md and prints the table. Goal at
    N = 10: at least 10x faster than the playbook, idempotent re-run under 1 s per server.
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

foreach ($n in $Count) {
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
$md = @('| N | Set first run | Set re-run | re-run per server | Test | Ansible first | Ansible re-run | speed-up first | speed-up re-run |', '|---|---|---|---|---|---|---|---|---|')
$md += $rows | ForEach-Object { "| $($_.N) | $($_.SetFirstRunS) s | $($_.SetReRunS) s | $($_.ReRunPerServerS) s | $($_.TestS) s | $($_.AnsibleFirstRunS) s | $($_.AnsibleReRunS) s | $($_.SpeedUpFirst)x | $($_.SpeedUpReRun)x |" }
Set-Content (Join-Path $outDir 'hardening.md') $md
