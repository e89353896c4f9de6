#Requires -Modules Pester
# Migrations that never lose data, against real PostgreSQL (Deploy-DataService, a container on
# this machine) and this machine's Podman: the notes sample app (examples/apps/notes) deployed at
# v1, written to, migrated to v2 (a column added) with an automatic backup first, a second deploy
# of the same version that does not migrate again, and a broken migration that deletes the data
# and fails: v2 keeps serving, and the backup (by hand with the exact Restore-AppData
# command from the error, or by itself with -RestoreOnFailure) brings the data back. Everything
# carries this suite's own environment name (mig<random>) and is removed even on failure.

Describe 'Deploy-App migrations with automatic backups' -Tag 'Podman', 'Deploy', 'Data' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'mig' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $repo = Join-Path $PSScriptRoot '../..'
        $script:work = Join-Path $dataRoot 'work'
        New-Item -ItemType Directory -Force $work | Out-Null

        $script:pgPort = Get-TestFreePort
        $script:appPort = Get-TestFreePort
        $script:url = "http://127.0.0.1:$appPort"
        $urlFile = Join-Path $dataRoot "data/$envName/main/notes.url"

        # The example app spec inside an environment file with its data service, on this test's ports.
        $app = (Get-Content -Raw (Join-Path $repo 'examples/apps/notes/app.yaml')) -replace '(?m)^(apiVersion|kind):.*\r?\n', ''
        $app = $app.Replace('    port: 8080', "    port: 8080`n    publicPort: $appPort").Replace('fromFile: notes.url', "fromFile: $urlFile")
        $appItem = ($app -split "`n" | Where-Object { $_ -notmatch '^\s*#' -and $_ -ne '' } | ForEach-Object -Begin { $first = $true } -Process {
                if ($first) { $first = $false; "  - $_" } else { "    $_" } }) -join "`n"
        $script:envFile = Join-Path $work 'env.yaml'
        Set-Content -Path $envFile -Value @"
name: $envName
servers:
  - name: db
    role: db
data:
  - name: main
    engine: postgresql
    version: 15
    container: true
    port: $pgPort
    storage: 256Mi
    users: [{ name: notes }]
    databases: [{ name: notes, owner: notes }]
    backup: { keep: 20 }
apps:
$appItem
"@
        $script:service = Import-DevOpsEnvironment $envFile | Deploy-DataService -ErrorAction Stop
        & (Join-Path $repo 'examples/apps/notes/build.ps1') -BaseImage $service.Image

        function Get-Notes { @(Invoke-RestMethod "$url/notes" -TimeoutSec 10) }
        function Get-Version { (Invoke-RestMethod "$url/version" -TimeoutSec 5).version }
        function Get-Backups { @(Get-AppBackup -Environment $envName -Service main) }
        $script:common = @{ Path = $envFile; Environment = $envName; TimeoutSec = 120 }
    }

    AfterAll {
        Remove-App notes -Environment $envName -Force -ErrorAction SilentlyContinue
        # Whatever a failed test left: only this suite's app containers, data container and volume.
        @(podman ps -a --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" }) | ForEach-Object { podman rm -f -t 0 -- $_ *> $null }
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'deploys v1: the data service backed up before its migration, which is recorded' {
        $d = Deploy-App @common -Image localhost/devopstools-notes:1 -ErrorAction 'Stop'
        $d.Status | Should -Be 'Healthy'
        Get-Version | Should -Be '1'
        $d.Migrations.Count | Should -Be 1
        $d.Migrations[0].ImageDigest | Should -Be $d.ImageDigest
        $d.Migrations[0].Command | Should -Contain '/usr/local/lib/notes/migrate.py'
        $backups = Get-Backups
        $backups.Count | Should -Be 1
        $d.Migrations[0].Backups | Should -Be @($backups[0].Id)
        (Invoke-RestMethod "$url/healthz").ok | Should -BeTrue
    }

    It 'writes data through v1' {
        foreach ($text in 'first', 'second', 'third') {
            (Invoke-RestMethod -Method Post "$url/notes?text=$text").id | Should -BeGreaterThan 0
        }
        (Get-Notes).text | Should -Be @('first', 'second', 'third')
        (Get-Notes)[0].PSObject.Properties.Name | Should -Not -Contain 'created_at'
    }

    It '-WhatIf takes no backup and runs no migration' {
        $before = (Get-Backups).Count
        Deploy-App @common -Image localhost/devopstools-notes:2 -WhatIf -InformationVariable 'plan'
        ($plan | Out-String) | Should -Match "backup of $envName/main"
        (Get-Backups).Count | Should -Be $before
        (Get-AppDeployment notes -Environment $envName).Migrations.Count | Should -Be 1
        Get-Version | Should -Be '1'
    }

    It 'deploys v2 with its migration: a backup first, the data still there and the column present' {
        $before = (Get-Backups).Count
        $d = Deploy-App @common -Image localhost/devopstools-notes:2 -ErrorAction 'Stop'
        $d.Status | Should -Be 'Healthy'
        Get-Version | Should -Be '2'
        (Get-Backups).Count | Should -Be ($before + 1)
        $notes = Get-Notes
        $notes.text | Should -Be @('first', 'second', 'third')
        $notes[0].PSObject.Properties.Name | Should -Contain 'created_at'
        $notes[0].created_at | Should -Not -BeNullOrEmpty
        $shown = Get-AppDeployment notes -Environment $envName
        $shown.Migrations.Count | Should -Be 2
        $shown.Migrations[0].ImageDigest | Should -Be $d.ImageDigest
        $shown.Migrations[0].Backups | Should -Be @((Get-Backups)[0].Id)
    }

    It 'a second deploy of the same version does not run the migration again (nor back up)' {
        $before = (Get-Backups).Count
        $d = Deploy-App @common -Image localhost/devopstools-notes:2 -ErrorAction 'Stop' -Verbose 4>&1 | Tee-Object -Variable said | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $d.Status | Should -Be 'Healthy'
        $d.Revision | Should -Be 3
        ($said | Out-String) | Should -Match 'not run again'
        (Get-Backups).Count | Should -Be $before
        $d.Migrations.Count | Should -Be 2
        (Get-Notes).Count | Should -Be 3
    }

    It 'a failed migration leaves v2 serving, names the command and its output, and gives the Restore-AppData command that brings the data back' {
        $failed = $null
        try { Deploy-App @common -Image localhost/devopstools-notes:broken -ErrorAction Stop | Out-Null } catch { $failed = @($_) }
        $failed | Should -Not -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DeployMigrationFailed*'
        $message = $failed[0].Exception.Message
        $message | Should -Match 'migrate\.py'
        $message | Should -Match 'no_such_table'
        $newest = (Get-Backups)[0]
        $command = "Restore-AppData -Id $($newest.Id) -Environment $envName -Service main -Force"
        $message | Should -Match ([regex]::Escape($command))
        Get-Version | Should -Be '2'
        (Get-AppDeployment notes -Environment $envName).Migrations.Count | Should -Be 2
        # The broken migration deleted the notes before it failed; the backup taken before it restores them.
        (Get-Notes).Count | Should -Be 0
        Invoke-Expression $command | Out-Null
        (Get-Notes).text | Should -Be @('first', 'second', 'third')
        (Invoke-RestMethod "$url/healthz").notes | Should -Be 3
    }

    It '-RestoreOnFailure restores the backup by itself and says so' {
        $before = (Get-Backups).Count
        $failed = $null
        try { Deploy-App @common -Image localhost/devopstools-notes:broken -RestoreOnFailure -ErrorAction Stop | Out-Null } catch { $failed = @($_) }
        $failed | Should -Not -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DeployMigrationFailed*'
        $failed[0].Exception.Message | Should -Match 'RestoreOnFailure: the data of .+/main was restored'
        $failed[0].Exception.Message | Should -Match ([regex]::Escape((Get-Backups)[0].Id))
        (Get-Backups).Count | Should -Be ($before + 1)
        Get-Version | Should -Be '2'
        (Get-Notes).text | Should -Be @('first', 'second', 'third')
    }

    It 'a standalone app.yaml whose migration names a data service it was not given changes nothing' {
        $spec = Join-Path $work 'notes.yaml'
        (Get-Content -Raw (Join-Path $PSScriptRoot '../../examples/apps/notes/app.yaml')) | Set-Content $spec
        { Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-notes:broken -ErrorAction Stop } |
            Should -Throw -ErrorId 'DataServiceNotFound*'
        Get-Version | Should -Be '2'
    }

    It 'an environment file whose migration names a data service it does not have is refused at the field' {
        $bad = Join-Path $work 'bad.yaml'
        (Get-Content -Raw $envFile).Replace('dataService: main', 'dataService: other') | Set-Content $bad
        { Import-DevOpsEnvironment $bad -ErrorAction Stop } | Should -Throw '*migration.dataService*other*'
    }
}
