<#
.SYNOPSIS
    Creates the production servers declared in examples/environments/prod.yaml on AWS EC2 and
    checks them over SSH.
.DESCRIPTION
    Credentials come from the standard AWS chain (environment variables, or -ProfileName /
    AWS_PROFILE in ~/.aws). The file's provider.aws section gives the region, the image alias
    (debian-12) and the CIDR blocks allowed to reach SSH; -AllowSshFrom and -Region here override it.
    Running the script again changes nothing: existing servers are returned as they are.
.EXAMPLE
    ./examples/new-prod-environment.ps1 -ProfileName prod-admin -WhatIf
.EXAMPLE
    ./examples/new-prod-environment.ps1 -ProfileName prod-admin -AllowSshFrom "$((Invoke-RestMethod https://checkip.amazonaws.com).Trim())/32"
.EXAMPLE
    # Against an EC2-compatible endpoint (e.g. the project's local test endpoint).
    ./examples/new-prod-environment.ps1 -EndpointUrl http://127.0.0.1:8080/ -AllowSshFrom 127.0.0.0/8
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $Path = (Join-Path $PSScriptRoot 'environments/prod.yaml'),
    [string] $ProfileName,
    [string] $Region,
    [string] $EndpointUrl,
    # Replaces the file's allowSshFrom (for example your current address/32).
    [string[]] $AllowSshFrom,
    # cloud-init user data for every server.
    [string] $UserDataFile
)
$ErrorActionPreference = 'Stop'
# A loaded module is used as it is; else an installed one; from a clone, the build output.
if (Get-Module DevOpsTools) { }
elseif (Get-Module -ListAvailable DevOpsTools) { Import-Module DevOpsTools }
else { Import-Module (Get-ChildItem (Join-Path $PSScriptRoot '../out/DevOpsTools/*/DevOpsTools.psd1') | Select-Object -Last 1).FullName }

$prod = Import-DevOpsEnvironment -Path $Path
Write-Host "Environment $($prod.Name): $($prod.Servers.Count) servers on $($prod.Provider.Type) ($($prod.Provider.Aws.Region))"

# Connection parameters given here override the file's provider.aws section.
$aws = @{ Provider = 'Aws' }   # -Provider Aws offers the AWS parameters
foreach ($name in 'ProfileName', 'Region', 'EndpointUrl', 'AllowSshFrom', 'UserDataFile') {
    if ($PSBoundParameters.ContainsKey($name)) { $aws[$name] = $PSBoundParameters[$name] }
}

# 1. All servers in parallel (web-1..3 and the bastion): key pair, security group, instances
#    with IMDSv2 and encrypted volumes; each returned once it answers SSH with its recorded host key.
$servers = $prod.Servers | New-Server @aws -ThrottleLimit 5 -WhatIf:$WhatIfPreference
if ($WhatIfPreference) { return }
$servers | Format-Table Name, Role, Size, Id, Address, State, HostKeyFingerprint

# 2. One round trip per server: boot state, OS, and that sudo works.
$check = @'
printf 'state=%s\n' "$(systemctl is-system-running)"
. /etc/os-release; printf 'os=%s\n' "$PRETTY_NAME"
printf 'root=%s\n' "$(sudo -n id -u)"
'@
$results = $servers | Invoke-ServerCommand -Command $check -ErrorVariable failed -ErrorAction SilentlyContinue
$results | Select-Object @{ n = 'Server'; e = { $_.Server.Name } }, ExitCode,
    @{ n = 'State'; e = { ($_.StdOut -split "`n" | Where-Object { $_ -like 'state=*' }) -replace '^state=' } },
    @{ n = 'OS'; e = { ($_.StdOut -split "`n" | Where-Object { $_ -like 'os=*' }) -replace '^os=' } } |
    Format-Table
if ($failed) {
    Write-Warning "$($failed.Count) server(s) failed the check; see the errors above."
}

# To take the environment down again (the key pair and security group go with the last server):
#   Get-Server -Environment prod -Provider Aws -Region eu-west-1 | Remove-Server
