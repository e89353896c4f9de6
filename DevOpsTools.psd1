# Module manifest for DevOpsTools: the single source of the module version.
@{
    RootModule           = 'DevOpsTools.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    GUID                 = '5b0c8c5e-3f0b-4d83-9f4c-7c1c2a9e6d41'
    Author               = 'DevOpsTools contributors'
    CompanyName          = 'DevOpsTools'
    Copyright            = '(c) DevOpsTools contributors. MIT License.'
    Description          = 'One object pipeline for infrastructure: environments declared in YAML, their servers on AWS EC2 or as local Podman hosts (Debian 12, systemd, sshd), CIS Debian 12 / dev-sec hardening and audits over SSH, commands on many servers in parallel, and app deployment to container hosts (Podman on this machine or on servers) with health-checked rollouts, automatic rollback and promotion by image digest, and service statistics from active HTTP(S) and TCP probes (Monitoring: availability, error rate, latency percentiles).'
    FormatsToProcess     = @('DevOpsTools.Format.ps1xml')
    TypesToProcess       = @('DevOpsTools.Types.ps1xml')
    CmdletsToExport      = @(
        'Import-DevOpsEnvironment'
        'New-Server'
        'Get-Server'
        'Remove-Server'
        'Invoke-ServerCommand'
        'Set-Hardening'
        'Test-Hardening'
        'Get-HardeningRule'
        'Deploy-App'
        'Get-AppDeployment'
        'Undo-AppDeployment'
        'Get-AppLog'
        'Remove-App'
        'Deploy-DataService'
        'Backup-AppData'
        'Get-AppBackup'
        'Restore-AppData'
        'Test-AppBackup'
        'Get-ServiceStats'
        'Export-ServiceStats'
        'Watch-ServiceStats'
        'Install-Monitoring'
        'Remove-Monitoring'
        'New-SupportReport'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('DevOps', 'AWS', 'EC2', 'Podman', 'SSH', 'Hardening', 'CIS', 'Deploy', 'HAProxy', 'Monitoring', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://github.com/devopstools/DevOpsTools/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/devopstools/DevOpsTools'
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
