<#
.SYNOPSIS
    Runs the Pester suites against a built module, in its own pwsh process.
.DESCRIPTION
    Imports Pester 6 from the NuGet packages folder (restored by tests/TestDependencies),
    runs the given paths with DEVOPSTOOLS_TEST_MODULE pointing at the built manifest, and
    writes every suite (file) and test (with its tags and skip reason) as JSON to -SummaryPath,
    for build.ps1 to judge (tests/TestResults.psm1).
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [Parameter(Mandatory)] [string[]] $Path,
    [string[]] $Tag,
    [string[]] $ExcludeTag
)
$ErrorActionPreference = 'Stop'
# build.ps1 passes lists ';'-separated (pwsh -File gives each argument as one string).
$Path = @($Path | ForEach-Object { $_ -split ';' } | Where-Object { $_ })
$Tag = @($Tag | ForEach-Object { $_ -split ';' } | Where-Object { $_ })
$ExcludeTag = @($ExcludeTag | ForEach-Object { $_ -split ';' } | Where-Object { $_ })
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
Import-Module (Join-Path $packages 'pester/6.2.0/tools/Pester.psd1') -Force

$env:DEVOPSTOOLS_TEST_MODULE = (Resolve-Path $ModuleManifest).Path
$env:DEVOPSTOOLS_REPO_ROOT = Split-Path -Parent $PSScriptRoot
# Podman here needs the project's engine settings (runc, cgroupfs, ulimits); see README.
if (-not $env:CONTAINERS_CONF) {
    $env:CONTAINERS_CONF = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'src/DevOpsTools.Engine/Resources/podman/containers.conf'
}

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'JUnitXml'
$config.TestResult.OutputPath = Join-Path (Split-Path -Parent $SummaryPath) 'pester.junit.xml'
if ($Tag) { $config.Filter.Tag = $Tag }
if ($ExcludeTag) { $config.Filter.ExcludeTag = $ExcludeTag }

$result = Invoke-Pester -Configuration $config
Import-Module (Join-Path $PSScriptRoot 'TestResults.psm1') -Force
ConvertFrom-PesterResult -Result $result -Root $env:DEVOPSTOOLS_REPO_ROOT | ConvertTo-Json -Depth 5 | Set-Content -Path $SummaryPath
