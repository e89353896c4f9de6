#Requires -Modules Pester
# Container hosts: a Podman server made with New-Server -ContainerHost runs containers inside
# (the nested recipe of PODMAN.md), prepared over SSH by the engine's ContainerHostPreparer,
# with an image moved by ContainerImageTransfer (podman save, SFTP, podman load). An ordinary
# server is refused with ServerNotContainerHost. Every resource carries this run's environment
# label (t-chost-<random>); AfterAll removes exactly those, even when a test failed.

BeforeDiscovery {
    $script:podmanMissing = -not (Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'Container hosts (chost)' -Tag 'Podman', 'Servers', 'ContainerHost' -Skip:$podmanMissing {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:dataRoot = New-TestDataRoot
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:envName = "t-chost-$suffix"
        $script:token = [guid]::NewGuid().ToString('N')

        function script:Invoke-Prepare($Server) { $preparer.PrepareAsync($Server, $context).GetAwaiter().GetResult() }
        function script:Get-EndpointUri($Server, [int] $Port, [string] $Path) {
            $endpoint = $Server.Endpoints | Where-Object Port -eq $Port
            "http://$($endpoint.Address):$($endpoint.HostPort)$Path"
        }

        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:hostServer = New-Server -Name apps -Environment $envName -ContainerHost -Port 8080 -ErrorAction Stop
        $script:plain = New-Server -Name plain -Environment $envName -ErrorAction Stop
        Write-Host "chost: created a container host and an ordinary server in $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s"

        # The engine's types live in the module's private load context (loaded by the first
        # cmdlet): reach them by name.
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DevOpsTools.Engine' } | Select-Object -First 1
        $contextType = $engine.GetType('DevOpsTools.Engine.Core.EngineContext')
        $script:context = $contextType::Silent([Threading.CancellationToken]::None)
        $script:preparer = [Activator]::CreateInstance($engine.GetType('DevOpsTools.Engine.Deploy.ContainerHost.ContainerHostPreparer'))
        $script:transfer = $engine.GetType('DevOpsTools.Engine.Deploy.ContainerHost.ContainerImageTransfer').GetConstructors()[0].Invoke(@($null))
    }

    AfterAll {
        Get-Server -Environment $script:envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $script:envName
        Remove-TestDataRoot -Path $script:dataRoot
    }

    It 'gives SYS_ADMIN and /dev/fuse to the container host only, and records it (label, Server.ContainerHost)' {
        $hostServer.ContainerHost | Should -BeTrue
        $plain.ContainerHost | Should -BeFalse
        (Get-Server -Environment $envName -Name apps -ErrorAction Stop).ContainerHost | Should -BeTrue
        (Get-Server -Environment $envName -Name plain -ErrorAction Stop).ContainerHost | Should -BeFalse
        $hostInspect = & podman container inspect --format '{{json .EffectiveCaps}} {{json .HostConfig.Devices}} {{index .Config.Labels "devopstools.container-host"}}' -- "devopstools-$envName.apps"
        $hostInspect | Should -Match 'CAP_SYS_ADMIN'
        $hostInspect | Should -Match '/dev/fuse'
        $hostInspect | Should -Match ' true$'
        $plainInspect = & podman container inspect --format '{{json .EffectiveCaps}} {{json .HostConfig.Devices}}' -- "devopstools-$envName.plain"
        $plainInspect | Should -Not -Match 'CAP_SYS_ADMIN'
        $plainInspect | Should -Not -Match '/dev/fuse'
    }

    It 'refuses an ordinary server with ServerNotContainerHost, saying what to change' {
        $failure = $null
        try { Invoke-Prepare $plain } catch { $failure = $_.Exception.InnerException }
        $failure | Should -Not -BeNullOrEmpty
        $failure.ErrorId | Should -Be 'ServerNotContainerHost'
        $failure.Message | Should -Match '/dev/fuse'
        $failure.Message | Should -Match 'CAP_SYS_ADMIN'
        $failure.Message | Should -Match 'New-Server -ContainerHost'
        $failure.Message | Should -Match 'containerHost: true'
        # Nothing was installed on it.
        (Invoke-TestSsh -Server $plain -Command 'command -v podman || echo none') | Should -Be 'none'
    }

    It 'prepares the container host (podman, crun, fuse-overlayfs, haproxy; the nested configuration)' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:first = Invoke-Prepare $hostServer
        Write-Host "chost: first prepare $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s: $($first.Changes -join '; ')"
        $first.Changed | Should -BeTrue
        $first.Runtime | Should -Be 'crun overlay'
        $check = Invoke-TestSsh -Server $hostServer -Command "dpkg-query -W -f='`${Package} `${db:Status-Abbrev}\n' podman crun fuse-overlayfs haproxy; stat -c %a /dev/fuse; sudo podman info --format '{{.Host.CgroupManager}} {{.Host.EventLogger}}'"
        ($check | Where-Object { $_ -match ' ii' }) | Should -HaveCount 4
        $check | Should -Contain '666'
        $check | Should -Contain 'cgroupfs file'
    }

    It 'does nothing on a second prepare, fast' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $second = Invoke-Prepare $hostServer
        $seconds = $watch.Elapsed.TotalSeconds
        Write-Host "chost: second prepare $([math]::Round($seconds, 2)) s"
        $second.Changed | Should -BeFalse
        $second.Changes | Should -HaveCount 0
        $seconds | Should -BeLessThan 5
    }

    It 'moves an image without a registry, and skips it when the server already has that image id' {
        $script:image = $hostServer.Image
        $localId = (& podman image inspect --format '{{.Id}}' -- $image).Trim()
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $sent = $transfer.TransferAsync($hostServer, $image, $context).GetAwaiter().GetResult()
        Write-Host "chost: image $image sent in $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s ($([math]::Round($sent.BytesSent / 1MB, 1)) MiB)"
        $sent.Skipped | Should -BeFalse
        $sent.ImageId | Should -Be $localId
        (Invoke-TestSsh -Server $hostServer -Command "sudo podman image inspect --format '{{.Id}}' -- $image") | Should -Be $localId
        (Invoke-TestSsh -Server $hostServer -Command 'ls /var/tmp | grep -c devopstools-image || true') | Should -Be '0'

        $watch.Restart()
        $again = $transfer.TransferAsync($hostServer, $image, $context).GetAwaiter().GetResult()
        Write-Host "chost: same image again in $([math]::Round($watch.Elapsed.TotalSeconds, 2)) s (skipped)"
        $again.Skipped | Should -BeTrue
        $again.BytesSent | Should -Be 0
    }

    It 'moves an image named only by its id (what promotion sends), which the server then finds by that id' {
        # An image of this test's own with an id no server has yet: the base plus one label.
        $tag = "localhost/t-chost-byid:$($token.Substring(0, 8))"
        "FROM $image`nLABEL devopstools.test=$token" | podman build --quiet --pull=never --network=none --tag $tag -f - | Out-Null
        try {
            $id = (& podman image inspect --format '{{.Id}}' -- $tag).Trim()
            $sent = $transfer.TransferAsync($hostServer, "sha256:$id", $context).GetAwaiter().GetResult()
            $sent.Skipped | Should -BeFalse
            $sent.ImageId | Should -Be $id
            (Invoke-TestSsh -Server $hostServer -Command "sudo podman image inspect --format '{{.Id}}' -- sha256:$id") | Should -Be $id
        }
        finally {
            podman rmi -f -- $tag *> $null
            Invoke-TestSsh -Server $hostServer -Command "sudo podman rmi -f -- sha256:$id >/dev/null 2>&1; true" | Out-Null
        }
    }

    It 'serves HTTP from an inner container with host networking, reached through Server.Endpoints' {
        $run = "sudo podman run -d --name t-chost-web --network host -- $image sh -c 'mkdir -p /srv && echo $token > /srv/token.txt && cd /srv && exec python3 -m http.server --bind 0.0.0.0 8080'"
        Invoke-TestSsh -Server $hostServer -Command $run | Out-Null
        $uri = Get-EndpointUri $hostServer 8080 '/token.txt'
        $body = $null
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while (-not $body -and [DateTime]::UtcNow -lt $deadline) {
            try { $body = (Invoke-WebRequest -Uri $uri -TimeoutSec 5).Content } catch { Start-Sleep -Milliseconds 300 }
        }
        "$body".Trim() | Should -Be $token
    }

    It 'keeps the inner service reachable and containers runnable after Set-Hardening Baseline' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $run = @($hostServer | Set-Hardening -Profile Baseline -Confirm:$false -ErrorAction Stop)
        Write-Host "chost: Set-Hardening Baseline $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
        $run | Should -Not -BeNullOrEmpty
        (Invoke-TestSsh -Server $hostServer -Command 'sudo nft list chain inet devopstools input') -join "`n" | Should -Match '8080'
        (Invoke-WebRequest -Uri (Get-EndpointUri $hostServer 8080 '/token.txt') -TimeoutSec 10).Content.Trim() | Should -Be $token
        (Invoke-TestSsh -Server $hostServer -Command "sudo podman run --rm --network host -- $image echo inner-ok") | Should -Contain 'inner-ok'
        (Invoke-Prepare $hostServer).Changed | Should -BeFalse
    }
}
