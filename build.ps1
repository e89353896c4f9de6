#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, packages and benchmarks the DevOpsTools module.
.DESCRIPTION
    Build   publishes the module into out/DevOpsTools/<version>/ (manifest, cmdlet assembly,
            Dependencies/, formats, help, schema). Incremental: skipped when nothing changed.
    Test    installs the system packages (Deps), builds, then runs the xunit tests and the Pester
            suites against the built module in a child pwsh, and prints one line
            "N passed, N failed, N skipped". It fails on any skip outside the credential lanes of
            tests/credential-lanes.json and on any suite that ran no test (-AllowSkip: a
            developer's inner loop allows them, CI never does).
    Package writes out/packages/DevOpsTools.<version>.nupkg for Publish-/Install-PSResource.
    Bench   runs every bench/*.ps1 script.
    Deps    installs the system packages the tests need (tests/system-packages.psd1; Debian/Ubuntu,
            apt-get as root).
    Clean   removes out/ and every bin/ and obj/ folder.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -PesterPath tests/Pester/Environment.Tests.ps1 -SkipUnitTests
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Bench', 'Deps', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester files or folders to run (default: all of tests/Pester).
    [string[]] $PesterPath,

    # Pester tags to run / skip.
    [string[]] $Tag,
    [string[]] $ExcludeTag,

    [switch] $SkipUnitTests,
    [switch] $SkipPester,

    # Inner loop only: skips outside the credential lanes, suites that ran no test and missing
    # system packages are reported but do not fail the run. CI (.ci/run) never passes it.
    [switch] $AllowSkip
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Root = $PSScriptRoot
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'DevOpsTools.psd1')
$Version = $Manifest.ModuleVersion
$OutRoot = Join-Path $Root 'out'
$ModuleDir = Join-Path $OutRoot "DevOpsTools/$Version"
$Stamp = Join-Path $OutRoot ".build-$Configuration.stamp"

Import-Module (Join-Path $Root 'tests/TestResults.psm1') -Force

function Invoke-Native {
    param([string] $FilePath, [string[]] $ArgumentList)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-NuGetPackagesFolder {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    return Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages'
}

function Test-BuildUpToDate {
    if (-not (Test-Path $Stamp) -or -not (Test-Path (Join-Path $ModuleDir 'DevOpsTools.dll'))) { return $false }
    $stampTime = (Get-Item -Force $Stamp).LastWriteTimeUtc
    $inputs = @(
        Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'docs') -Recurse -File |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
        Get-Item (Join-Path $Root 'DevOpsTools.psd1'), (Join-Path $Root 'Directory.Build.props'), (Join-Path $Root 'Directory.Packages.props'), (Join-Path $Root 'build.ps1')
        Get-ChildItem -Path (Join-Path $Root 'tools') -File
    )
    return -not ($inputs | Where-Object { $_.LastWriteTimeUtc -gt $stampTime } | Select-Object -First 1)
}

function Invoke-ShellCheck {
    # Every shell script the project ships or tests with (hardening rules, the server image recipe,
    # the SSH layer's file placement, test images) must be shellcheck-clean at warning level.
    # Test and CI run Deps first, so shellcheck is there; a bare Build without it warns.
    $scripts = @(foreach ($dir in 'src', 'tests') {
            Get-ChildItem (Join-Path $Root $dir) -Filter *.sh -File -Recurse |
                Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' } | ForEach-Object FullName
        })
    if (-not (Get-Command shellcheck -ErrorAction SilentlyContinue)) {
        $message = 'shellcheck is not installed (Debian package shellcheck; ./build.ps1 -Task Deps installs it): the shell scripts were not linted.'
        if ($Task -contains 'Test') { throw $message }
        Write-Warning $message
        return
    }
    # Scripts are POSIX sh (most run on servers through sh -s) unless their first line names bash.
    $bash = @($scripts | Where-Object { (Get-Content -TotalCount 1 -LiteralPath $_) -match '^#!.*\bbash\b' })
    $posix = @($scripts | Where-Object { $_ -notin $bash })
    $failed = $false
    foreach ($set in @(@{ Shell = 'sh'; Files = $posix }, @{ Shell = 'bash'; Files = $bash })) {
        if ($set.Files.Count -eq 0) { continue }
        & shellcheck "--shell=$($set.Shell)" --severity=warning --format=gcc @($set.Files)
        if ($LASTEXITCODE -ne 0) { $failed = $true }
    }
    if ($failed) { throw "shellcheck found problems in the shell scripts under src/ and tests/ (listed above)." }
    Write-Host "shellcheck: $($scripts.Count) shell scripts clean"
}

function Invoke-Build {
    if (Test-BuildUpToDate) {
        Write-Host "DevOpsTools $Version is up to date in $ModuleDir"
        return
    }

    Write-Host "Building DevOpsTools $Version ($Configuration)"
    Invoke-ShellCheck
    $publishDir = Join-Path $OutRoot "obj/engine"
    $cmdletDir = Join-Path $OutRoot "obj/cmdlets"
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/DevOpsTools.Engine'), '-c', $Configuration, '-o', $publishDir, "-p:ModuleVersion=$Version", '--nologo', '-v:q')
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/DevOpsTools'), '-c', $Configuration, '-o', $cmdletDir, "-p:ModuleVersion=$Version", '--nologo', '-v:q')

    if (Test-Path $ModuleDir) { Remove-Item $ModuleDir -Recurse -Force }
    $deps = New-Item -ItemType Directory -Force (Join-Path $ModuleDir 'Dependencies')
    Copy-Item (Join-Path $Root 'DevOpsTools.psd1') $ModuleDir
    Copy-Item (Join-Path $cmdletDir 'DevOpsTools.dll') $ModuleDir
    Copy-Item (Join-Path $Root 'src/DevOpsTools/Formats/*.ps1xml') $ModuleDir
    # The engine and its third-party assemblies, loaded by the module's private load context.
    Get-ChildItem $publishDir -File | Where-Object { $_.Extension -in '.dll', '.so' } | Copy-Item -Destination $deps
    Get-ChildItem $publishDir -Directory | Where-Object Name -eq 'runtimes' | Copy-Item -Destination $deps -Recurse
    # Module resources (schemas, Podman configuration, server image recipe).
    $resources = Join-Path $Root 'src/DevOpsTools.Engine/Resources'
    # The hardening shell is embedded in the engine and not copied.
    if (Test-Path $resources) { Get-ChildItem $resources | Where-Object Name -ne 'hardening' | Copy-Item -Destination $ModuleDir -Recurse }
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleDir

    # Help: Markdown under docs/ becomes MAML; generated in a child pwsh so this process does
    # not hold the freshly built assembly.
    $helpDir = New-Item -ItemType Directory -Force (Join-Path $ModuleDir 'en-US')
    Invoke-Native (Get-PwshPath) @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tools/New-MamlHelp.ps1'),
        '-ModuleManifest', (Join-Path $ModuleDir 'DevOpsTools.psd1'), '-DocsPath', (Join-Path $Root 'docs/cmdlets'),
        '-OutputPath', (Join-Path $helpDir 'DevOpsTools.dll-Help.xml'))
    $about = Join-Path $Root 'docs/about_DevOpsTools.help.txt'
    if (Test-Path $about) { Copy-Item $about $helpDir }

    New-Item -ItemType File -Force $Stamp | Out-Null
    Write-Host "Built $ModuleDir"
}

function Get-PwshPath {
    # The pwsh running this script. Under "dotnet pwsh" the process is dotnet itself, so use
    # the apphost in $PSHOME rather than [Environment]::ProcessPath.
    $candidate = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path $candidate) { return $candidate }
    $cmd = Get-Command pwsh -ErrorAction SilentlyContinue
    if ($cmd) { return $cmd.Source }
    throw 'pwsh not found; run this script with "dotnet pwsh ./build.ps1".'
}

function Get-MissingSystemPackage {
    # Each package's own check (tests/system-packages.psd1), run by sh; exit status 0 = present.
    $packages = (Import-PowerShellDataFile (Join-Path $Root 'tests/system-packages.psd1')).Packages
    foreach ($package in $packages) {
        & sh -c "$($package.Check)" *> $null
        if ($LASTEXITCODE -ne 0) { [pscustomobject]$package }
    }
}

function Invoke-Deps {
    $missing = @(Get-MissingSystemPackage)
    if ($missing.Count -eq 0) { Write-Host 'System packages: all present (tests/system-packages.psd1).'; return }
    $names = @($missing.Name)
    $isRoot = (& id -u) -eq '0'
    if ($isRoot -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host "Installing system packages: $($names -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get (@('install', '-y', '-qq') + $names)
        $missing = @(Get-MissingSystemPackage)
        if ($missing.Count -eq 0) { return }
    }
    $list = ($missing | ForEach-Object { "$($_.Name) ($($_.Why); check: $($_.Check))" }) -join '; '
    $message = "Missing system packages: $list. On Debian/Ubuntu, as root: apt-get install -y $(@($missing.Name) -join ' ')"
    if ($AllowSkip) { Write-Warning $message } else { throw $message }
}

function Restore-TestTools {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/TestDependencies/TestDependencies.csproj'), '--nologo', '-v:q')
}

function Invoke-UnitTests {
    # Podman-backed unit tests need the project's engine settings, as the Pester runner does.
    if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = Join-Path $Root 'src/DevOpsTools.Engine/Resources/podman/containers.conf' }
    $results = Join-Path $OutRoot 'test-results'
    New-Item -ItemType Directory -Force $results | Out-Null
    foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj') {
        $trx = "$($project.BaseName).trx"
        Remove-Item (Join-Path $results $trx) -ErrorAction SilentlyContinue
        & dotnet test $project.FullName -c $Configuration --nologo -v:q --logger "trx;LogFileName=$trx" --results-directory $results | Out-Host
        $file = Join-Path $results $trx
        if (Test-Path $file) { ConvertFrom-TrxFile -Path $file }
        else { [pscustomobject]@{ Suites = @([pscustomobject]@{ Framework = 'xunit'; Name = $project.BaseName; Error = 'no test results (the build failed?)' }); Tests = @() } }
    }
}

function Invoke-PesterTests {
    $summary = Join-Path $OutRoot 'test-results/pester-summary.json'
    Remove-Item $summary -ErrorAction SilentlyContinue
    # From a shell (dotnet pwsh ./build.ps1 -PesterPath a,b) the list arrives as one 'a,b' string.
    $paths = if ($PesterPath) { $PesterPath -split ',' | Where-Object { $_ } | ForEach-Object { (Resolve-Path $_).Path } } else { @(Join-Path $Root 'tests/Pester') }
    $runnerArgs = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Invoke-PesterSuite.ps1'),
        '-ModuleManifest', (Join-Path $ModuleDir 'DevOpsTools.psd1'), '-SummaryPath', $summary, '-Path', ($paths -join ';'))
    # pwsh -File passes each argument as one string: lists travel ';'-separated.
    if ($Tag) { $runnerArgs += @('-Tag', ($Tag -join ';')) }
    if ($ExcludeTag) { $runnerArgs += @('-ExcludeTag', ($ExcludeTag -join ';')) }
    # Out-Host: the runner's output is for people; only the records are this function's result.
    & (Get-PwshPath) @runnerArgs | Out-Host
    if (-not (Test-Path $summary)) { return [pscustomobject]@{ Suites = @([pscustomobject]@{ Framework = 'Pester'; Name = 'tests/Pester'; Error = 'the runner wrote no results (it crashed)' }); Tests = @() } }
    Get-Content -Raw $summary | ConvertFrom-Json
}

function Invoke-Test {
    Invoke-Deps
    Invoke-Build
    Restore-TestTools
    $runs = @()
    if (-not $SkipUnitTests) { $runs += Invoke-UnitTests }
    if (-not $SkipPester) { $runs += Invoke-PesterTests }
    $outcome = Measure-TestOutcome -Suites @($runs.Suites) -Tests @($runs.Tests) -AllowSkip:$AllowSkip
    Write-Host ''
    Format-TestOutcome $outcome | Write-Host
    if ($outcome.Failed -gt 0 -or $outcome.Passed -eq 0) { exit 1 }
}

function Invoke-Package {
    Invoke-Build
    $packages = New-Item -ItemType Directory -Force (Join-Path $OutRoot 'packages')
    $repoName = "DevOpsToolsBuild-$PID"
    Register-PSResourceRepository -Name $repoName -Uri $packages.FullName -Trusted
    try {
        Get-ChildItem $packages -Filter "DevOpsTools.$Version.nupkg" | Remove-Item
        Publish-PSResource -Path $ModuleDir -Repository $repoName -SkipDependenciesCheck
        Write-Host "Packaged $(Join-Path $packages "DevOpsTools.$Version.nupkg")"
    }
    finally {
        Unregister-PSResourceRepository -Name $repoName
    }
}

function Invoke-Bench {
    Invoke-Build
    foreach ($script in Get-ChildItem (Join-Path $Root 'bench') -Filter '*.ps1' | Sort-Object Name) {
        Write-Host "== $($script.Name)"
        & (Get-PwshPath) -NoProfile -File $script.FullName -ModuleManifest (Join-Path $ModuleDir 'DevOpsTools.psd1')
    }
}

function Invoke-Clean {
    if (Test-Path $OutRoot) { Remove-Item $OutRoot -Recurse -Force }
    Get-ChildItem $Root -Recurse -Directory -Include bin, obj | Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' } | Remove-Item -Recurse -Force
}

foreach ($t in $Task) {
    switch ($t) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
        'Deps' { Invoke-Deps }
        'Clean' { Invoke-Clean }
    }
}
