# Backup-AppData / Restore-AppData of app volumes against this machine's real Podman: a volume
# named as Deploy-App names an app's volume (dot-<environment>-<app>-<name>), filled with text,
# binary and nested files, archived, restored, and compared by a content checksum computed here
# from the volumes' own directories (sha256 of every file with its relative path), not by the
# module. Everything carries the suite's own environment (dtvol-<random>) and is removed in AfterAll.
BeforeAll {
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    $script:PreviousHome = $env:DEVOPSTOOLS_HOME
    $script:DataRoot = New-TestDataRoot
    $script:EnvName = 'dtvol-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:App = 'files'
    $script:Source = "dot-$EnvName-$App-data"
    $script:Fresh = "$EnvName-restored"
    $script:Other = "$EnvName-other"
    $script:Created = [System.Collections.Generic.List[string]]::new()

    function New-TestVolume([string] $Name) {
        & podman volume create --label "devopstools.environment=$EnvName" -- $Name | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "podman volume create $Name failed" }
        $Created.Add($Name)
    }
    function Get-VolumeDirectory([string] $Name) {
        $path = (& podman volume inspect --format '{{.Mountpoint}}' -- $Name).Trim()
        if ($LASTEXITCODE -ne 0 -or -not (Test-Path -LiteralPath $path)) { throw "volume $Name has no directory" }
        $path
    }
    # The content checksum: every file's relative path and SHA-256, sorted, hashed; directories
    # (also empty ones) by path. Independent of the module: .NET and the volume's directory only.
    function Get-VolumeChecksum([string] $Name) {
        $root = Get-VolumeDirectory $Name
        $lines = Get-ChildItem -LiteralPath $root -Recurse -Force | ForEach-Object {
            $relative = [IO.Path]::GetRelativePath($root, $_.FullName)
            if ($_.LinkType) { "l $relative $($_.LinkTarget)" }
            elseif ($_.PSIsContainer) { "d $relative" } else { "f $relative $((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)" }
        } | Sort-Object -CaseSensitive
        $bytes = [Text.Encoding]::UTF8.GetBytes(($lines -join "`n"))
        [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes))
    }

    New-TestVolume $Source
    $root = Get-VolumeDirectory $Source
    New-Item -ItemType Directory -Force (Join-Path $root 'nested/deeper') | Out-Null
    New-Item -ItemType Directory -Force (Join-Path $root 'empty-dir') | Out-Null
    Set-Content -LiteralPath (Join-Path $root 'readme.txt') -Value "notes of $EnvName" -NoNewline
    Set-Content -LiteralPath (Join-Path $root 'nested/deeper/config.json') -Value '{"a": 1}'
    $random = [byte[]]::new(300000); [Random]::new(42).NextBytes($random)
    # Every byte value, NUL and 0xFF included, then random data: a binary file a text path would corrupt.
    [IO.File]::WriteAllBytes((Join-Path $root 'nested/blob.bin'), [byte[]](0..255) + $random)
    # A link to a directory outside the volume: archived and restored as a link, never followed
    # (a -Force restore empties the volume first, and must not empty what the link points at).
    $script:Outside = New-TestTempDirectory -Prefix 'dtvol-outside'
    Set-Content -LiteralPath (Join-Path $Outside 'sentinel.txt') -Value 'must survive'
    New-Item -ItemType SymbolicLink -Path (Join-Path $root 'nested/outside') -Target $Outside | Out-Null
    $script:SourceChecksum = Get-VolumeChecksum $Source
}

AfterAll {
    foreach ($name in @($Created) + @($Fresh, $Other)) { & podman volume rm -f -- $name 2>$null | Out-Null }
    Remove-TestPodmanEnvironment -Environment $EnvName
    Remove-TestTempDirectory $Outside
    Remove-TestDataRoot -Path $DataRoot -Restore $PreviousHome
}

Describe 'Backups of app volumes on this machine' {
    It '-WhatIf writes no backup' {
        Backup-AppData -Environment $EnvName -App $App -Volume data -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $DataRoot "backups/$EnvName/$App") | Should -BeFalse
    }

    It 'archives the volume: a tar file with checksum, size and duration, its manifest last, listed by Get-AppBackup' {
        $backup = Backup-AppData -Environment $EnvName -App $App -Volume data
        $script:Backup = $backup
        $backup.Kind | Should -Be 'Volume'
        $backup.Volume | Should -Be $Source
        $backup.Format | Should -Be 'tar'
        $backup.Id | Should -Match '^vol-data-\d{8}T\d{9}Z$'
        $backup.Path | Should -Be (Join-Path $DataRoot "backups/$EnvName/$App/$($backup.Id).tar")
        (Get-Item $backup.Path).Length | Should -Be $backup.SizeBytes
        (Get-FileHash $backup.Path -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $backup.Sha256
        $backup.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        (Get-Item $backup.Path).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        Get-ChildItem -Force (Split-Path $backup.Path) -Filter '*.partial' | Should -BeNullOrEmpty
        $manifest = Get-Content -Raw $backup.ManifestPath | ConvertFrom-Json
        $manifest.kind | Should -Be 'Volume'
        $manifest.volume | Should -Be $Source
        # The archive holds the files under their paths, as tar itself reads it.
        $names = & tar -tf $backup.Path
        $names | Should -Contain 'nested/blob.bin'
        $names | Should -Contain 'nested/deeper/config.json'

        $listed = Get-AppBackup -Environment $EnvName -App $App -Kind Volume
        $listed.Id | Should -Be $backup.Id
        Get-AppBackup -Environment $EnvName -App $App -Kind Database | Should -BeNullOrEmpty
        (Test-AppBackup -Backup $listed).Passed | Should -BeTrue
        $script:Backup = $listed
    }

    It 'restores into a fresh volume whose content checksum equals the original''s' {
        & podman volume exists -- $Fresh; $LASTEXITCODE | Should -Be 1
        $restored = $Backup | Restore-AppData -TargetVolume $Fresh -Confirm:$false
        $restored.Id | Should -Be $Backup.Id
        & podman volume exists -- $Fresh; $LASTEXITCODE | Should -Be 0
        Get-VolumeChecksum $Fresh | Should -Be $SourceChecksum
        $bytes = [IO.File]::ReadAllBytes((Join-Path (Get-VolumeDirectory $Fresh) 'nested/blob.bin'))
        $bytes[0..255] | Should -Be (0..255)
    }

    It 'refuses to overwrite a volume with data without -Force, and with -Force makes it equal to the backup' {
        $root = Get-VolumeDirectory $Fresh
        Set-Content -LiteralPath (Join-Path $root 'readme.txt') -Value 'changed after the backup'
        Set-Content -LiteralPath (Join-Path $root 'extra.txt') -Value 'not in the backup'
        $changed = Get-VolumeChecksum $Fresh
        $changed | Should -Not -Be $SourceChecksum

        Restore-AppData -Id $Backup.Id -Environment $EnvName -App $App -TargetVolume $Fresh -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeNotEmpty*'
        $failed[0].Exception.Message | Should -BeLike "*$Fresh*-Force*"
        Get-VolumeChecksum $Fresh | Should -Be $changed

        Restore-AppData -Id $Backup.Id -Environment $EnvName -App $App -TargetVolume $Fresh -Force | Out-Null
        Get-VolumeChecksum $Fresh | Should -Be $SourceChecksum
        Test-Path -LiteralPath (Join-Path $root 'extra.txt') | Should -BeFalse
        (Get-Item -LiteralPath (Join-Path $root 'nested/outside') -Force).LinkTarget | Should -Be $Outside
        Get-Content -LiteralPath (Join-Path $Outside 'sentinel.txt') | Should -Be 'must survive'
    }

    It '-WhatIf restores nothing' {
        Restore-AppData -Backup $Backup -TargetVolume $Other -Force -WhatIf | Should -BeNullOrEmpty
        & podman volume exists -- $Other; $LASTEXITCODE | Should -Be 1
    }

    It 'refuses a corrupted backup by name and leaves the target unchanged' {
        $copy = Join-Path $DataRoot 'corrupt'
        New-Item -ItemType Directory -Force $copy | Out-Null
        Copy-Item $Backup.Path, $Backup.ManifestPath $copy
        $file = Join-Path $copy (Split-Path -Leaf $Backup.Path)
        $bytes = [IO.File]::ReadAllBytes($file)
        $bytes[$bytes.Length / 2] = $bytes[$bytes.Length / 2] -bxor 0xFF
        [IO.File]::WriteAllBytes($file, $bytes)
        Set-Content -LiteralPath (Join-Path (Get-VolumeDirectory $Fresh) 'marker.txt') -Value 'the target before the restore'
        $before = Get-VolumeChecksum $Fresh

        Restore-AppData -Id $Backup.Id -Environment $EnvName -App $App -Path $copy -TargetVolume $Fresh -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch*'
        $failed[0].Exception.Message | Should -BeLike "*$file*"
        Get-VolumeChecksum $Fresh | Should -Be $before
        $test = Get-AppBackup -Path $copy | Test-AppBackup
        $test.Passed | Should -BeFalse
        $test.Reason | Should -BeLike "*$file*"
    }

    It 'refuses a volume a running container mounts, naming the container, and leaves it unchanged' {
        # No image is needed: a rootfs of this machine's own sleep and its libc (podman run --rootfs).
        $rootfs = New-TestTempDirectory -Prefix 'dtvol-rootfs'
        $container = "$EnvName-user"
        try {
            foreach ($file in '/usr/bin/sleep', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2') {
                New-Item -ItemType Directory -Force (Join-Path $rootfs (Split-Path $file)) | Out-Null
                Copy-Item -LiteralPath $file -Destination (Join-Path $rootfs $file)
            }
            & podman run -d --name $container --label "devopstools.environment=$EnvName" --network=none -v "${Fresh}:/data" --rootfs $rootfs /usr/bin/sleep 600 | Out-Null
            $LASTEXITCODE | Should -Be 0
            $before = Get-VolumeChecksum $Fresh
            Restore-AppData -Backup $Backup -TargetVolume $Fresh -Force -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeInUse*'
            $failed[0].Exception.Message | Should -BeLike "*$container*"
            Get-VolumeChecksum $Fresh | Should -Be $before
        } finally {
            & podman rm -f -t 0 -- $container 2>$null | Out-Null
            # podman left etc/mtab -> /proc/mounts in the rootfs; the link goes first, as a link.
            $mtab = Join-Path $rootfs 'etc/mtab'
            if ([IO.File]::Exists($mtab) -or (Get-Item -LiteralPath $mtab -Force -ErrorAction SilentlyContinue)) { [IO.File]::Delete($mtab) }
            Remove-TestTempDirectory $rootfs
        }
    }

    It 'refuses a volume that does not exist, naming it, and writes nothing' {
        Backup-AppData -Environment $EnvName -App $App -Volume nope -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeNotFound*'
        $failed[0].Exception.Message | Should -BeLike "*dot-$EnvName-$App-nope*"
        @(Get-AppBackup -Environment $EnvName -App $App).Count | Should -Be 1
    }

    It 'refuses an s3:// -Path (volume archives go to a directory for now), naming -Path, and writes nothing' {
        Backup-AppData -Environment $EnvName -App $App -Volume data -Path 's3://dtvol-bucket/archives' -ErrorVariable failed -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidParameter*'
        $failed[0].Exception.Message | Should -BeLike "*-Path 's3://dtvol-bucket/archives'*directory*"
        @(Get-AppBackup -Environment $EnvName -App $App).Count | Should -Be 1
    }

    It 'keeps the newest -Keep backups of the volume' {
        $made = 1..3 | ForEach-Object { Backup-AppData -Environment $EnvName -App $App -Volume data -Keep 2; Start-Sleep -Milliseconds 20 }
        $left = Get-AppBackup -Environment $EnvName -App $App -Kind Volume
        $left.Count | Should -Be 2
        $left.Id | Should -Be @($made[2].Id, $made[1].Id)
        Test-Path $Backup.Path | Should -BeFalse
        @(Get-ChildItem (Join-Path $DataRoot "backups/$EnvName/$App") -Filter '*.tar').Count | Should -Be 2
    }

    It 'stopped midway (Ctrl+C), a backup leaves no file that looks complete, and no partial file' {
        $big = "dot-$EnvName-$App-big"
        New-TestVolume $big
        # 512 MB of incompressible data in 8 files, so the export takes long enough to be stopped.
        $chunk = [byte[]]::new(64MB); [Random]::new(7).NextBytes($chunk)
        foreach ($i in 1..8) { [IO.File]::WriteAllBytes((Join-Path (Get-VolumeDirectory $big) "chunk$i.bin"), $chunk) }
        $dir = Join-Path $DataRoot 'stopped'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($Module, $Environment, $App, $Dir) Import-Module $Module; Backup-AppData -Environment $Environment -App $App -Volume big -Path $Dir }).
                AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($EnvName).AddArgument($App).AddArgument($dir)
            $run = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-ChildItem -Force $dir -Filter '*.partial' -ErrorAction SilentlyContinue | Where-Object Length -gt 0) -and -not $run.IsCompleted -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 10
            }
            $run.IsCompleted | Should -BeFalse -Because 'the export must still be running when it is stopped'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'Ctrl+C stops promptly'
        } finally { $ps.Dispose() }
        Get-ChildItem -Force $dir | Should -BeNullOrEmpty
        Get-AppBackup -Path $dir | Should -BeNullOrEmpty
        & podman volume rm -f -- $big | Out-Null
    }

    It 'a deployment on the pipeline binds -Environment and -App' {
        # A Deployment on this machine has no Server: this machine's volumes.
        $deployment = [pscustomobject]@{ App = $App; Environment = $EnvName; Server = $null }
        $backup = $deployment | Backup-AppData -Volume data -Path (Join-Path $DataRoot 'piped')
        $backup.Volume | Should -Be $Source
        $backup.Server | Should -BeNullOrEmpty
        $backup.Path | Should -BeLike (Join-Path $DataRoot 'piped/*.tar')
    }
}
