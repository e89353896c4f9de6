<#
.SYNOPSIS
    Creates the servers of an environment definition and checks them: a throwaway test
    environment in a few seconds (Podman), or the same steps against EC2 (provider: aws).
.EXAMPLE
    ./examples/new-test-environment.ps1 -Path ./environments/test.yaml
.EXAMPLE
    ./examples/new-test-environment.ps1 -Path ./environments/test.yaml -Remove
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Path,
    # Environment to use when the file declares several.
    [string] $Name,
    # Remove the environment's servers at the end (a throwaway run).
    [switch] $Remove
)
$ErrorActionPreference = 'Stop'
Import-Module DevOpsTools

$environment = Import-DevOpsEnvironment -Path $Path -Name ($Name ? $Name : '*') | Select-Object -First 1
Write-Host "Environment $($environment.Name): $($environment.Servers.Count) servers on $($environment.Provider.Type)"

# 1. Create every server of the definition in parallel; existing ones are returned as they are.
$servers = $environment.Servers | New-Server -ThrottleLimit 10 -WhatIf:$WhatIfPreference
if ($WhatIfPreference) { return }
$servers | Format-Table

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
    $failed | ForEach-Object { Write-Warning "$($_.TargetObject.Name): $($_.Exception.Message)" }
}

# 3. Optionally throw it all away again (servers, network, SSH key of the environment).
if ($Remove) {
    Get-Server -Environment $environment.Name -Provider $environment.Provider.Type | Remove-Server -Force
}
