# Deploy-DataService against real PostgreSQL in Podman on this machine, reached with Npgsql
# through the endpoint and secret files the cmdlet records. Everything the suite makes carries its
# own environment name (dot-data-<random>) and is removed by the guarded helpers, even on failure.
BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-TestNpgsql

    $script:PreviousHome = $env:DEVOPSTOOLS_HOME
    $script:DataRoot = New-TestDataRoot
    $script:EnvName = 'dot-data-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Work = Join-Path $DataRoot 'work'
    New-Item -ItemType Directory -Force $Work | Out-Null

    $script:Port = Get-TestFreePort

    function New-DataEnvFile([string] $Name, [string] $Services) {
        $path = Join-Path $Work $Name
        Set-Content -Path $path -NoNewline -Value "name: $EnvName`nservers:`n  - name: db`n    role: db`ndata:`n$Services"
        $path
    }
    $script:EnvFile = New-DataEnvFile 'env.yaml' @"
  - name: main
    engine: postgresql
    version: 15
    container: true
    port: $Port
    storage: 256Mi
    users: [{ name: shop }, { name: report }]
    databases: [{ name: shop, owner: shop }]
    backup: { keep: 3 }
"@

    # An Npgsql connection from a postgresql:// URL file: the way an app gets it, by reference.
    function Connect-FromUrlFile([string] $Path) {
        $uri = [Uri](Get-Content -Raw $Path).Trim()
        $user, $password = $uri.UserInfo -split ':', 2
        $builder = [Npgsql.NpgsqlConnectionStringBuilder]::new()
        $builder.Host = $uri.Host; $builder.Port = $uri.Port; $builder.Username = $user; $builder.Password = $password
        $builder.Database = $uri.AbsolutePath.TrimStart('/'); $builder.Pooling = $false; $builder.Timeout = 10
        $connection = [Npgsql.NpgsqlConnection]::new($builder.ConnectionString)
        $connection.Open()
        $connection
    }
    function Invoke-Sql($Connection, [string] $Sql) {
        $command = $Connection.CreateCommand(); $command.CommandText = $Sql
        try { $command.ExecuteScalar() } finally { $command.Dispose() }
    }
    function Test-Login([string] $User, [string] $Password, [string] $Database = 'postgres') {
        $text = "Host=127.0.0.1;Port=$Port;Username=$User;Password=$Password;Database=$Database;Pooling=false;Timeout=5"
        $connection = [Npgsql.NpgsqlConnection]::new($text)
        try { $connection.Open(); $true } catch { $false } finally { $connection.Dispose() }
    }
    $script:Container = "devopstools-data-$EnvName-main"
    $script:Secrets = Join-Path $DataRoot "data/$EnvName/main"
}

AfterAll {
    Remove-TestPodmanEnvironment -Environment $EnvName
    Remove-TestDataRoot -Path $DataRoot -Restore $PreviousHome
}

Describe 'Deploy-DataService in a container on this machine' {
    It '-WhatIf returns the plan and changes nothing: no image use, volume, container or secret file' {
        $plan = Import-DevOpsEnvironment $EnvFile | Deploy-DataService -WhatIf
        $plan.Status | Should -Be 'Planned'
        $plan.Changes | Should -Contain "create volume $Container (256Mi)"
        $plan.Changes | Should -Contain "create database shop owned by shop"
        & podman volume exists $Container; $LASTEXITCODE | Should -Be 1
        & podman container exists $Container; $LASTEXITCODE | Should -Be 1
        Test-Path $Secrets | Should -BeFalse
    }

    It 'sets it up: PostgreSQL 15 on 127.0.0.1, users with 0600 secret files, databases their owners reach by URL' {
        $service = Import-DevOpsEnvironment $EnvFile | Deploy-DataService
        $service.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.DataService'
        $service.Status | Should -Be 'Created'
        $service.Endpoint | Should -Be "127.0.0.1:$Port"
        $service.SecretPath | Should -Be $Secrets
        (& stat -c '%a' $Secrets) | Should -Be '700'
        foreach ($file in 'shop.password', 'shop.url', 'report.password', 'report.url') {
            (& stat -c '%a' (Join-Path $Secrets $file)) | Should -Be '600'
        }
        $password = (Get-Content -Raw (Join-Path $Secrets 'shop.password')).Trim()
        ($service | Format-List * | Out-String) + ($service.Changes -join "`n") | Should -Not -Match ([regex]::Escape($password))

        $db = Connect-FromUrlFile $service.UrlFile('shop')
        try {
            Invoke-Sql $db 'SHOW server_version_num' | Should -Match '^15'
            Invoke-Sql $db 'CREATE TABLE orders (id int PRIMARY KEY, item text)' | Out-Null
            Invoke-Sql $db "INSERT INTO orders SELECT i, 'item ' || i FROM generate_series(1, 100) i" | Out-Null
            Invoke-Sql $db 'SELECT count(*) FROM orders' | Should -Be 100
        } finally { $db.Dispose() }
    }

    It 'a second run changes nothing and says so' {
        $again = Import-DevOpsEnvironment $EnvFile | Deploy-DataService
        $again.Status | Should -Be 'Unchanged'
        $again.Changes | Should -BeNullOrEmpty
        (Import-DevOpsEnvironment $EnvFile | Deploy-DataService -WhatIf).Changes | Should -BeNullOrEmpty
    }

    It 'listens on loopback only, with password logins for users and none for the superuser or strangers' {
        $listening = & ss -Hltn "sport = :$Port"
        $listening | Should -Match "127\.0\.0\.1:$Port"
        $listening | Should -Not -Match "(0\.0\.0\.0|\*|\[::\]):$Port"
        $report = (Get-Content -Raw (Join-Path $Secrets 'report.password')).Trim()
        Test-Login report $report | Should -BeTrue
        Test-Login report 'wrong-password' | Should -BeFalse
        Test-Login postgres $report | Should -BeFalse
        # Only its owner may connect to a database.
        Test-Login report $report -Database shop | Should -BeFalse
    }

    It 'a lost password file gets a new password set on the user; the data stays' {
        $old = (Get-Content -Raw (Join-Path $Secrets 'shop.password')).Trim()
        Remove-Item (Join-Path $Secrets 'shop.password')
        $service = Import-DevOpsEnvironment $EnvFile | Deploy-DataService
        $service.Status | Should -Be 'Updated'
        $service.Changes | Should -Contain 'set the password of user shop'
        $new = (Get-Content -Raw (Join-Path $Secrets 'shop.password')).Trim()
        $new | Should -Not -Be $old
        Test-Login shop $old -Database shop | Should -BeFalse
        $db = Connect-FromUrlFile $service.UrlFile('shop')
        try { Invoke-Sql $db 'SELECT count(*) FROM orders' | Should -Be 100 } finally { $db.Dispose() }
    }

    It 'a removed container comes back on the same volume with the data' {
        & podman rm -f -t 30 $Container | Out-Null
        $service = Import-DevOpsEnvironment $EnvFile | Deploy-DataService
        $service.Status | Should -Be 'Updated'
        $service.Changes | Should -Be @("start container $Container on 127.0.0.1:$Port")
        $db = Connect-FromUrlFile $service.UrlFile('shop')
        try { Invoke-Sql $db 'SELECT count(*) FROM orders' | Should -Be 100 } finally { $db.Dispose() }
    }

    It 'binds -Data by value and filters by -Name' {
        $data = (Import-DevOpsEnvironment $EnvFile).Data
        ($data | Deploy-DataService -Name 'ma*').Status | Should -Be 'Unchanged'
        $data | Deploy-DataService -Name 'other' | Should -BeNullOrEmpty
    }
}

Describe 'Backups of the data service: backed up, listed, restored, proved' {
    BeforeAll {
        $script:Data = (Import-DevOpsEnvironment $EnvFile).Data
        $script:BackupDir = Join-Path $DataRoot "backups/$EnvName/main"
        function Get-Rows { $db = Connect-FromUrlFile (Join-Path $Secrets 'shop.url'); try { Invoke-Sql $db 'SELECT count(*) FROM orders' } finally { $db.Dispose() } }
    }

    It '-WhatIf writes no backup' {
        $Data | Backup-AppData -WhatIf | Should -BeNullOrEmpty
        Test-Path $BackupDir | Should -BeFalse
    }

    It 'writes a pg_dump custom file and its manifest, 0600, with the checksum and size of the file; no partial file stays' {
        $backup = $Data | Backup-AppData
        $backup.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.AppBackup'
        $backup.Database | Should -Be 'shop'
        $backup.Path | Should -Be (Join-Path $BackupDir "$($backup.Id).dump")
        (Get-FileHash -Algorithm SHA256 $backup.Path).Hash.ToLowerInvariant() | Should -Be $backup.Sha256
        (Get-Item $backup.Path).Length | Should -Be $backup.SizeBytes
        [IO.File]::ReadAllBytes($backup.Path)[0..4] | Should -Be ([Text.Encoding]::ASCII.GetBytes('PGDMP'))
        (& stat -c '%a' $backup.Path) | Should -Be '600'
        (& stat -c '%a' $backup.ManifestPath) | Should -Be '600'
        (Get-Content -Raw $backup.ManifestPath | ConvertFrom-Json).sha256 | Should -Be $backup.Sha256
        Get-ChildItem -Force $BackupDir -Filter '*.partial' | Should -BeNullOrEmpty
        (Get-AppBackup $EnvName main).Id | Should -Be $backup.Id
    }

    It 'restores after the table is dropped: the rows are back' {
        $db = Connect-FromUrlFile (Join-Path $Secrets 'shop.url')
        try { Invoke-Sql $db 'DROP TABLE orders' | Out-Null } finally { $db.Dispose() }
        $latest = Get-AppBackup $EnvName main -Last 1
        # -WhatIf, by id (the parameters bind by property name too): nothing is restored.
        [pscustomobject]@{ Id = $latest.Id; Environment = $EnvName; Service = 'main' } | Restore-AppData -WhatIf | Should -BeNullOrEmpty
        { Get-Rows } | Should -Throw '*orders*'
        $restored = $latest | Restore-AppData -Force
        $restored.Database | Should -Be 'shop'
        Get-Rows | Should -Be 100
    }

    It 'lists backups of a DataService from the pipeline, and says when an id does not exist' {
        $service = (Import-DevOpsEnvironment $EnvFile).Data | Deploy-DataService
        ($service | Get-AppBackup).Service | Sort-Object -Unique | Should -Be 'main'
        Restore-AppData -Id 'shop-19990101T000000000Z' -Environment $EnvName -Service main -Force -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
    }

    It 'refuses a backup whose checksum does not match, naming the file, and touches nothing' {
        $copyDir = Join-Path $Work 'tampered'
        $backup = $Data | Backup-AppData -Path $copyDir -Keep 5
        $bytes = [IO.File]::ReadAllBytes($backup.Path); $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xff
        [IO.File]::WriteAllBytes($backup.Path, $bytes)
        $db = Connect-FromUrlFile (Join-Path $Secrets 'shop.url')
        try { Invoke-Sql $db "INSERT INTO orders VALUES (1000, 'after the backup')" | Out-Null } finally { $db.Dispose() }
        Get-AppBackup -Path $copyDir | Restore-AppData -Force -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch,*'
        "$($errs[0])" | Should -BeLike "*$($backup.Path) does not match its manifest*nothing was restored*"
        Get-Rows | Should -Be 101
        (Get-AppBackup -Path $copyDir | Test-AppBackup).Passed | Should -BeFalse
    }

    It 'keeps only the newest -Keep backups of the database' {
        1..3 | ForEach-Object { $Data | Backup-AppData -Keep 2 | Out-Null }
        $left = Get-AppBackup $EnvName main
        $left | Should -HaveCount 2
        Get-ChildItem $BackupDir -Filter *.dump | Should -HaveCount 2
    }

    It 'Test-AppBackup restores into a throwaway container, counts tables and rows, and leaves nothing behind' {
        $result = Get-AppBackup $EnvName main -Last 1 | Test-AppBackup
        $result.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.AppBackupTest'
        $result.Reason | Should -BeNullOrEmpty
        $result.Passed | Should -BeTrue
        $result.Tables | Should -Be 1
        $result.Rows | Should -Be 101
        # One label filter: podman ORs several label filters of volume ls.
        & podman ps -a --format '{{.Names}}' --filter label=devopstools.role=data-check | Where-Object { $_ -like "*$EnvName*" } | Should -BeNullOrEmpty
        & podman volume ls -q --filter label=devopstools.role=data-check | Where-Object { $_ -like "*$EnvName*" } | Should -BeNullOrEmpty
    }

    It 'stopped midway (Ctrl+C), a backup leaves no file that looks complete, and no partial file' {
        $db = Connect-FromUrlFile (Join-Path $Secrets 'shop.url')
        try {
            # About 60 MB of poorly compressible rows, so the dump takes long enough to be stopped.
            Invoke-Sql $db "CREATE TABLE bulk AS SELECT i, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) AS pad FROM generate_series(1, 400000) i" | Out-Null
        } finally { $db.Dispose() }
        $dir = Join-Path $Work 'stopped'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($Module, $File, $Dir) Import-Module $Module; (Import-DevOpsEnvironment $File).Data | Backup-AppData -Path $Dir }).
                AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($EnvFile).AddArgument($dir)
            $run = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-ChildItem -Force $dir -Filter '*.partial' -ErrorAction SilentlyContinue | Where-Object Length -gt 0) -and -not $run.IsCompleted -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }
            $run.IsCompleted | Should -BeFalse -Because 'the dump must still be running when it is stopped'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'Ctrl+C stops promptly'
        } finally { $ps.Dispose() }
        Get-ChildItem -Force $dir | Should -BeNullOrEmpty
        Get-AppBackup -Path $dir | Should -BeNullOrEmpty
        # And pg_dump in the container ends too (its output pipe is gone).
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((& podman exec $Container pgrep -x pg_dump) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        & podman exec $Container pgrep -x pg_dump | Should -BeNullOrEmpty
        $db = Connect-FromUrlFile (Join-Path $Secrets 'shop.url')
        try { Invoke-Sql $db 'DROP TABLE bulk' | Out-Null } finally { $db.Dispose() }
    }

    It 'a directory that cannot be written is BackupTargetNotWritable' {
        $file = New-DataEnvFile 'not-a-dir.txt' 'x'
        $Data | Backup-AppData -Path (Join-Path $file 'sub') -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupTargetNotWritable,*'
    }
}

Describe 'Deploy-DataService refuses what it cannot give, before changing anything' {
    It 'a service on a server role that no server of the environment has is ServerNotFound naming the file, line and role' {
        $file = New-DataEnvFile 'role.yaml' "  - { name: onrole, engine: postgresql, role: db }`n"
        Import-DevOpsEnvironment $file | Deploy-DataService -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ServerNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        "$($errs[0])" | Should -BeLike "${file}:6:5: `$.data[[]0]: role: data service 'onrole' runs on the server with role 'db', but environment '$EnvName' has no such server*"
    }

    It 'storage larger than the free space is DataStorageUnavailable naming file, line and field; no volume is made' {
        $file = New-DataEnvFile 'big.yaml' "  - name: huge`n    engine: postgresql`n    container: true`n    port: $(Get-TestFreePort)`n    storage: 64Ti`n"
        Import-DevOpsEnvironment $file | Deploy-DataService -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DataStorageUnavailable,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        "$($errs[0])" | Should -BeLike "${file}:6:5: `$.data[[]0]: storage: data service 'huge' asks for 64Ti*free*"
        & podman volume exists "devopstools-data-$EnvName-huge"; $LASTEXITCODE | Should -Be 1
    }

    It 'a port another program listens on is DataPortInUse; no container is started' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $busy = $listener.LocalEndpoint.Port
            $file = New-DataEnvFile 'busy.yaml' "  - { name: busy, engine: postgresql, container: true, port: $busy, storage: 64Mi }`n"
            Import-DevOpsEnvironment $file | Deploy-DataService -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'DataPortInUse,*'
            "$($errs[0])" | Should -BeLike "*port: 127.0.0.1:$busy on this machine is already in use*"
            & podman container exists "devopstools-data-$EnvName-busy"; $LASTEXITCODE | Should -Be 1
        } finally { $listener.Stop() }
    }
}
