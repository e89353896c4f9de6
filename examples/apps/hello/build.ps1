<#
.SYNOPSIS
    Builds the hello sample app's local images: localhost/devopstools-hello:1, :2 and :broken.
.DESCRIPTION
    Runs build.sh (podman build, as root, no registry, no internet) on the module's Debian 12
    server image, localhost/devopstools/debian12:<first 12 hex digits of SHA-256 of its recipe>,
    the image New-Server -Provider Podman builds. Images already built from the same sources are
    kept, so a second run takes well under a second.
.EXAMPLE
    ./examples/apps/hello/build.ps1
.EXAMPLE
    ./examples/apps/hello/build.ps1 -BaseImage localhost/devopstools/debian12:26c354aadcb2
#>
[CmdletBinding()]
param([string]$BaseImage)
$ErrorActionPreference = 'Stop'
if (-not $BaseImage) {
    $recipe = Join-Path $PSScriptRoot '../../../src/DevOpsTools.Engine/Resources/podman/image/build-image.sh'
    $text = [IO.File]::ReadAllText($recipe).Replace("`r`n", "`n")
    $hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($text)))
    $BaseImage = 'localhost/devopstools/debian12:' + $hash.Substring(0, 12).ToLowerInvariant()
}
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf)) {
    $env:CONTAINERS_CONF = Join-Path $PSScriptRoot '../../../src/DevOpsTools.Engine/Resources/podman/containers.conf'
}
& sh (Join-Path $PSScriptRoot 'build.sh') $BaseImage
if ($LASTEXITCODE -ne 0) { throw "build.sh failed with exit code $LASTEXITCODE (base image $BaseImage)." }
