#Requires -Modules Pester
# Get-ServiceStats' platform figures: the hello sample app deployed on this machine's Podman with
# two replicas (and a second app beside it), its ReplicasReady/Desired, Restarts and memory read
# back from podman; the app's process killed so podman restarts it, a replica stopped so it is
# Degraded; -Environment alone probing every app of the environment. A container-host server
# (New-Server -ContainerHost) read over its SSH session. Then on Kubernetes through
# the local API endpoint (tests/DevOpsTools.KubeEndpoint), whose Services' cluster IPs are on
# 127.96.0.0/16 and answer nothing: the replicas come from the cluster, the probe finds no listener.

BeforeDiscovery {
    $script:hasPodman = [bool](Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'Get-ServiceStats on deployments of this machine' -Tag 'Podman', 'Deploy', 'Monitoring' -Skip:(-not $hasPodman) {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dtplat' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $repo = Join-Path $PSScriptRoot '../..'
        # The sample images need the module's Debian base, which New-Server builds on first use.
        $warm = New-Server -Name warm -Environment $envName -ErrorAction Stop
        $warm | Remove-Server -Force
        & (Join-Path $repo 'examples/apps/hello/build.ps1')

        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $sample = Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')
        # hello with two replicas, and a second app (one replica) on a port of its own.
        $script:spec = Join-Path $dataRoot 'hello.yaml'
        $sample.Replace('    port: 8080', "    port: 8080`n    publicPort: $(Get-TestFreePort)").Replace("replicas: 1`nports:", "replicas: 2`nports:") | Set-Content $spec
        $script:specB = Join-Path $dataRoot 'hello-b.yaml'
        $sample.Replace('    port: 8080', "    port: 8080`n    publicPort: $(Get-TestFreePort)").Replace('name: hello', 'name: hello-b') | Set-Content $specB
        $script:deployment = Deploy-App -Path $spec -Environment $envName -TimeoutSec 180 -ErrorAction Stop
        $script:deploymentB = Deploy-App -Path $specB -Environment $envName -TimeoutSec 180 -ErrorAction Stop

        function Get-RestartCount([string] $Name) { [int](podman inspect --format '{{.RestartCount}}' -- $Name) }
        function Get-ContainerState([string] $Name) { podman inspect --format '{{.State.Status}}' -- $Name }
    }

    AfterAll {
        Remove-App hello -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        Remove-App hello-b -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        # Whatever a failed test left: only this test's containers, networks and volumes, by their label.
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'shows the replicas, restarts and memory of a deployment piped in, from podman' {
        $deployment.ReplicasDesired | Should -Be 2
        $s = $deployment | Get-ServiceStats -Requests 10 -ErrorAction Stop
        $s.Service | Should -Be 'hello'
        $s.Status | Should -Be 'Healthy' -Because $s.Reason
        $s.ReplicasReady | Should -Be 2
        $s.ReplicasDesired | Should -Be 2
        $s.Restarts | Should -Be 0
        $s.MemoryBytes | Should -BeGreaterThan 0
        $s.CpuPercent | Should -BeGreaterOrEqual 0
        $s.Sources['ReplicasReady'] | Should -Be 'podman'
        $s.Sources['MemoryBytes'] | Should -Be 'podman'
        $s.Sources['Requests'] | Should -Be 'probe'
        # The Platform view: replicas as 2/2, within 80 columns.
        $lines = ($s | Format-Table -View Platform | Out-String -Width 200) -split "`n" | Where-Object { $_.Trim() }
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $lines[2] | Should -Match ' 2/2 '
        ($s | Format-List * | Out-String) | Should -Match 'ReplicasReady\s+: 2'
    }

    It 'counts a restart when the app''s process is killed and podman starts it again' {
        $name = "dot-$envName-hello-r1-0"
        $before = Get-RestartCount $name
        $processId = [int](podman inspect --format '{{.State.Pid}}' -- $name)
        $processId | Should -BeGreaterThan 0
        Stop-Process -Id $processId -Force
        # podman's restart policy (--restart=always) brings it back; a loaded machine may take a while.
        $deadline = [datetime]::UtcNow.AddSeconds(90)
        while ([datetime]::UtcNow -lt $deadline -and -not ((Get-RestartCount $name) -gt $before -and (Get-ContainerState $name) -eq 'running')) { Start-Sleep -Milliseconds 500 }
        Get-RestartCount $name | Should -BeGreaterThan $before

        $s = Get-AppDeployment hello -Environment $envName | Get-ServiceStats -Requests 5 -ErrorAction Stop
        $s.Restarts | Should -BeGreaterOrEqual ($before + 1)
        $s.ReplicasReady | Should -Be 2
    }

    It 'is Degraded with the reason when a replica is stopped, though the proxy still answers' {
        $name = "dot-$envName-hello-r1-1"
        podman stop -t 2 -- $name | Out-Null
        try {
            $s = $deployment | Get-ServiceStats -Requests 10 -ErrorAction Stop
            $s.ReplicasReady | Should -Be 1
            $s.ReplicasDesired | Should -Be 2
            $s.Requests | Should -Be 10
            $s.Status | Should -Be 'Degraded'
            $s.Reason | Should -Match '1 of 2 replicas ready \(podman\)'
        }
        finally {
            podman start -- $name | Out-Null
        }
    }

    It 'probes every app the environment has deployed with -Environment alone' {
        $all = @(Get-ServiceStats -Environment $envName -Requests 5 -ErrorAction Stop)
        ($all.Service | Sort-Object) | Should -Be @('hello', 'hello-b')
        $all | ForEach-Object {
            $_.Environment | Should -Be $envName
            $_.Requests | Should -Be 5
            $_.ReplicasDesired | Should -BeGreaterThan 0
            $_.Sources['ReplicasDesired'] | Should -Be 'podman'
        }
        ($all | Where-Object Service -EQ 'hello-b').ReplicasDesired | Should -Be 1
        ($all | Where-Object Service -EQ 'hello-b').Target | Should -Be "$($deploymentB.Endpoints[0].Url.TrimEnd('/'))/healthz"
    }

    It 'holds -Environment''s apps to the SLOs of an environment file' {
        $file = Join-Path $dataRoot 'env.yaml'
        @"
apiVersion: devopstools/v1
name: $envName
provider:
  type: podman
apps:
  - name: hello
    image: localhost/devopstools-hello:1
    port: 8080
  - name: hello-b
    image: localhost/devopstools-hello:1
    port: 8080
monitoring:
  slos:
    - name: hello-availability
      app: hello
      objective: 99
"@ | Set-Content $file
        $all = @(Get-ServiceStats -Environment $file -Requests 5 -ErrorAction Stop)
        $all.Count | Should -Be 2
        ($all | Where-Object Service -EQ 'hello').Slo | Should -Be 'hello-availability'
        ($all | Where-Object Service -EQ 'hello-b').Slo | Should -BeNullOrEmpty
    }

    It 'says so when the environment has no deployments' {
        $out = Get-ServiceStats -Environment 'dtplatnone' -Requests 1 -ErrorVariable failed -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ProbeNoDeployment*'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[0].Exception.Message | Should -Match "'dtplatnone' has no app deployed"
    }

    It 'asks for -Url, endpoints or -Environment when given none' {
        { Get-ServiceStats -Requests 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ProbeSettingsInvalid*'
    }
}

Describe 'Get-ServiceStats on a container host over SSH' -Tag 'Podman', 'Deploy', 'Monitoring' -Skip:(-not $hasPodman) {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dtplats' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $repo = Join-Path $PSScriptRoot '../..'
        $script:server = New-Server -Name web-1 -Environment $envName -ContainerHost -Port 8080 -ErrorAction Stop
        & (Join-Path $repo 'examples/apps/hello/build.ps1')
        $script:deployment = $server | Deploy-App -Path (Join-Path $repo 'examples/apps/hello/app.yaml') -TimeoutSec 300 -ErrorAction Stop
    }

    AfterAll {
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'reads the replicas, restarts and memory through the server''s SSH session' {
        $deployment.Status | Should -Be 'Healthy'
        $s = $server | Get-AppDeployment hello | Get-ServiceStats -Requests 5 -ErrorAction Stop
        $s.Status | Should -Be 'Healthy' -Because $s.Reason
        $s.ReplicasReady | Should -Be 1
        $s.ReplicasDesired | Should -Be 1
        $s.Restarts | Should -BeGreaterOrEqual 0
        $s.Sources['ReplicasReady'] | Should -Be 'ssh'
        $s.Sources['Restarts'] | Should -Be 'ssh'
        # The server's podman runs without cgroups: memory from podman stats or else /proc, CPU only from podman.
        $s.MemoryBytes | Should -BeGreaterThan 0
        $s.Sources['MemoryBytes'] | Should -BeIn 'ssh', 'proc'
        if ($null -eq $s.CpuPercent) { $s.Unavailable['CpuPercent'] | Should -Not -BeNullOrEmpty }
    }
}

Describe 'Get-ServiceStats on Kubernetes deployments (local API endpoint)' -Tag 'Kubernetes', 'Deploy', 'Monitoring' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $repo = Join-Path $PSScriptRoot '../..'
        $script:envName = 'dtplatk' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:spec = Join-Path $dataRoot 'hello.yaml'
        (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace("replicas: 1`nports:", "replicas: 2`nports:") | Set-Content $spec

        $endpointDir = Join-Path $dataRoot 'kube-endpoint'
        $buildOutput = & dotnet build (Join-Path $repo 'tests/DevOpsTools.KubeEndpoint/DevOpsTools.KubeEndpoint.csproj') -c Release -nologo -v:q -m:1 -o $endpointDir 2>&1
        if ($LASTEXITCODE -ne 0) { throw "Building the Kubernetes endpoint failed: $buildOutput" }
        $script:kc = Join-Path $dataRoot 'kubeconfig'
        # stdin stays open: the endpoint exits when it closes.
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $endpointDir 'DevOpsTools.KubeEndpoint.dll'), '--port', '0', '--kubeconfig-out', $kc, '--pod-ready-seconds', '0.5')) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $script:endpoint = [Diagnostics.Process]::Start($psi)
        $readLine = $endpoint.StandardOutput.ReadLineAsync()
        if (-not $readLine.Wait([TimeSpan]::FromSeconds(60)) -or $readLine.Result -notmatch '^LISTENING (https://127\.0\.0\.1:\d+/)$') {
            throw "The Kubernetes endpoint did not start (exit code: $(if ($endpoint.HasExited) { $endpoint.ExitCode } else { 'still running' }))."
        }
        $script:deployment = Deploy-App -Path $spec -Environment $envName -KubeConfig $kc -TimeoutSec 120 -ErrorAction Stop
    }

    AfterAll {
        try {
            Remove-App hello -Environment $envName -KubeConfig $kc -RemoveVolumes -Force -ErrorAction SilentlyContinue | Out-Null
        }
        finally {
            if ($script:endpoint) {
                try { $script:endpoint.StandardInput.Close() } catch { }
                if (-not $script:endpoint.WaitForExit(20000)) { $script:endpoint.Kill($true); $script:endpoint.WaitForExit(10000) | Out-Null }
            }
            Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
        }
    }

    It 'reports the cluster''s ready and desired replicas for -Environment, and no usage without a metrics API' {
        $deployment.Status | Should -Be 'Healthy'
        $all = @(Get-ServiceStats -Environment $envName -KubeConfig $kc -Requests 2 -Timeout 00:00:02 -ErrorAction Stop)
        $all.Count | Should -BeGreaterThan 0
        $s = $all[0]
        $s.Service | Should -Be 'hello'
        $s.ReplicasReady | Should -Be 2
        $s.ReplicasDesired | Should -Be 2
        $s.Restarts | Should -Be 0
        $s.Sources['ReplicasReady'] | Should -Be 'kubernetes'
        $s.CpuPercent | Should -BeNullOrEmpty
        $s.MemoryBytes | Should -BeNullOrEmpty
        $s.Unavailable['MemoryBytes'] | Should -Match 'metrics API'
        # Nothing listens on the endpoint's cluster IP (127.96.x.y): the probe's verdict stands.
        $s.Target | Should -Match '^http://127\.96\.'
        $s.Status | Should -Be 'Down'
    }

    It 'reads the replicas of a Kubernetes deployment piped from Get-AppDeployment' {
        $s = Get-AppDeployment hello -Environment $envName -KubeConfig $kc | Get-ServiceStats -KubeConfig $kc -Requests 1 -Timeout 00:00:02 -ErrorAction Stop | Select-Object -First 1
        $s.ReplicasReady | Should -Be 2
        $s.ReplicasDesired | Should -Be 2
        $s.Sources['ReplicasDesired'] | Should -Be 'kubernetes'
    }

    It 'says so when the environment has no app in the cluster' {
        Get-ServiceStats -Environment 'dtplatknone' -KubeConfig $kc -Requests 1 -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ProbeNoDeployment*'
    }
}
