<#
.SYNOPSIS
    Builds the notes sample app's local images: localhost/devopstools-notes:1, :2 and :broken.
.DESCRIPTION
    Runs build.sh (podman build, no registry, no internet) on the module's PostgreSQL image, the
    one Deploy-DataService runs (its output's Image), which already has python3 and psql. Images
    already built from the same sources are kept, so a second run takes well under a second.
.EXAMPLE
    ./examples/apps/notes/build.ps1 -BaseImage (Import-DevOpsEnvironment env.yaml | Deploy-DataService).Image
#>
[CmdletBinding()]
param([Parameter(Mandatory)][string]$BaseImage)
$ErrorActionPreference = 'Stop'
if (-not $env:CONTAINERS_CONF -and -not (Test-Path /etc/containers/containers.conf)) {
    $env:CONTAINERS_CONF = Join-Path $PSScriptRoot '../../../src/DevOpsTools.Engine/Resources/podman/containers.conf'
}
& sh (Join-Path $PSScriptRoot 'build.sh') $BaseImage
if ($LASTEXITCODE -ne 0) { throw "build.sh failed with exit code $LASTEXITCODE (base image $BaseImage)." }
