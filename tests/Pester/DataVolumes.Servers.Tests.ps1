#Requires -Modules Pester
# Backup-AppData / Restore-AppData of app volumes on a container-host server over SSH: a real
# Podman server made with New-Server -ContainerHost, the hello sample app deployed to it with its
# volume (hello-data), text, binary and nested files and a link written into that volume on the
# server, archived here, restored into fresh volumes on the server, and compared by a content
# checksum the server computes itself (find and sha256sum over the volume's directory), not by the
# module. The server and everything on it carry this run's environment (dtvssh-<random>) and are
# removed in AfterAll.

BeforeDiscovery {
    $script:podmanMissing = -not (Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'Backups of app volumes on a container-host server' -Tag 'Podman', 'Data', 'ContainerHost' -Skip:$podmanMissing {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dtvssh-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $repo = Join-Path $PSScriptRoot '../..'
        $script:volume = "dot-$envName-hello-hello-data"
        $script:fresh = "$envName-restored"
        $script:other = "$envName-other"

        # Runs a script as root on the server; a failure (a non-zero exit) fails the test.
        function script:Invoke-OnServer([string] $Script) {
            ($server | Invoke-ServerCommand -Command $Script -Sudo -ErrorAction Stop).StdOut
        }
        function script:Test-ServerVolume([string] $Name) {
            (Invoke-OnServer "if podman volume exists -- '$Name'; then echo yes; else echo no; fi").Trim() -eq 'yes'
        }
        # The content checksum, computed on the server: every directory, link (with its target) and
        # file (with its SHA-256) by relative path, sorted, hashed.
        function script:Get-ServerVolumeChecksum([string] $Name) {
            $sum = Invoke-OnServer @"
set -eu
cd "`$(podman volume inspect --format '{{.Mountpoint}}' -- '$Name')"
{ find . -mindepth 1 -type d -printf 'd %p\n'; find . -type l -printf 'l %p %l\n'; find . -type f -exec sha256sum -- {} +; } | LC_ALL=C sort | sha256sum
"@
            $sum.Split(' ')[0]
        }

        $script:server = New-Server -Name apps -Environment $envName -ContainerHost -Port 8080 -ErrorAction Stop
        & (Join-Path $repo 'examples/apps/hello/build.ps1')
        $script:deployment = $server | Deploy-App -Path (Join-Path $repo 'examples/apps/hello/app.yaml') -TimeoutSec 300 -ErrorAction Stop

        # The app's volume on the server gets nested, binary and empty content, and a link to a
        # directory outside it (archived as a link; a -Force restore must never empty /etc).
        Invoke-OnServer @"
set -eu
d=`$(podman volume inspect --format '{{.Mountpoint}}' -- '$volume')
mkdir -p "`$d/nested/deeper" "`$d/empty-dir"
printf 'notes of %s' '$envName' > "`$d/readme.txt"
printf '{"a": 1}\n' > "`$d/nested/deeper/config.json"
head -c 300000 /dev/urandom > "`$d/nested/blob.bin"
ln -s /etc "`$d/nested/outside"
"@ | Out-Null
        $script:sourceChecksum = Get-ServerVolumeChecksum $volume
    }

    AfterAll {
        # Removing the server removes its containers and volumes with it.
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'runs the app with its volume on the server' {
        $deployment.Status | Should -Be 'Healthy'
        $deployment.Server.Name | Should -Be 'apps'
        Test-ServerVolume $volume | Should -BeTrue
    }

    It '-WhatIf writes no backup' {
        $server | Backup-AppData -App hello -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $dataRoot "backups/$envName/hello") | Should -BeFalse
    }

    It 'archives the volumes the deploy state on the server declares, recording the server and its provider' {
        $backup = @($server | Backup-AppData -App hello -ErrorAction Stop)
        $backup.Count | Should -Be 1
        $backup[0].Kind | Should -Be 'Volume'
        $backup[0].Volume | Should -Be $volume
        $backup[0].Id | Should -Match '^vol-hello-data-\d{8}T\d{9}Z$'
        $backup[0].Server | Should -Be 'apps'
        $backup[0].Provider | Should -Be 'Podman'
        (Get-Item $backup[0].Path).Length | Should -Be $backup[0].SizeBytes
        (Get-FileHash $backup[0].Path -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $backup[0].Sha256
        $manifest = Get-Content -Raw $backup[0].ManifestPath | ConvertFrom-Json
        $manifest.server | Should -Be 'apps'
        $manifest.provider | Should -Be 'Podman'
        $names = & tar -tf $backup[0].Path
        $names | Should -Contain 'nested/blob.bin'
        $names | Should -Contain 'nested/deeper/config.json'
        (Get-AppBackup -Environment $envName -App hello -Kind Volume | Test-AppBackup).Passed | Should -BeTrue
        $script:backup = Get-AppBackup -Environment $envName -App hello -Kind Volume
    }

    It 'a deployment on the pipeline backs up on its server' {
        $piped = $deployment | Backup-AppData -Path (Join-Path $dataRoot 'piped') -ErrorAction Stop
        $piped.Server | Should -Be 'apps'
        $piped.Volume | Should -Be $volume
    }

    It '-Volume names the app spec''s volumes, checked to exist on the server' {
        $named = $server | Backup-AppData -App hello -Volume hello-data -Path (Join-Path $dataRoot 'named') -ErrorAction Stop
        $named.Volume | Should -Be $volume
        $server | Backup-AppData -App hello -Volume nope -Path (Join-Path $dataRoot 'nope') -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeNotFound*'
        $failed[0].Exception.Message | Should -BeLike "*dot-$envName-hello-nope*server $envName/apps*"
        Get-AppBackup -Path (Join-Path $dataRoot 'nope') | Should -BeNullOrEmpty
    }

    It 'restores onto the server of the manifest into a fresh volume whose checksum, computed there, equals the original''s' {
        Test-ServerVolume $fresh | Should -BeFalse
        $restored = $backup | Restore-AppData -TargetVolume $fresh -Confirm:$false -ErrorAction Stop
        $restored.Id | Should -Be $backup.Id
        Test-ServerVolume $fresh | Should -BeTrue
        Get-ServerVolumeChecksum $fresh | Should -Be $sourceChecksum
    }

    It 'refuses the volume the running app mounts, naming its container, and leaves it unchanged' {
        Restore-AppData -Backup $backup -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeInUse*'
        $failed[0].Exception.Message | Should -BeLike "*dot-$envName-hello-r1-0*"
        Get-ServerVolumeChecksum $volume | Should -Be $sourceChecksum
    }

    It 'refuses a volume with data without -Force; with -Force and -Server makes it equal to the backup' {
        Invoke-OnServer "d=`$(podman volume inspect --format '{{.Mountpoint}}' -- '$fresh') && echo changed > `"`$d/readme.txt`" && echo extra > `"`$d/extra.txt`"" | Out-Null
        $changed = Get-ServerVolumeChecksum $fresh
        $changed | Should -Not -Be $sourceChecksum

        Restore-AppData -Id $backup.Id -Environment $envName -App hello -TargetVolume $fresh -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VolumeNotEmpty*'
        $failed[0].Exception.Message | Should -BeLike "*$fresh*server $envName/apps*"
        Get-ServerVolumeChecksum $fresh | Should -Be $changed

        Restore-AppData -Backup $backup -Server $server -TargetVolume $fresh -Force -ErrorAction Stop | Out-Null
        Get-ServerVolumeChecksum $fresh | Should -Be $sourceChecksum
        (Invoke-OnServer 'test -f /etc/os-release && echo kept').Trim() | Should -Be 'kept'
    }

    It 'refuses a corrupted backup by name and leaves the volume on the server unchanged' {
        $copy = Join-Path $dataRoot 'corrupt'
        New-Item -ItemType Directory -Force $copy | Out-Null
        Copy-Item $backup.Path, $backup.ManifestPath $copy
        $file = Join-Path $copy (Split-Path -Leaf $backup.Path)
        $bytes = [IO.File]::ReadAllBytes($file)
        $bytes[$bytes.Length / 2] = $bytes[$bytes.Length / 2] -bxor 0xFF
        [IO.File]::WriteAllBytes($file, $bytes)
        Invoke-OnServer "d=`$(podman volume inspect --format '{{.Mountpoint}}' -- '$fresh') && echo before > `"`$d/marker.txt`"" | Out-Null
        $before = Get-ServerVolumeChecksum $fresh

        Restore-AppData -Id $backup.Id -Environment $envName -App hello -Path $copy -TargetVolume $fresh -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch*'
        $failed[0].Exception.Message | Should -BeLike "*$file*"
        Get-ServerVolumeChecksum $fresh | Should -Be $before
    }

    It 'refuses a backup whose server its provider no longer lists, naming it, and restores nothing' {
        $moved = Join-Path $dataRoot 'moved'
        New-Item -ItemType Directory -Force $moved | Out-Null
        Copy-Item $backup.Path $moved
        $manifest = Get-Content -Raw $backup.ManifestPath | ConvertFrom-Json
        $manifest.server = 'gone'
        $manifest | ConvertTo-Json | Set-Content (Join-Path $moved (Split-Path -Leaf $backup.ManifestPath))

        Restore-AppData -Id $backup.Id -Environment $envName -App hello -Path $moved -TargetVolume $other -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ServerNotFound*'
        $failed[0].Exception.Message | Should -BeLike "*$envName/gone*-Server*"
        Test-ServerVolume $other | Should -BeFalse
    }

    It '-WhatIf restores nothing on the server' {
        $before = Get-ServerVolumeChecksum $fresh
        Restore-AppData -Backup $backup -TargetVolume $other -Force -WhatIf | Should -BeNullOrEmpty
        Restore-AppData -Backup $backup -Server $server -TargetVolume $fresh -Force -WhatIf | Should -BeNullOrEmpty
        Test-ServerVolume $other | Should -BeFalse
        Get-ServerVolumeChecksum $fresh | Should -Be $before
    }

    It 'stopped midway (Ctrl+C), a backup over SSH leaves no file that looks complete, no partial file, and no export running on the server' {
        $big = "dot-$envName-hello-big"
        # 512 MB of incompressible data, so the stream takes long enough to be stopped.
        Invoke-OnServer "set -eu; podman volume create -- '$big' >/dev/null; d=`$(podman volume inspect --format '{{.Mountpoint}}' -- '$big'); for i in 1 2 3 4 5 6 7 8; do head -c 67108864 /dev/urandom > `"`$d/chunk`$i.bin`"; done" | Out-Null
        $dir = Join-Path $dataRoot 'stopped'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($Module, $Server, $Dir) Import-Module $Module; $Server | Backup-AppData -App hello -Volume big -Path $Dir }).
                AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($server).AddArgument($dir)
            $run = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not (Get-ChildItem -Force $dir -Filter '*.partial' -ErrorAction SilentlyContinue | Where-Object Length -gt 0) -and -not $run.IsCompleted -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 10
            }
            $run.IsCompleted | Should -BeFalse -Because 'the export must still be running when it is stopped'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 15 -Because 'Ctrl+C stops promptly'
        } finally { $ps.Dispose() }
        Get-ChildItem -Force $dir | Should -BeNullOrEmpty
        Get-AppBackup -Path $dir | Should -BeNullOrEmpty
        # The remote export ends with the stop (bound loosely: the machine is shared and slow).
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        do {
            $running = (Invoke-OnServer "pgrep -f 'podman volume export' >/dev/null && echo running || echo ended").Trim()
            if ($running -eq 'running') { Start-Sleep -Seconds 1 }
        } while ($running -eq 'running' -and [DateTime]::UtcNow -lt $deadline)
        $running | Should -Be 'ended'
        Invoke-OnServer "podman volume rm -f -- '$big' >/dev/null" | Out-Null
    }

    It 'refuses a volume name podman would not accept before anything reaches the server' {
        { Restore-AppData -Backup $backup -TargetVolume 'x;rm -rf /' -Force } | Should -Throw
        Test-ServerVolume $volume | Should -BeTrue
    }
}
