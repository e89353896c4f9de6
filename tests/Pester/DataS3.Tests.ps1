# Backup-AppData, Get-AppBackup, Restore-AppData and Test-AppBackup with an S3 bucket as the store:
# a real S3-compatible server (s3rver from npm, tests/S3Server) on a free 127.0.0.1 port, reached
# through the module's real AWSSDK.S3; curl, a second client, proves what is in the bucket. The data
# service is a real PostgreSQL in Podman. Everything carries the environment dts3-<random> and is
# removed by the guarded helpers, even on failure; the server is stopped after the suite.
BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../S3Server/S3Server.psm1') -Force

    $script:PreviousHome = $env:DEVOPSTOOLS_HOME
    $script:DataRoot = New-TestDataRoot
    $script:EnvName = 'dts3-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:Work = New-TestTempDirectory -Prefix 'dts3'
    $script:Bucket = 'dts3-backups'
    $script:S3 = Start-TestS3Server -Directory (Join-Path $Work 's3rver') -Bucket $Bucket
    $script:Endpoint = $S3.Url
    $script:Store = "s3://$Bucket/team"
    $script:Port = Get-TestFreePort
    $script:EnvFile = Join-Path $Work 'env.yaml'
    Set-Content -Path $EnvFile -NoNewline -Value @"
name: $EnvName
data:
  - name: main
    engine: postgresql
    version: 15
    container: true
    port: $Port
    storage: 256Mi
    users: [{ name: shop }]
    databases: [{ name: shop, owner: shop }]
    backup: { keep: 5, destination: '$Store', endpointUrl: '$Endpoint' }
"@
    $script:Container = "devopstools-data-$EnvName-main"

    # psql as the superuser in the service's container: SQL passed on standard input, as data.
    function Invoke-Psql([string] $Sql) {
        $out = $Sql | & podman exec -i $Container psql -X -q -A -t -v ON_ERROR_STOP=1 -h /run/postgresql -d shop 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql: $out" }
        $out
    }
    function Get-Rows { [int](Invoke-Psql 'SELECT count(*) FROM orders;') }
    # The bucket as curl sees it (S3 ListObjectsV2, path-style, s3rver takes anonymous requests).
    function Get-BucketKeys([string] $Prefix) {
        [xml] $list = & curl -sf "$Endpoint/$Bucket`?list-type=2&prefix=$([Uri]::EscapeDataString($Prefix))"
        @($list.ListBucketResult.Contents | Where-Object { $_ } | ForEach-Object Key)
    }
    function Get-ObjectHash([string] $Key) {
        $file = Join-Path $Work ([guid]::NewGuid().ToString('N'))
        & curl -sf -o $file "$Endpoint/$Bucket/$Key"
        try { (Get-FileHash -Algorithm SHA256 $file).Hash.ToLowerInvariant() } finally { Remove-Item $file }
    }
    $script:ServicePrefix = "team/$EnvName/main/"

    Import-DevOpsEnvironment $EnvFile | Deploy-DataService | Out-Null
    Invoke-Psql "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT i, 'item ' || i FROM generate_series(1, 100) i;" | Out-Null
    $script:Data = (Import-DevOpsEnvironment $EnvFile).Data
}

AfterAll {
    Stop-TestS3Server $S3
    Remove-TestPodmanEnvironment -Environment $EnvName
    Remove-TestTempDirectory -Path $Work
    Remove-TestDataRoot -Path $DataRoot -Restore $PreviousHome
}

Describe 'Backups in an S3 bucket (s3rver on loopback, through AWSSDK.S3)' {
    It '-WhatIf uploads nothing' {
        $Data | Backup-AppData -WhatIf | Should -BeNullOrEmpty
        Get-BucketKeys $ServicePrefix | Should -BeNullOrEmpty
    }

    It 'backs up to the environment file''s destination: the dump and its manifest in the bucket, checksum and size as curl reads them' {
        $backup = $Data | Backup-AppData
        $backup.PSObject.TypeNames[0] | Should -Be 'DevOpsTools.AppBackup'
        $backup.Path | Should -Be "s3://$Bucket/$ServicePrefix$($backup.Id).dump"
        $backup.ManifestPath | Should -Be "s3://$Bucket/$ServicePrefix$($backup.Id).json"
        $backup.Store | Should -Be $Store
        $backup.EndpointUrl | Should -Be $Endpoint
        $keys = Get-BucketKeys $ServicePrefix
        $keys | Should -Be @("$ServicePrefix$($backup.Id).dump", "$ServicePrefix$($backup.Id).json")
        Get-ObjectHash "$ServicePrefix$($backup.Id).dump" | Should -Be $backup.Sha256
        $manifest = & curl -sf "$Endpoint/$Bucket/$ServicePrefix$($backup.Id).json" | ConvertFrom-Json
        $manifest.sha256 | Should -Be $backup.Sha256
        $manifest.sizeBytes | Should -Be $backup.SizeBytes
        $manifest.duration | Should -Not -BeNullOrEmpty
        $head = & curl -sfI "$Endpoint/$Bucket/$ServicePrefix$($backup.Id).dump"
        ($head | Where-Object { $_ -match '^Content-Length:' }) -replace '\D' | Should -Be $backup.SizeBytes
        # Nothing was written to the module data directory.
        Test-Path (Join-Path $DataRoot "backups/$EnvName") | Should -BeFalse
        # AWSSDK.S3 did the work from the module's private load context, like AWSSDK.EC2.
        $s3 = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AWSSDK.S3' }
        $s3 | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($s3).Name | Should -Be 'DevOpsTools'
        $s3.GetName().Version.Major | Should -Be 4
    }

    It 'Get-AppBackup lists from the bucket; a dump without its manifest is not a backup' {
        & curl -sf -X PUT --data-binary 'PGDMP-incomplete' "$Endpoint/$Bucket/${ServicePrefix}shop-20200101T000000000Z.dump" | Out-Null
        $listed = Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint
        $listed | Should -HaveCount 1
        $listed[0].Path | Should -BeLike "s3://$Bucket/$ServicePrefix*.dump"
        (Get-AppBackup -Path $Store -S3EndpointUrl $Endpoint).Id | Should -Be $listed[0].Id
        & curl -sf -X DELETE "$Endpoint/$Bucket/${ServicePrefix}shop-20200101T000000000Z.dump" | Out-Null
    }

    It 'restores into the service after the data is deleted: the rows are back' {
        Invoke-Psql 'DELETE FROM orders;' | Out-Null
        Get-Rows | Should -Be 0
        $latest = Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint -Last 1
        $restored = $latest | Restore-AppData -Force
        $restored.Id | Should -Be $latest.Id
        Get-Rows | Should -Be 100
        # By id, with the store given: the same.
        Invoke-Psql 'DELETE FROM orders WHERE id > 50;' | Out-Null
        Restore-AppData -Id $latest.Id -Environment $EnvName -Service main -Path $Store -S3EndpointUrl $Endpoint -Force | Out-Null
        Get-Rows | Should -Be 100
        # The downloaded copy is gone.
        Get-ChildItem -Force (Join-Path $DataRoot 'backups/.downloads') -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'streams a dump larger than a part as a multipart upload (the server''s log has the parts), and restores it' {
        # About 20 MB of poorly compressible rows: more than one 8 MiB part after pg_dump's compression.
        Invoke-Psql "CREATE TABLE bulk AS SELECT i, md5(random()::text) || md5(random()::text) || md5(random()::text) AS pad FROM generate_series(1, 300000) i;" | Out-Null
        try {
            $backup = $Data | Backup-AppData
            $backup.SizeBytes | Should -BeGreaterThan (8MB)
            # The server's request log (colours stripped): one request line per part of this object.
            $parts = Get-Content $S3.Log | ForEach-Object { $_ -replace "`e\[[0-9;]*m" } |
                Where-Object { $_.Contains("$ServicePrefix$($backup.Id).dump?") -and $_ -match 'partNumber=(\d+)' } |
                ForEach-Object { [regex]::Match($_, 'partNumber=(\d+)').Groups[1].Value } | Sort-Object -Unique
            @($parts).Count | Should -BeGreaterOrEqual 2
            Get-ObjectHash "$ServicePrefix$($backup.Id).dump" | Should -Be $backup.Sha256
            Invoke-Psql 'DROP TABLE bulk;' | Out-Null
            $backup | Restore-AppData -Force | Out-Null
            [int](Invoke-Psql 'SELECT count(*) FROM bulk;') | Should -Be 300000
        } finally { Invoke-Psql 'DROP TABLE IF EXISTS bulk;' | Out-Null }
    }

    It 'stopped midway (Ctrl+C), an upload leaves nothing in the bucket that looks like a backup' {
        Invoke-Psql "CREATE TABLE bulk AS SELECT i, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) AS pad FROM generate_series(1, 600000) i;" | Out-Null
        $before = Get-BucketKeys $ServicePrefix
        $partsBefore = @(Select-String -Path $S3.Log -Pattern 'partNumber=').Count
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($Module, $File) Import-Module $Module; (Import-DevOpsEnvironment $File).Data | Backup-AppData }).
                AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($EnvFile)
            $run = $ps.BeginInvoke()
            # Stopped once the server has received a part of this upload (the log's part lines grew).
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (@(Select-String -Path $S3.Log -Pattern 'partNumber=').Count -le $partsBefore -and -not $run.IsCompleted -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }
            $run.IsCompleted | Should -BeFalse -Because 'the upload must still be running when it is stopped'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'Ctrl+C stops promptly'
        } finally {
            $ps.Dispose()
            Invoke-Psql 'DROP TABLE IF EXISTS bulk;' | Out-Null
        }
        Get-BucketKeys $ServicePrefix | Should -Be $before
        (Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint).Count | Should -Be (@($before | Where-Object { $_ -like '*.json' }).Count)
    }

    It 'Test-AppBackup proves a backup from the bucket in a throwaway container' {
        $result = Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint -Last 1 | Test-AppBackup
        $result.Reason | Should -BeNullOrEmpty
        $result.Passed | Should -BeTrue
        $result.Rows | Should -BeGreaterOrEqual 100
        & podman ps -a --format '{{.Names}}' --filter label=devopstools.role=data-check | Where-Object { $_ -like "*$EnvName*" } | Should -BeNullOrEmpty
    }

    It 'refuses a corrupted object, naming its key, and changes nothing' {
        $backup = $Data | Backup-AppData
        $key = "$ServicePrefix$($backup.Id).dump"
        $file = Join-Path $Work 'tampered.dump'
        & curl -sf -o $file "$Endpoint/$Bucket/$key"
        $bytes = [IO.File]::ReadAllBytes($file); $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xff
        [IO.File]::WriteAllBytes($file, $bytes)
        & curl -sf -X PUT --data-binary "@$file" "$Endpoint/$Bucket/$key" | Out-Null
        Get-ObjectHash $key | Should -Not -Be $backup.Sha256
        Invoke-Psql "INSERT INTO orders VALUES (1000, 'after the backup');" | Out-Null
        $backup | Restore-AppData -Force -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch,*'
        "$($errs[0])" | Should -BeLike "*s3://$Bucket/$key does not match its manifest*nothing was restored*"
        Get-Rows | Should -Be 101
        (Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint | Where-Object Id -eq $backup.Id | Test-AppBackup).Passed | Should -BeFalse
        Get-ChildItem -Force (Join-Path $DataRoot 'backups/.downloads') -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'retention: -Keep 2 leaves the newest two backups in the bucket and deletes the older objects' {
        $made = 1..3 | ForEach-Object { $Data | Backup-AppData -Keep 2 }
        $left = Get-AppBackup $EnvName main -Path $Store -S3EndpointUrl $Endpoint
        $left | Should -HaveCount 2
        $left.Id | Should -Be @($made[2].Id, $made[1].Id)
        $keys = Get-BucketKeys $ServicePrefix
        $keys | Should -HaveCount 4
        $keys | Where-Object { $_ -like '*.dump' } | Should -HaveCount 2
    }
}

Describe 'S3 store errors: stable ErrorIds, clear messages, no secrets, nothing changed' {
    It 'an unknown bucket is BackupStoreNotFound naming it, for a backup and a listing' {
        $Data | Backup-AppData -Path 's3://dts3-no-such-bucket/x' -S3EndpointUrl $Endpoint -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupStoreNotFound,*'
        "$($errs[0])" | Should -BeLike "*no bucket 'dts3-no-such-bucket'*"
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-AppBackup -Path 's3://dts3-no-such-bucket' -S3EndpointUrl $Endpoint -ErrorVariable listErrs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $listErrs[0].FullyQualifiedErrorId | Should -BeLike 'BackupStoreNotFound,*'
    }

    It 'an endpoint nobody listens on is BackupStoreUnreachable' {
        $closed = "http://127.0.0.1:$(Get-TestFreePort)"
        Get-AppBackup -Path $Store -S3EndpointUrl $closed -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupStoreUnreachable,*'
        "$($errs[0])" | Should -BeLike "*$closed*"
    }

    It 'credentials the server does not know are BackupStoreAccessDenied, and neither key nor secret is in the error' {
        $saved = $env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY
        $env:AWS_ACCESS_KEY_ID = 'AKIADTS3NOTAKEY0001'; $env:AWS_SECRET_ACCESS_KEY = 'dts3-secret-never-shown-0123456789'
        try {
            $Data | Backup-AppData -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally { $env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY = $saved }
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupStoreAccessDenied,*'
        $text = ($errs[0] | Format-List * -Force | Out-String) + "$($errs[0].Exception.InnerException)"
        $text | Should -Not -Match 'AKIADTS3NOTAKEY0001'
        $text | Should -Not -Match 'dts3-secret-never-shown'
    }

    It 'a malformed S3 location or endpoint is InvalidParameter naming it; nothing is uploaded' {
        $before = Get-BucketKeys ''
        $Data | Backup-AppData -Path 's3://Bad_Bucket/x' -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidParameter,*'
        "$($errs[0])" | Should -BeLike "*'s3://Bad_Bucket/x'*bucket name*"
        Get-AppBackup -Path $Store -S3EndpointUrl 'ftp://127.0.0.1/' -ErrorVariable e2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'InvalidParameter,*'
        (Get-BucketKeys '') | Should -Be $before
    }

    It 'the environment file''s destination is checked at import, naming the file, line and field' {
        $bad = Join-Path $Work 'bad-destination.yaml'
        Set-Content -Path $bad -Value ((Get-Content -Raw $EnvFile) -replace [regex]::Escape("destination: '$Store'"), "destination: 's3://x'")
        { Import-DevOpsEnvironment $bad } | Should -Throw '*bad-destination.yaml*destination*bucket name*'
    }
}
