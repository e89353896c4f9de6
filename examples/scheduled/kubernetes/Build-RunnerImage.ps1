<#
.SYNOPSIS
    Builds localhost/devopstools-runner:<module version>, the image the Kubernetes CronJob beside
    this script runs: PowerShell, the .NET runtime and the DevOpsTools module on the module's
    Debian 12 base image. No registry and no internet: it copies this machine's .NET runtime, the
    PowerShell tool package restored by `dotnet tool restore` and the module's build output.
.DESCRIPTION
    Push the image to your cluster's registry afterwards (podman push), or load it into the nodes.
    Run ./build.ps1 -Task Build first; the base image is the one New-Server -Provider Podman
    builds (localhost/devopstools/debian12:<recipe hash>).
.EXAMPLE
    ./examples/scheduled/kubernetes/Build-RunnerImage.ps1
.EXAMPLE
    ./examples/scheduled/kubernetes/Build-RunnerImage.ps1 -Tag localhost/devopstools-runner:nightly
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The image to build (default: localhost/devopstools-runner:<module version>).
    [string] $Tag,
    # The module's Debian 12 base image (default: the one this checkout's recipe names).
    [string] $BaseImage
)
$ErrorActionPreference = 'Stop'
$repo = Resolve-Path (Join-Path $PSScriptRoot '../../..')
$version = (Import-PowerShellDataFile (Join-Path $repo 'DevOpsTools.psd1')).ModuleVersion
if (-not $Tag) { $Tag = "localhost/devopstools-runner:$version" }
if (-not $BaseImage) {
    $recipe = Join-Path $repo 'src/DevOpsTools.Engine/Resources/podman/image/build-image.sh'
    $text = [IO.File]::ReadAllText($recipe).Replace("`r`n", "`n")
    $hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($text)))
    $BaseImage = 'localhost/devopstools/debian12:' + $hash.Substring(0, 12).ToLowerInvariant()
}
$module = Join-Path $repo "out/DevOpsTools/$version"
if (-not (Test-Path (Join-Path $module 'DevOpsTools.psd1'))) { throw "No module build at ${module}: run ./build.ps1 -Task Build first." }
# The running PowerShell is the tool package's: its unix folder is what the image needs.
$pwshDir = $PSHOME
if (-not (Test-Path (Join-Path $pwshDir 'pwsh.dll'))) { throw "$pwshDir has no pwsh.dll: run this script with the PowerShell of 'dotnet tool restore' (dotnet pwsh)." }
# The .NET install: DOTNET_ROOT, else where the dotnet command really lives (/usr/bin/dotnet is a link).
$dotnetCommand = Get-Item (Get-Command dotnet).Source
$dotnetRoot = if ($env:DOTNET_ROOT) { $env:DOTNET_ROOT } else { Split-Path -Parent ($dotnetCommand.ResolveLinkTarget($true)?.FullName ?? $dotnetCommand.FullName) }
$runtime = Get-ChildItem (Join-Path $dotnetRoot 'shared/Microsoft.NETCore.App') -Directory | Sort-Object { [version]($_.Name -replace '-.*$') } | Select-Object -Last 1
if (-not $runtime) { throw "No .NET runtime under ${dotnetRoot}/shared/Microsoft.NETCore.App." }
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf)) {
    $env:CONTAINERS_CONF = Join-Path $repo 'src/DevOpsTools.Engine/Resources/podman/containers.conf'
}
if (-not $PSCmdlet.ShouldProcess($Tag, "Build from $BaseImage with .NET $($runtime.Name), PowerShell $($PSVersionTable.PSVersion) and DevOpsTools $version")) { return }

$context = Join-Path ([IO.Path]::GetTempPath()) ('devopstools-runner-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
try {
    New-Item -ItemType Directory -Force (Join-Path $context 'dotnet/shared/Microsoft.NETCore.App'), (Join-Path $context 'modules/DevOpsTools'), (Join-Path $context 'examples') | Out-Null
    Copy-Item (Join-Path $dotnetRoot 'dotnet') (Join-Path $context 'dotnet/dotnet')
    Copy-Item -Recurse (Join-Path $dotnetRoot 'host') (Join-Path $context 'dotnet/host')
    Copy-Item -Recurse $runtime.FullName (Join-Path $context "dotnet/shared/Microsoft.NETCore.App/$($runtime.Name)")
    Copy-Item -Recurse $pwshDir (Join-Path $context 'pwsh')
    Copy-Item -Recurse $module (Join-Path $context "modules/DevOpsTools/$version")
    Copy-Item (Join-Path $repo 'examples/scheduled-compliance.ps1') (Join-Path $context 'examples/')
    Copy-Item (Join-Path $PSScriptRoot 'Containerfile'), (Join-Path $PSScriptRoot 'pwsh.sh') $context
    & podman build --quiet --build-arg "BASE=$BaseImage" --build-arg "VERSION=$version" -t $Tag $context
    if ($LASTEXITCODE -ne 0) { throw "podman build failed with exit code $LASTEXITCODE." }
    $Tag
}
finally {
    # Only the context this run made, under the temp folder.
    if ($context.StartsWith([IO.Path]::GetTempPath()) -and (Split-Path -Leaf $context) -like 'devopstools-runner-*') {
        Remove-Item -Recurse -Force -LiteralPath $context -ErrorAction SilentlyContinue
    }
}
