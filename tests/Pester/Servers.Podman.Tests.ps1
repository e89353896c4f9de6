#Requires -Modules Pester
# End-to-end tests of New-Server / Get-Server / Invoke-ServerCommand / Remove-Server with real
# Podman servers. Needs podman, runc and debootstrap (build.ps1 -Task Deps) and root for the
# one-time image build. Every resource carries this run's unique environment label; AfterAll
# removes exactly those, even when a test failed.

BeforeDiscovery {
    $script:podmanMissing = -not (Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'Podman servers' -Tag 'Podman', 'Servers' -Skip:$podmanMissing {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:dataRoot = New-TestDataRoot
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:envName = "srvtest-$suffix"
        $script:cancelEnv = "srvcancel-$suffix"
        $script:slowEnv = "srvslow-$suffix"
        $script:portEnv = "t-pod-$suffix"
        $script:allEnvs = @($envName, $cancelEnv, $slowEnv, $portEnv)
        $script:noSshImage = "localhost/devopstools-test-nossh:$suffix"

        # In parallel, in one call: both servers of the environment.
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:servers = @(New-Server -Name web-1, web-2 -Environment $envName -Role web -Tag @{ owner = 'pester' } -ErrorAction Stop)
        $script:createSeconds = $watch.Elapsed.TotalSeconds
        Write-Host "Created 2 servers in $([math]::Round($createSeconds, 1)) s"
        $script:web1 = $servers | Where-Object Name -eq 'web-1'
        $script:web2 = $servers | Where-Object Name -eq 'web-2'
    }

    AfterAll {
        foreach ($name in @($script:allEnvs | Where-Object { $_ })) {
            Get-Server -Environment $name -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        }
        Remove-TestPodmanEnvironment -Environment $script:allEnvs
        if ($script:noSshImage) { & podman rmi -f -- $script:noSshImage 2>$null | Out-Null }
        Remove-TestDataRoot -Path $script:dataRoot
    }

    Context 'New-Server' {
        It 'returns two running servers reachable on 127.0.0.1 with pinned host keys' {
            $servers.Count | Should -Be 2
            # The engine's types live in the module's private load context: check them by name.
            $servers | ForEach-Object { $_.GetType().FullName | Should -Be 'DevOpsTools.Server' }
            ($servers.Name | Sort-Object) | Should -Be @('web-1', 'web-2')
            $servers | ForEach-Object {
                $_.Provider | Should -Be 'Podman'
                $_.Environment | Should -Be $envName
                $_.State | Should -Be 'Running'
                $_.Address | Should -Be '127.0.0.1'
                $_.SshPort | Should -BeGreaterThan 1024
                $_.User | Should -Be 'admin'
                $_.Role | Should -Be 'web'
                $_.Tags['owner'] | Should -Be 'pester'
                $_.HostKeyFingerprint | Should -Match '^SHA256:[A-Za-z0-9+/]{43}$'
            }
            $servers[0].SshPort | Should -Not -Be $servers[1].SshPort
            $servers[0].HostKeyFingerprint | Should -Not -Be $servers[1].HostKeyFingerprint
        }

        It 'labels every container and the network with the environment' {
            $labels = & podman ps -a --filter "label=devopstools.environment=$envName" --format '{{.Labels}}'
            @($labels).Count | Should -Be 2
            @($labels) -join ' ' | Should -Match 'devopstools.name:web-1'
            & podman network ls -q --filter "label=devopstools.environment=$envName" | Should -Not -BeNullOrEmpty
        }

        It 'keeps one private ed25519 key per environment (0600) and never outputs it' {
            $key = Join-Path $env:DEVOPSTOOLS_HOME "keys/$envName/id_ed25519"
            Test-Path $key | Should -BeTrue
            (& stat -c '%a' $key) | Should -Be '600'
            (& stat -c '%a' (Split-Path $key)) | Should -Be '700'
            (Get-Content -Raw "$key.pub") | Should -Match '^ssh-ed25519 AAAA'
            ($servers | ConvertTo-Json -Depth 6) | Should -Not -Match 'PRIVATE KEY'
            $servers[0].IdentityFile | Should -Be $key
        }

        It 'records host keys in an OpenSSH known_hosts file' {
            $known = Get-Content (Join-Path $env:DEVOPSTOOLS_HOME 'known_hosts')
            foreach ($s in $servers) {
                $known | Where-Object { $_.StartsWith("[127.0.0.1]:$($s.SshPort) ssh-ed25519 ") } | Should -HaveCount 1
            }
        }

        It 'lets OpenSSH log in as admin with the environment key, with sudo and without root login' {
            Invoke-TestSsh $servers[0] 'whoami' | Should -Be 'admin'
            Invoke-TestSsh $servers[0] 'sudo -n id -u' | Should -Be '0'
            Invoke-TestSsh $servers[0] 'true' -User root | Out-Null
            $LASTEXITCODE | Should -Not -Be 0
        }

        It 'is idempotent: the same name returns the existing server unchanged' {
            $again = New-Server -Name web-1 -Environment $envName -ErrorAction Stop
            $again.Id | Should -Be ($servers | Where-Object Name -eq 'web-1').Id
            @(& podman ps -a -q --filter "label=devopstools.environment=$envName").Count | Should -Be 2
        }

        It 'accepts server specs from the pipeline (environment definition shape)' {
            $spec = [pscustomobject]@{ Name = 'web-2'; Environment = $envName; Provider = 'Podman'; Size = 'small'; Role = 'web'; Tags = @{} }
            $result = $spec | New-Server -ErrorAction Stop
            $result.Id | Should -Be ($servers | Where-Object Name -eq 'web-2').Id
        }

        It 'changes nothing with -WhatIf (no server, no key)' {
            New-Server -Name whatif-1 -Environment "whatif-$envName" -WhatIf
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/whatif-$envName") | Should -BeFalse
            & podman ps -a -q --filter "label=devopstools.environment=whatif-$envName" | Should -BeNullOrEmpty
        }

        It 'rejects <Case> with <ErrorId> and creates nothing' -ForEach @(
            @{ Case = 'a name that is not RFC 1123'; Arguments = @{ Name = 'Web_1' }; ErrorId = 'InvalidServerName' }
            @{ Case = 'an unknown provider'; Arguments = @{ Name = 'ok-1'; Provider = 'Nimbus' }; ErrorId = 'UnknownProvider' }
            @{ Case = 'an unknown size'; Arguments = @{ Name = 'ok-1'; Size = 'enormous' }; ErrorId = 'UnknownSize' }
            @{ Case = 'an image that reads as an option'; Arguments = @{ Name = 'ok-1'; Image = '--privileged' }; ErrorId = 'InvalidParameter' }
            @{ Case = 'a role with a space'; Arguments = @{ Name = 'ok-1'; Role = 'web server' }; ErrorId = 'InvalidParameter' }
            @{ Case = 'a tag value with a line break'; Arguments = @{ Name = 'ok-1'; Tag = @{ owner = "a`nb" } }; ErrorId = 'InvalidParameter' }
            @{ Case = 'a tag key the module reserves'; Arguments = @{ Name = 'ok-1'; Tag = @{ 'devopstools.managed' = 'false' } }; ErrorId = 'InvalidParameter' }
            @{ Case = 'a tag value that is a hashtable'; Arguments = @{ Name = 'ok-1'; Tag = @{ owner = @{ nested = 1 } } }; ErrorId = 'InvalidParameter' }
        ) {
            $bad = "bad-$envName"
            New-Server -Environment $bad @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            & podman ps -a -q --filter "label=devopstools.environment=$bad" | Should -BeNullOrEmpty
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$bad") | Should -BeFalse
        }
    }

    Context 'Get-Server' {
        It 'lists the environment from podman' {
            $listed = Get-Server -Environment $envName
            ($listed.Name | Sort-Object) | Should -Be @('web-1', 'web-2')
            $listed | ForEach-Object { $_.HostKeyFingerprint | Should -Match '^SHA256:' }
        }

        It 'filters names with wildcards and reports an unknown exact name' {
            @(Get-Server -Environment $envName -Name 'web-*').Count | Should -Be 2
            @(Get-Server -Environment $envName -Name 'web-2').Name | Should -Be 'web-2'
            Get-Server -Environment $envName -Name 'nope' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ServerNotFound,*'
        }
    }

    Context 'Endpoints and tab completion' {
        BeforeAll {
            $script:app = New-Server -Name app-1 -Environment $portEnv -Port 8080, 9100 -ErrorAction Stop
            $script:token = [guid]::NewGuid().ToString('N')
        }

        It 'records each declared port as the loopback address and port podman published it on' {
            $app.Ports | Should -Be @(8080, 9100)
            $app.Endpoints | Should -HaveCount 2
            $app.Endpoints.Port | Should -Be @(8080, 9100)
            foreach ($endpoint in $app.Endpoints) {
                $endpoint.Address | Should -Be '127.0.0.1'
                $endpoint.HostPort | Should -Not -Be $endpoint.Port
                # podman's own view of the mapping, independent of the module.
                & podman port -- "devopstools-$portEnv.app-1" "$($endpoint.Port)/tcp" | Should -Be "127.0.0.1:$($endpoint.HostPort)"
            }
            $app.Endpoints.HostPort | Should -Not -Contain $app.SshPort
        }

        It 'reports the same endpoints for an existing server (Get-Server, and New-Server of an existing name)' {
            $listed = Get-Server -Environment $portEnv -Name app-1 -ErrorAction Stop
            ($listed.Endpoints | ForEach-Object ToString) | Should -Be ($app.Endpoints | ForEach-Object ToString)
            $again = New-Server -Name app-1 -Environment $portEnv -ErrorAction Stop
            ($again.Endpoints | ForEach-Object ToString) | Should -Be ($app.Endpoints | ForEach-Object ToString)
        }

        It 'reaches a service listening inside the server from this machine through the recorded endpoint' {
            $start = "sudo mkdir -p /srv/t-pod && echo $token | sudo tee /srv/t-pod/token.txt >/dev/null && " +
                'sudo systemd-run --unit t-pod-http --working-directory=/srv/t-pod python3 -m http.server --bind 0.0.0.0 8080'
            (Invoke-ServerCommand -Server $app -Command $start -ErrorAction Stop).ExitCode | Should -Be 0
            $endpoint = $app.Endpoints | Where-Object Port -eq 8080
            $client = [Net.Http.HttpClient]::new()
            $client.Timeout = [timespan]::FromSeconds(5)
            try {
                $deadline = [DateTime]::UtcNow.AddSeconds(20)
                $answer = $null
                do {
                    try { $answer = $client.GetStringAsync("http://$endpoint/token.txt").GetAwaiter().GetResult() }
                    catch { Start-Sleep -Milliseconds 300 }
                } until ($answer -or [DateTime]::UtcNow -gt $deadline)
            }
            finally {
                $client.Dispose()
            }
            $answer | Should -Not -BeNullOrEmpty
            $answer.Trim() | Should -Be $token
        }

        It 'tab-completes -Environment, -Name and -Provider of the server cmdlets from live data' {
            function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
            # Environments that have servers (this one exists only while this context runs).
            Complete "Get-Server -Environment $($portEnv.Substring(0, $portEnv.Length - 2))" | Should -Contain $portEnv
            Complete "Remove-Server -Environment t-pod-" | Should -Contain $portEnv
            Complete "New-Server -Name x -Environment $portEnv" | Should -Be $portEnv
            # Names of existing servers, within the environment given on the line.
            Complete "Get-Server -Environment $portEnv -Name " | Should -Be 'app-1'
            Complete "Remove-Server -Environment $portEnv -Name ap" | Should -Be 'app-1'
            Complete "Get-Server -Environment $portEnv -Name zz" | Should -BeNullOrEmpty
            # Providers from the registry.
            Complete 'Get-Server -Provider ' | Should -Be @('Aws', 'Podman')
            Complete 'New-Server -Name x -Environment y -Provider po' | Should -Be 'Podman'
        }

        AfterAll {
            Get-Server -Environment $portEnv -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        }
    }

    Context 'Invoke-ServerCommand' {
        It 'runs on both servers in parallel: systemd is running and sudo works' {
            $results = $servers | Invoke-ServerCommand -Command 'systemctl is-system-running' -ErrorAction Stop
            $results | Should -HaveCount 2
            $results | ForEach-Object {
                $_.GetType().FullName | Should -Be 'DevOpsTools.ServerCommandResult'
                $_.ExitCode | Should -Be 0
                $_.StdOut.Trim() | Should -Be 'running'
                $_.Duration | Should -BeOfType ([timespan])
            }
            $root = Invoke-ServerCommand -Server $servers -Command 'sudo id -u' -ErrorAction Stop
            $root.StdOut.Trim() | Should -Be @('0', '0')
            $sudo = Invoke-ServerCommand -Server $servers -Command 'id -un' -Sudo -ErrorAction Stop
            $sudo.StdOut.Trim() | Should -Be @('root', 'root')
        }

        It 'runs a script file, passing it on stdin' {
            $file = Join-Path $TestDrive 'check.sh'
            Set-Content -Path $file -Value @('set -e', 'echo "args: $#"', 'hostname', 'ps -o args= -p $$ | grep -c check.sh || true')
            $results = $servers | Invoke-ServerCommand -ScriptFile $file -ErrorAction Stop
            $results | ForEach-Object { $_.StdOut | Should -Match "args: 1`n$($_.Server.Name)`n0" }
        }

        It 'reports a non-zero exit as an error for that server while the others go on' {
            $results = $servers | Invoke-ServerCommand -Command 'echo out; echo err >&2; test "$(hostname)" = web-1' -ErrorVariable err -ErrorAction SilentlyContinue
            $results | Should -HaveCount 2
            ($results | Where-Object { $_.Server.Name -eq 'web-1' }).ExitCode | Should -Be 0
            $failed = $results | Where-Object { $_.Server.Name -eq 'web-2' }
            $failed.ExitCode | Should -Be 1
            $failed.StdOut.Trim() | Should -Be 'out'
            $failed.StdErr.Trim() | Should -Be 'err'
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RemoteCommandFailed,*'
            $err[0].TargetObject.Name | Should -Be 'web-2'
        }

        It 'streams output lines to the information stream while the command runs' {
            $start = Get-Date
            $results = $web1 | Invoke-ServerCommand 'echo first; sleep 3; echo second >&2' -InformationVariable lines -ErrorAction Stop
            $results.StdOut | Should -Be "first`n"
            $results.StdErr | Should -Be "second`n"
            $streamed = $lines | Where-Object { $_.Tags -contains 'ServerOutput' }
            $streamed.MessageData.Line | Should -Be @('first', 'second')
            $streamed.MessageData.Stream | Should -Be @('StdOut', 'StdErr')
            $streamed[0].MessageData.Server.Name | Should -Be 'web-1'
            $streamed[1].Tags | Should -Contain 'StdErr'
            # 'first' was written before the 3 s sleep ended, not replayed at the end.
            ($streamed[0].TimeGenerated - $start).TotalSeconds | Should -BeLessThan (($streamed[1].TimeGenerated - $start).TotalSeconds - 2)
        }

        It 'binds the Server property of earlier results from the pipeline' {
            $results = $servers | Invoke-ServerCommand 'true' | Invoke-ServerCommand 'hostname'
            ($results.StdOut.Trim() | Sort-Object) | Should -Be @('web-1', 'web-2')
        }

        It 'stops the remote command at -TimeoutSec and says so' {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $web1 | Invoke-ServerCommand 'sleep 120; echo finished' -TimeoutSec 2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RemoteCommandTimeout,*'
            $err[0].Exception.Message | Should -Match 'web-1'
            (Invoke-ServerCommand -Server $web1 'pgrep -x sleep || echo none').StdOut.Trim() | Should -Be 'none'
        }

        It 'stops the remote command promptly when the pipeline is stopped (Ctrl+C)' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript({
                        param($Module, $DataHome, $Server)
                        $env:DEVOPSTOOLS_HOME = $DataHome
                        Import-Module $Module
                        Invoke-ServerCommand -Server $Server -Command 'sleep 300' -Sudo
                    }).AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($env:DEVOPSTOOLS_HOME).AddArgument($web2)
                $async = $ps.BeginInvoke()
                $deadline = [DateTime]::UtcNow.AddSeconds(20)
                do { Start-Sleep -Milliseconds 300; $running = & podman exec -- "devopstools-$envName.web-2" pgrep -x sleep } until ($running -or [DateTime]::UtcNow -gt $deadline)
                $running | Should -Not -BeNullOrEmpty
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
                $async.IsCompleted | Should -BeTrue
            }
            finally {
                $ps.Dispose()
            }
            Start-Sleep -Milliseconds 500
            & podman exec -- "devopstools-$envName.web-2" pgrep -x sleep | Should -BeNullOrEmpty
        }

        It 'keeps repeated logins fast, also after pauses longer than UserStopDelaySec' {
            foreach ($i in 1..2) {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                (Invoke-ServerCommand -Server $web1 'echo hi' -ErrorAction Stop).StdOut.Trim() | Should -Be 'hi'
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
                if ($i -eq 1) { Start-Sleep -Seconds 11 }
            }
            (Invoke-ServerCommand -Server $web1 'systemctl --failed --no-legend | wc -l').StdOut.Trim() | Should -Be '0'
        }
    }

    Context 'Faults' {
        BeforeAll {
            # An image whose servers never start sshd.
            $containerfile = Join-Path $TestDrive 'Containerfile'
            Set-Content $containerfile "FROM $($servers[0].Image)`nRUN systemctl mask ssh.service"
            & podman build -q -t $noSshImage -f $containerfile -- $TestDrive *> $null
            $LASTEXITCODE | Should -Be 0
        }

        It 'reports a podman that does not work as ProviderUnavailable and creates nothing' {
            $saved = $env:CONTAINERS_CONF
            $bad = Join-Path $TestDrive 'broken-containers.conf'
            Set-Content $bad 'this is [not toml'
            try {
                $env:CONTAINERS_CONF = $bad
                New-Server -Name web-1 -Environment "broken-$envName" -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            }
            finally {
                $env:CONTAINERS_CONF = $saved
            }
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProviderUnavailable,*'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err[0].Exception.Message | Should -Match 'podman'
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/broken-$envName") | Should -BeFalse
        }

        It 'times out a server that never answers SSH, naming server and stage, and removes it' {
            New-Server -Name mute-1 -Environment $slowEnv -Image $noSshImage -TimeoutSec 6 -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warn -WarningAction SilentlyContinue |
                Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ServerNotReady,*'
            $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            $err[0].Exception.Message | Should -Match "$slowEnv/mute-1"
            $err[0].Exception.Message | Should -Match 'stuck waiting for the SSH port'
            ($warn -join ' ') | Should -Match 'Removed server'
            & podman ps -a -q --filter "label=devopstools.environment=$slowEnv" | Should -BeNullOrEmpty
            & podman network ls -q --filter "label=devopstools.environment=$slowEnv" | Should -BeNullOrEmpty
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$slowEnv") | Should -BeFalse
        }

        It 'removes what it created when creation is stopped (Ctrl+C)' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript({
                        param($Module, $DataHome, $Environment, $Image)
                        $env:DEVOPSTOOLS_HOME = $DataHome
                        Import-Module $Module
                        New-Server -Name stop-1, stop-2 -Environment $Environment -Image $Image -TimeoutSec 120
                    }).AddArgument($env:DEVOPSTOOLS_TEST_MODULE).AddArgument($env:DEVOPSTOOLS_HOME).AddArgument($cancelEnv).AddArgument($noSshImage)
                $async = $ps.BeginInvoke()
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                do { Start-Sleep -Milliseconds 300; $ids = & podman ps -q --filter "label=devopstools.environment=$cancelEnv" } until (@($ids).Count -ge 2 -or [DateTime]::UtcNow -gt $deadline)
                @($ids).Count | Should -Be 2
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
                ($ps.Streams.Warning -join ' ') | Should -Match 'cancelled.*removed'
            }
            finally {
                $ps.Dispose()
            }
            & podman ps -a -q --filter "label=devopstools.environment=$cancelEnv" | Should -BeNullOrEmpty
            & podman network ls -q --filter "label=devopstools.environment=$cancelEnv" | Should -BeNullOrEmpty
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$cancelEnv") | Should -BeFalse
        }

        It 'refuses a server whose host key changed (HostKeyMismatch) and runs nothing on it' {
            $target = $servers | Where-Object Name -eq 'web-2'
            & podman exec -- "devopstools-$envName.web-2" sh -c 'rm -f /etc/ssh/ssh_host_ed25519_key*; ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh'
            $LASTEXITCODE | Should -Be 0
            $newPrint = (& podman exec -- "devopstools-$envName.web-2" ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub).Split(' ')[1]
            $results = $servers | Invoke-ServerCommand 'touch /tmp/ran; hostname' -ErrorVariable err -ErrorAction SilentlyContinue
            $results.Server.Name | Should -Be 'web-1'
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyMismatch,*'
            $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
            $err[0].Exception.Message | Should -Match "$envName/web-2"
            $err[0].Exception.Message | Should -Match ([regex]::Escape($target.HostKeyFingerprint))
            $err[0].Exception.Message | Should -Match ([regex]::Escape($newPrint))
            & podman exec -- "devopstools-$envName.web-2" test -e /tmp/ran
            $LASTEXITCODE | Should -Not -Be 0
        }
    }

    Context 'Remove-Server' {
        It 'changes nothing with -WhatIf' {
            Get-Server -Environment $envName | Remove-Server -WhatIf
            @(Get-Server -Environment $envName).Count | Should -Be 2
        }

        It 'removes the servers and, with the last one, the network, key and known hosts of the environment' {
            $removed = Get-Server -Environment $envName | Remove-Server -Force -PassThru -ErrorAction Stop
            $removed | Should -HaveCount 2
            Get-Server -Environment $envName | Should -BeNullOrEmpty
            & podman ps -a -q --filter "label=devopstools.environment=$envName" | Should -BeNullOrEmpty
            & podman network ls -q --filter "label=devopstools.environment=$envName" | Should -BeNullOrEmpty
            Test-Path (Join-Path $env:DEVOPSTOOLS_HOME "keys/$envName") | Should -BeFalse
            $known = Join-Path $env:DEVOPSTOOLS_HOME 'known_hosts'
            if (Test-Path $known) { Get-Content $known | Where-Object { $_ -match [regex]::Escape("devopstools:$envName/") } | Should -BeNullOrEmpty }
        }
    }
}
