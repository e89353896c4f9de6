#Requires -Modules Pester
# End-to-end tests of New-Server / Get-Server / Invoke-ServerCommand / Remove-Server on AWS EC2.
#
# Default lane: the local EC2 endpoint (tests/DevOpsTools.Ec2Endpoint) as a process, backed by
# Podman: every instance is a real Debian 12 container (the module's Podman server image) with
# sshd on 127.0.0.N:22. The module talks to it through the real AWSSDK.EC2 client with fake
# credentials; the tests also assert on the requests the endpoint received. Only loopback traffic.
#
# Real-AWS lane: DEVOPSTOOLS_TEST_AWS=1 with credentials in the standard chain, AWS_REGION, and
# DEVOPSTOOLS_TEST_AWS_SSH_CIDR (the CIDR this machine reaches the instances from). The same
# Describe runs, without the endpoint and without the request-log assertions. It creates two
# t3.small instances for a few minutes and removes them (and the environment's key pair and
# security group) in AfterAll.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:realAws = Test-CredentialLane RealAws
    $script:skipReason = $null
    if (-not $realAws) {
        if (-not (Get-Command podman -ErrorAction SilentlyContinue)) { $script:skipReason = 'podman is not installed' }
        elseif (-not (Get-Command ssh -ErrorAction SilentlyContinue)) { $script:skipReason = 'ssh is not installed' }
    }
    if ($skipReason) { Write-Warning "Servers.Aws: skipped: $skipReason" }
    $script:lane = if ($realAws) { 'real AWS' } else { 'local EC2 endpoint' }
    # Checks only the local endpoint can answer (its request log, fake credentials, a dead port):
    # generated once in the endpoint lane, not at all against real AWS.
    $script:endpointOnly = if ($realAws) { @() } else { @(@{}) }
}

Describe "AWS servers ($lane)" -Tag 'Aws', 'Servers' -Skip:([bool]$skipReason) {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:real = Test-CredentialLane RealAws
        # A lane that was asked for runs or fails; it never skips.
        if ($real -and -not $env:DEVOPSTOOLS_TEST_AWS_SSH_CIDR) { throw 'The RealAws lane needs DEVOPSTOOLS_TEST_AWS_SSH_CIDR (the CIDR this machine reaches the instances from).' }
        if ($real -and -not ($env:AWS_REGION -or $env:AWS_DEFAULT_REGION)) { throw 'The RealAws lane needs AWS_REGION.' }
        $script:dataRoot = New-TestDataRoot
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:envName = "awstest-$suffix"
        $script:badEnv = "awsbad-$suffix"
        $script:endpoint = $null
        $script:savedEnv = @{}
        foreach ($name in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED') {
            $script:savedEnv[$name] = [Environment]::GetEnvironmentVariable($name)
        }

        # --- The local endpoint (not in the real-AWS lane) --------------------------------
        function Invoke-Hook {
            param([string] $Method = 'GET', [string] $Path)
            $result = Invoke-RestMethod -Method $Method -Uri ($script:endpointUrl + $Path.TrimStart('/')) -NoProxy
            # A JSON array comes back as one object: one item per element instead.
            foreach ($item in $result) { $item }
        }
        function Get-Requests {
            param([string] $Action)
            @(Invoke-Hook -Path "_test/requests?action=$Action")
        }

        if ($real) {
            $script:where = @{ Provider = 'Aws' }
            $script:sshCidr = $env:DEVOPSTOOLS_TEST_AWS_SSH_CIDR
        }
        else {
            # The instance image: the module's Podman server image (Debian 12, systemd, sshd, sudo),
            # built and cached by the Podman provider on first use.
            $image = $env:DEVOPSTOOLS_EC2_BACKING_IMAGE
            if (-not $image) {
                $probe = New-Server -Name image-probe -Environment "awsimg-$suffix" -NoWait -ErrorAction Stop
                $image = $probe.Image
                $probe | Remove-Server -Force -ErrorAction Stop
            }
            Write-Host "Instance image: $image"

            $endpointDir = Join-Path $dataRoot 'ec2endpoint'
            $project = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'tests/DevOpsTools.Ec2Endpoint/DevOpsTools.Ec2Endpoint.csproj'
            $buildOutput = & dotnet build $project -nologo -v:q -o $endpointDir 2>&1
            if ($LASTEXITCODE -ne 0) { throw "Building the EC2 endpoint failed: $buildOutput" }

            # stdin stays open (the endpoint exits and removes its containers when it closes);
            # the environment (CONTAINERS_CONF) passes through.
            $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($a in @((Join-Path $endpointDir 'DevOpsTools.Ec2Endpoint.dll'), '--port', '0', '--backing', 'podman', '--backing-image', $image,
                    '--pending-seconds', '1', '--status-ok-seconds', '1', '--terminate-seconds', '1', '--auth', 'signature',
                    '--access-key', 'AKIDEXAMPLE', '--secret-key', 'pester-fake-secret')) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true
            $psi.RedirectStandardOutput = $true
            $psi.UseShellExecute = $false
            $script:endpoint = [Diagnostics.Process]::Start($psi)
            $readLine = $endpoint.StandardOutput.ReadLineAsync()
            if (-not $readLine.Wait([TimeSpan]::FromSeconds(120)) -or $readLine.Result -notmatch '^LISTENING (http://127\.0\.0\.1:\d+/)$') {
                throw "The EC2 endpoint did not start (exit code: $(if ($endpoint.HasExited) { $endpoint.ExitCode } else { 'still running' }))."
            }
            $script:endpointUrl = $Matches[1]
            Write-Host "EC2 endpoint: $endpointUrl (pid $($endpoint.Id))"

            # Fake credentials through the standard chain (environment variables), nothing from ~/.aws.
            $emptyCredentials = Join-Path $dataRoot 'aws-credentials'
            Set-Content -Path $emptyCredentials -Value ''
            $env:AWS_SHARED_CREDENTIALS_FILE = $emptyCredentials
            $env:AWS_EC2_METADATA_DISABLED = 'true'
            $env:AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE'
            $env:AWS_SECRET_ACCESS_KEY = 'pester-fake-secret'
            $env:AWS_REGION = 'us-east-1'
            Remove-Item Env:AWS_SESSION_TOKEN, Env:AWS_PROFILE -ErrorAction SilentlyContinue

            $script:sshCidr = '127.0.0.0/8'
            $script:where = @{ Provider = 'Aws'; EndpointUrl = $endpointUrl }

            # Throttling: the first two launches are refused with RequestLimitExceeded.
            Invoke-Hook -Method Post -Path '_test/faults?action=RunInstances&code=RequestLimitExceeded&count=2' | Out-Null
        }

        # Where EC2 is ($where: Get-Server, Remove-Server), and what New-Server needs besides ($conn).
        $script:conn = $where + @{ AllowSshFrom = $sshCidr }

        # Two servers of one environment, in parallel, in one call.
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:createWarnings = @()
        $script:servers = @(New-Server -Name web-1, web-2 -Environment $envName -Role web -Tag @{ owner = 'pester' } -Port 8080 `
                -UserData "#cloud-config`nruncmd: [touch /tmp/from-user-data]`n" @conn -ErrorAction Stop -WarningVariable +createWarnings)
        Write-Host "Created 2 servers in $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
    }

    AfterAll {
        try {
            if ($script:envName -and $script:where) {
                $w = $script:where
                $left = @(Get-Server -Environment $script:envName @w -ErrorAction SilentlyContinue)
                if ($left) { $left | Remove-Server -Force -ErrorAction SilentlyContinue }
            }
        }
        finally {
            if ($script:endpoint) {
                # Closing stdin makes the endpoint remove its containers and exit.
                try { $script:endpoint.StandardInput.Close() } catch { }
                if (-not $script:endpoint.WaitForExit(60000)) { $script:endpoint.Kill($true); $script:endpoint.WaitForExit(10000) | Out-Null }
                # Safety net: only containers this endpoint process owned.
                $ids = & podman ps -a -q --filter "label=devopstools.ec2.owner-pid=$($script:endpoint.Id)" 2>$null
                foreach ($id in $ids) { & podman rm -f -t 0 $id 2>$null | Out-Null }
            }
            foreach ($name in @($script:savedEnv.Keys)) { [Environment]::SetEnvironmentVariable($name, $script:savedEnv[$name]) }
            Remove-TestDataRoot -Path $script:dataRoot
        }
    }

    Context 'New-Server' {
        It 'returns two running EC2 servers with pinned host keys' {
            $servers.Count | Should -Be 2
            ($servers.Name | Sort-Object) | Should -Be @('web-1', 'web-2')
            $servers | ForEach-Object {
                $_.GetType().FullName | Should -Be 'DevOpsTools.Server'
                $_.Provider | Should -Be 'Aws'
                $_.Environment | Should -Be $envName
                $_.State | Should -Be 'Running'
                $_.Id | Should -Match '^i-[0-9a-f]{8,17}$'
                $_.SshPort | Should -Be 22
                $_.User | Should -Be 'admin'
                $_.Role | Should -Be 'web'
                $_.Tags['owner'] | Should -Be 'pester'
                $_.HostKeyFingerprint | Should -Match '^SHA256:[A-Za-z0-9+/]{43}$'
                $_.Connection | Should -BeOfType DevOpsTools.AwsSettings
            }
            $servers[0].Address | Should -Not -Be $servers[1].Address
            if (-not $real) { $servers | ForEach-Object { $_.Address | Should -Match '^127\.0\.0\.\d+$' } }
        }

        It 'lets OpenSSH in as admin with the environment key and the recorded host key' {
            foreach ($server in $servers) {
                $out = Invoke-TestSsh $server 'id -un'
                $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
                ($out | Select-Object -Last 1) | Should -Be 'admin'
            }
        }

        It 'is idempotent: the same call returns the same instances and launches nothing' {
            $before = if ($real) { 0 } else { (Get-Requests RunInstances).Count }
            $again = @(New-Server -Name web-1, web-2 -Environment $envName -Role web @conn -ErrorAction Stop)
            ($again.Id | Sort-Object) | Should -Be ($servers.Id | Sort-Object)
            if (-not $real) { (Get-Requests RunInstances).Count | Should -Be $before }
        }

        It 'lists the servers with Get-Server' {
            $listed = @(Get-Server -Environment $envName @where -ErrorAction Stop | Where-Object { $_ })
            ($listed.Name | Sort-Object) | Should -Be @('web-1', 'web-2')
        }
    }

    Context 'Invoke-ServerCommand' {
        It 'runs systemctl is-system-running on both' {
            $results = @($servers | Invoke-ServerCommand -Command 'systemctl is-system-running --wait' -ErrorAction Stop)
            $results | Should -HaveCount 2
            $results | ForEach-Object {
                $_.ExitCode | Should -Be 0
                $_.StdOut.Trim() | Should -Be 'running'
            }
        }

        It 'runs sudo id -u as root on both' {
            $results = @($servers | Invoke-ServerCommand -Command 'sudo id -u' -ErrorAction Stop)
            $results | Should -HaveCount 2
            $results | ForEach-Object {
                $_.ExitCode | Should -Be 0
                $_.StdOut.Trim() | Should -Be '0'
            }
        }
    }

    Context 'What EC2 was asked (local endpoint)' -ForEach $endpointOnly -AllowNullOrEmptyForEach {
        It 'launched with IMDSv2 required, an encrypted gp3 root volume and tags on instance and volume' {
            $runs = @(Get-Requests RunInstances | Where-Object { $_.statusCode -eq 200 })
            $runs | Should -HaveCount 2
            foreach ($run in $runs) {
                $p = $run.parameters
                $p.'MetadataOptions.HttpTokens' | Should -Be 'required'
                $p.'BlockDeviceMapping.1.Ebs.Encrypted' | Should -Be 'true'
                $p.'BlockDeviceMapping.1.Ebs.VolumeType' | Should -Be 'gp3'
                $p.'InstanceType' | Should -Be 't3.small'
                $p.'KeyName' | Should -Be "devopstools-$envName"
                $p.'TagSpecification.1.ResourceType' | Should -Be 'instance'
                $p.'TagSpecification.2.ResourceType' | Should -Be 'volume'
                foreach ($spec in 1, 2) {
                    $tags = @{}
                    for ($i = 1; $p."TagSpecification.$spec.Tag.$i.Key"; $i++) { $tags[$p."TagSpecification.$spec.Tag.$i.Key"] = $p."TagSpecification.$spec.Tag.$i.Value" }
                    $tags['devopstools.managed'] | Should -Be 'true'
                    $tags['devopstools.environment'] | Should -Be $envName
                    $tags['devopstools.role'] | Should -Be 'web'
                    $tags['owner'] | Should -Be 'pester'
                }
                [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($p.UserData)) | Should -Match 'from-user-data'
            }
        }

        It 'opened SSH and the app port only to the declared range, never 0.0.0.0/0' {
            $all = Invoke-Hook -Path '_test/requests'
            foreach ($request in $all) {
                $request.parameters.PSObject.Properties.Value | Should -Not -Contain '0.0.0.0/0'
            }
            $ingress = @(Get-Requests AuthorizeSecurityGroupIngress)
            $ingress | Should -Not -BeNullOrEmpty
            $ports = foreach ($request in $ingress) {
                $p = $request.parameters
                for ($i = 1; $p."IpPermissions.$i.FromPort"; $i++) {
                    $p."IpPermissions.$i.IpProtocol" | Should -Be 'tcp'
                    $p."IpPermissions.$i.IpRanges.1.CidrIp" | Should -Be $sshCidr
                    $p."IpPermissions.$i.IpRanges.2.CidrIp" | Should -BeNullOrEmpty
                    [int]$p."IpPermissions.$i.FromPort"
                }
            }
            ($ports | Sort-Object -Unique) | Should -Be @(22, 8080)
            $createWarnings | Where-Object { "$_" -match '0\.0\.0\.0/0' } | Should -BeNullOrEmpty
        }

        It 'retried the throttled launch with the same client token' {
            $runs = @(Get-Requests RunInstances)
            @($runs | Where-Object errorCode -eq 'RequestLimitExceeded') | Should -HaveCount 2
            $throttledToken = ($runs | Where-Object errorCode -eq 'RequestLimitExceeded' | Select-Object -First 1).parameters.ClientToken
            @($runs | Where-Object { $_.parameters.ClientToken -eq $throttledToken -and $_.statusCode -eq 200 }) | Should -HaveCount 1
            @(Invoke-Hook -Path '_test/instances' | Where-Object { $_.state -ne 'terminated' }) | Should -HaveCount 2
        }

        It 'never sent or showed the secret key' {
            (Invoke-Hook -Path '_test/requests' | ConvertTo-Json -Depth 5) | Should -Not -Match 'pester-fake-secret'
        }
    }

    Context 'Environment definition' -ForEach $endpointOnly -AllowNullOrEmptyForEach {
        It 'creates the servers of a file whose provider.aws section says where and from where' {
            $fileEnv = "awsfile-$((New-Guid).ToString('N').Substring(0, 6))"
            $file = Join-Path $dataRoot "$fileEnv.yaml"
            @"
apiVersion: devopstools/v1
name: $fileEnv
provider:
  type: aws
  aws:
    endpointUrl: $endpointUrl
    region: us-east-1
    image: debian-12
    allowSshFrom: [$sshCidr]
servers:
  - name: app
    size: small
    role: app
tags:
  team: pester
"@ | Set-Content -Path $file
            $created = @((Import-DevOpsEnvironment -Path $file).Servers | New-Server -NoWait -ErrorAction Stop)
            $created | Should -HaveCount 1
            $created[0].Provider | Should -Be 'Aws'
            $created[0].Tags['team'] | Should -Be 'pester'
            $created[0].Connection.EndpointUrl | Should -Be $endpointUrl
            $run = Get-Requests RunInstances | Where-Object { $_.parameters.KeyName -eq "devopstools-$fileEnv" -and $_.statusCode -eq 200 }
            $run | Should -HaveCount 1
            # The piped server knows its endpoint: no connection parameters needed.
            $created | Remove-Server -Force -ErrorAction Stop
            @(Get-Server -Environment $fileEnv @where) | Should -HaveCount 0
        }
    }

    Context 'Bad input: clear errors, nothing left behind' {
        BeforeAll {
            function Assert-NothingLeft {
                param([string] $Environment)
                @(Get-Server -Environment $Environment @where -ErrorAction SilentlyContinue) | Should -HaveCount 0
                Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$Environment/id_ed25519") | Should -BeFalse
                if (-not $real) {
                    $all = @(Invoke-Hook -Path '_test/requests')
                    $keyName = "devopstools-$Environment"
                    @($all | Where-Object { $_.action -eq 'RunInstances' -and $_.parameters.KeyName -eq $keyName -and $_.statusCode -eq 200 }) | Should -HaveCount 0
                    $imported = @($all | Where-Object { $_.action -eq 'ImportKeyPair' -and $_.parameters.KeyName -eq $keyName -and $_.statusCode -eq 200 }).Count
                    $deleted = @($all | Where-Object { $_.action -eq 'DeleteKeyPair' -and $_.parameters.KeyName -eq $keyName -and $_.statusCode -eq 200 }).Count
                    $deleted | Should -Be $imported
                    $groups = @($all | Where-Object { $_.action -eq 'CreateSecurityGroup' -and $_.parameters.GroupName -eq $keyName -and $_.statusCode -eq 200 }).Count
                    $groupsDeleted = @($all | Where-Object { $_.action -eq 'DeleteSecurityGroup' -and $_.statusCode -eq 200 }).Count
                    $groupsDeleted | Should -BeGreaterOrEqual $groups
                }
            }
        }

        It 'an unknown image alias is UnknownImage' {
            $err = $null
            New-Server -Name web-1 -Environment $badEnv -Image debian-99 @conn -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'UnknownImage,*'
            "$($err[0])" | Should -Match 'debian-12'
            Assert-NothingLeft $badEnv
        }

        It 'an unknown size is UnknownSize' {
            $err = $null
            New-Server -Name web-1 -Environment $badEnv -Size enormous @conn -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'UnknownSize,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            Assert-NothingLeft $badEnv
        }

        It 'a missing -AllowSshFrom is SshIngressRequired' {
            $err = $null
            New-Server -Name web-1 -Environment $badEnv @where -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SshIngressRequired,*'
            "$($err[0])" | Should -Match '-AllowSshFrom'
            Assert-NothingLeft $badEnv
        }

        It 'missing credentials is CloudCredentialsMissing naming the chain' -ForEach $endpointOnly -AllowNullOrEmptyForEach {
            $saved = $env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY
            try {
                Remove-Item Env:AWS_ACCESS_KEY_ID, Env:AWS_SECRET_ACCESS_KEY
                $err = $null
                New-Server -Name web-1 -Environment $badEnv @conn -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
                $err[0].FullyQualifiedErrorId | Should -BeLike 'CloudCredentialsMissing,*'
                "$($err[0])" | Should -Match 'AWS_ACCESS_KEY_ID'
                "$($err[0])" | Should -Match 'ProfileName'
            }
            finally {
                $env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY = $saved
            }
            Assert-NothingLeft $badEnv
        }

        It 'an unreachable endpoint is ProviderUnavailable' -ForEach $endpointOnly -AllowNullOrEmptyForEach {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $err = $null
            New-Server -Name web-1 -Environment $badEnv -Provider Aws -EndpointUrl "http://127.0.0.1:$port/" -AllowSshFrom $sshCidr -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProviderUnavailable,*'
            $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$badEnv/id_ed25519") | Should -BeFalse
        }
    }

    Context 'Deploy-App to EC2 servers' {
        BeforeAll {
            $repo = Join-Path $PSScriptRoot '../..'
            $script:spec = Join-Path $repo 'examples/apps/hello/app.yaml'
            & (Join-Path $repo 'examples/apps/hello/build.ps1')
            $script:prodEnv = "awsprod-$((New-Guid).ToString('N').Substring(0, 6))"
            function Get-Version([object] $Deployment) { (Invoke-RestMethod "$($Deployment.Endpoints[0].Url)version" -TimeoutSec 5 -NoProxy).version }
        }

        AfterAll {
            $w = $script:where
            $left = @(Get-Server -Environment $script:prodEnv @w -ErrorAction SilentlyContinue)
            if ($left) { $left | Remove-Server -Force -ErrorAction SilentlyContinue }
        }

        It 'prepares both instances as container hosts and deploys the sample app behind their proxies' {
            $script:deployed = @($servers | Deploy-App -Path $spec -TimeoutSec 300 -ErrorAction Stop)
            $deployed | Should -HaveCount 2
            foreach ($d in $deployed) {
                $d.Status | Should -Be 'Healthy'
                $d.Server.Provider | Should -Be 'Aws'
                $d.Image | Should -Be 'localhost/devopstools-hello:1'
                $d.ImageDigest | Should -Match '^sha256:[0-9a-f]{64}$'
                # The app's public port on the instance's public address: what the security group opened.
                $d.Endpoints[0].Url | Should -Be "http://$($d.Server.Address):8080/"
                Get-Version $d | Should -Be '1'
            }
            # Each instance keeps the deployment's state: Get-AppDeployment reads it back over SSH.
            foreach ($s in $servers) { ($s | Get-AppDeployment hello -ErrorAction Stop).Revision | Should -Be 1 }
        }

        It 'promotes the digest running in this environment to a server of another environment' {
            $prod = @(New-Server -Name prod-1 -Environment $prodEnv -Role web -Port 8080 @conn -ErrorAction Stop)
            $promoted = @($prod | Deploy-App -Path $spec -FromEnvironment $envName -TimeoutSec 300 -ErrorAction Stop)
            $promoted | Should -HaveCount 1
            $promoted[0].Status | Should -Be 'Healthy'
            $promoted[0].Environment | Should -Be $prodEnv
            $promoted[0].ImageDigest | Should -Be $deployed[0].ImageDigest
            Get-Version $promoted[0] | Should -Be '1'
            $prod | Remove-App hello -Force -ErrorAction Stop
            $prod | Remove-Server -Force -ErrorAction Stop
        }

        It 'removes the app from both instances' {
            $removed = @($servers | Remove-App hello -Force -ErrorAction Stop)
            $removed | Should -HaveCount 2
            foreach ($d in $deployed) {
                { Invoke-RestMethod "$($d.Endpoints[0].Url)version" -TimeoutSec 3 -NoProxy } | Should -Throw
            }
        }
    }

    Context 'Remove-Server' {
        It 'removes both servers and the environment key pair, security group and local key' {
            $removed = @(Get-Server -Environment $envName @where -ErrorAction Stop | Remove-Server -Force -PassThru -ErrorAction Stop)
            $removed | Should -HaveCount 2
            @(Get-Server -Environment $envName @where -ErrorAction Stop) | Should -HaveCount 0
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$envName") | Should -BeFalse
            if (-not $real) {
                @(Get-Requests DeleteKeyPair | Where-Object { $_.parameters.KeyName -eq "devopstools-$envName" -and $_.statusCode -eq 200 }) | Should -HaveCount 1
                @(Get-Requests DeleteSecurityGroup | Where-Object statusCode -eq 200) | Should -Not -BeNullOrEmpty
                @(Invoke-Hook -Path '_test/instances' | Where-Object { $_.state -ne 'terminated' }) | Should -HaveCount 0
                @(& podman ps -a -q --filter "label=devopstools.ec2.owner-pid=$($endpoint.Id)") | Should -HaveCount 0
            }
        }
    }
}

Describe 'AWS parameters belong to -Provider Aws' -Tag 'Aws', 'Servers' {
    It '<Command> offers -<Parameter> only with -Provider Aws' -ForEach @(
        @{ Command = 'New-Server'; Parameter = 'AllowSshFrom'; Value = '203.0.113.0/24' }
        @{ Command = 'New-Server'; Parameter = 'UserData'; Value = '#cloud-config' }
        @{ Command = 'New-Server'; Parameter = 'Region'; Value = 'eu-west-1' }
        @{ Command = 'Get-Server'; Parameter = 'EndpointUrl'; Value = 'http://127.0.0.1:1/' }
        @{ Command = 'Remove-Server'; Parameter = 'ProfileName'; Value = 'ops' }
    ) {
        $arguments = @{ $Parameter = $Value }
        if ($Command -ne 'Get-Server') { $arguments += @{ Name = 'web-1'; Environment = 'srv-params'; WhatIf = $true } }
        { & $Command @arguments -ErrorAction Stop } | Should -Throw -ErrorId 'NamedParameterNotFound,*'
        { & $Command @arguments -Provider Podman -ErrorAction Stop } | Should -Throw -ErrorId 'NamedParameterNotFound,*'
        if ($Command -eq 'New-Server') {
            # Bound with -Provider Aws; -WhatIf creates nothing and reaches no endpoint.
            @(& $Command @arguments -Provider Aws -ErrorAction Stop) | Should -HaveCount 0
        }
    }
}
