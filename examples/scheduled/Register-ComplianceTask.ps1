<#
.SYNOPSIS
    Registers the nightly compliance check (examples/scheduled-compliance.ps1) with the Windows
    Task Scheduler, for sysadmins who run DevOpsTools from a Windows management host.
.EXAMPLE
    ./examples/scheduled/Register-ComplianceTask.ps1 -Definition C:\DevOps\prod.yaml -At 02:30
.EXAMPLE
    ./examples/scheduled/Register-ComplianceTask.ps1 -Definition C:\DevOps\prod.yaml -WhatIf
#>
#Requires -Version 7.2
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Definition,
    [string] $ReportDirectory = (Join-Path $env:ProgramData 'DevOpsTools\reports'),
    [datetime] $At = '02:30',
    [string] $TaskName = 'DevOpsTools compliance',
    # The account the task runs as (default: SYSTEM, no stored password).
    [string] $User = 'SYSTEM'
)
$ErrorActionPreference = 'Stop'
if (-not $IsWindows) { throw 'Register-ComplianceTask.ps1 registers a Windows scheduled task; on Linux use devopstools-compliance.timer or the cron file beside it.' }
$script = Join-Path $PSScriptRoot '..\scheduled-compliance.ps1' | Resolve-Path
$pwsh = (Get-Command pwsh).Source
# Each value is its own quoted argument: paths with spaces stay one argument.
$arguments = @('-NoProfile', '-NonInteractive', '-File', "`"$script`"", '-Definition', "`"$Definition`"", '-ReportDirectory', "`"$ReportDirectory`"") -join ' '
$action = New-ScheduledTaskAction -Execute $pwsh -Argument $arguments
$trigger = New-ScheduledTaskTrigger -Daily -At $At -RandomDelay (New-TimeSpan -Minutes 15)
$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -ExecutionTimeLimit (New-TimeSpan -Minutes 30) -MultipleInstances IgnoreNew
$principal = New-ScheduledTaskPrincipal -UserId $User -LogonType ServiceAccount -RunLevel Highest
if ($PSCmdlet.ShouldProcess($TaskName, 'Register scheduled task')) {
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings -Principal $principal -Description 'DevOpsTools: nightly hardening drift and SLO check; see the exit code in the task history (1 drift, 2 service, 4 check failed).' -Force
}
