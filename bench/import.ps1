<#
.SYNOPSIS
    Measures what importing DevOpsTools and the first call of a cmdlet add to pwsh start-up.
.DESCRIPTION
    Runs, -Runs times each, a bare `pwsh -NoProfile -c 1` and `pwsh -NoProfile -c "Import-Module
    DevOpsTools; Import-DevOpsEnvironment <example>"`, alternating, and reports the medians and
    their difference. Budget (issue 2): the module adds at most 250 ms.
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [int] $Runs = 15
)
$ErrorActionPreference = 'Stop'
$pwsh = (Join-Path $PSHOME ($IsWindows ? "pwsh.exe" : "pwsh"))
$envFile = Join-Path $PSScriptRoot '../examples/environments/test.yaml'
$bare = [System.Collections.Generic.List[double]]::new()
$module = [System.Collections.Generic.List[double]]::new()
$withModule = "Import-Module '$ModuleManifest'; Import-DevOpsEnvironment '$envFile' | Out-Null"

# One warm-up of each so the disk cache is the same for both.
& $pwsh -NoProfile -c 1 | Out-Null
& $pwsh -NoProfile -c $withModule | Out-Null
for ($i = 0; $i -lt $Runs; $i++) {
    $bare.Add((Measure-Command { & $pwsh -NoProfile -c 1 | Out-Null }).TotalMilliseconds)
    $module.Add((Measure-Command { & $pwsh -NoProfile -c $withModule | Out-Null }).TotalMilliseconds)
}

function Median([System.Collections.Generic.List[double]] $values) {
    $sorted = $values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { $sorted[[int][math]::Floor($n / 2)] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

$result = [pscustomobject]@{
    Runs                  = $Runs
    BarePwshMedianMs      = [math]::Round((Median $bare), 1)
    WithModuleMedianMs    = [math]::Round((Median $module), 1)
    ModuleAddsMs          = [math]::Round((Median $module) - (Median $bare), 1)
    BudgetMs              = 250
}
$result | Format-List | Out-Host
if ($result.ModuleAddsMs -gt $result.BudgetMs) { Write-Warning "Over budget: $($result.ModuleAddsMs) ms > 250 ms" }
