<#
.SYNOPSIS
    Creates the servers of an environment definition, hardens them with the environment's
    profile, and checks them: a throwaway test environment in under a minute (Podman), or the
    same steps against EC2 (provider: aws).
.EXAMPLE
    ./examples/new-test-environment.ps1 -Path examples/environments/test.yaml
.EXAMPLE
    ./examples/new-test-environment.ps1 -Path examples/environments/test.yaml -Remove
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # Environment definition file (default: the example test environment).
    [string] $Path = (Join-Path $PSScriptRoot 'environments/test.yaml'),
    # Environment to use when the file declares several.
    [string] $Name,
    # Leave out the hardening step.
    [switch] $SkipHardening,
    # Remove the environment's servers at the end (a throwaway run).
    [switch] $Remove
)
$ErrorActionPreference = 'Stop'
# A loaded module is used as it is; else an installed one; from a clone, the build output.
if (Get-Module DevOpsTools) { }
elseif (Get-Module -ListAvailable DevOpsTools) { Import-Module DevOpsTools }
else { Import-Module (Get-ChildItem (Join-Path $PSScriptRoot '../out/DevOpsTools/*/DevOpsTools.psd1') | Select-Object -Last 1).FullName }

$environment = Import-DevOpsEnvironment -Path $Path -Name ($Name ? $Name : '*') | Select-Object -First 1
Write-Host "Environment $($environment.Name): $($environment.Servers.Count) servers on $($environment.Provider.Type)"

# 1. Create every server of the definition in parallel; existing ones are returned as they are.
$servers = $environment.Servers | New-Server -ThrottleLimit 10 -WhatIf:$WhatIfPreference
if ($WhatIfPreference) { return }
$servers | Format-Table

try {
    # 2. Secure them: the environment's hardening profile, lockout-safe; a re-run changes nothing.
    if (-not $SkipHardening) {
        $hardening = @{ Profile = $environment.Hardening.Profile }
        if ($environment.Hardening.Rules.Count) { $hardening.Rule = $environment.Hardening.Rules }
        if ($environment.Hardening.ExcludeRules.Count) { $hardening.ExcludeRule = $environment.Hardening.ExcludeRules }
        $reports = $servers | Set-Hardening @hardening -Force
        $reports | Format-Table
        if ($reports | Where-Object { $_.Failed -gt 0 -or $_.RolledBack.Count -gt 0 }) { Write-Warning 'Some hardening rules failed or were rolled back; see the reports above.' }
    }

    # 3. One round trip per server: boot state, OS, and that sudo works.
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
}
finally {
    # 4. With -Remove, throw it all away again (servers, network, SSH key), also after a failure.
    if ($Remove) {
        Get-Server -Environment $environment.Name -Provider $environment.Provider.Type | Remove-Server -Force
    }
}
