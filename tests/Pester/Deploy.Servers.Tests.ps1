#Requires -Modules Pester
# Deploy-App to container-host servers: two Podman servers made by New-Server -ContainerHost and
# hardened by Set-Hardening, then the hello sample app rolled out one server at a time through
# the pipeline the design card names, updated, a broken version stopped at the first server, and
# a rebooted server serving again on its own (systemd units of the shape podman generate systemd
# --new gives), and a variable systemd would otherwise expand reaching the app as written.

Describe 'Deploy-App to container-host servers' -Tag 'Podman', 'Deploy' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'ds' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $repo = Join-Path $PSScriptRoot '../..'
        $script:spec = Join-Path $repo 'examples/apps/hello/app.yaml'

        $script:servers = @(New-Server -Name web-1, web-2 -Environment $envName -ContainerHost -Port 8080 -ErrorAction Stop)
        & (Join-Path $repo 'examples/apps/hello/build.ps1')

        function Get-Version([object] $Deployment) { (Invoke-RestMethod "$($Deployment.Endpoints[0].Url)version" -TimeoutSec 5).version }
    }

    AfterAll {
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'hardens the servers and deploys to them in one pipeline' {
        $script:v1 = @($servers | Set-Hardening -Force | Deploy-App -Path $spec -TimeoutSec 300 -ErrorAction Stop)
        $v1.Count | Should -Be 2
        foreach ($d in $v1) {
            $d.Status | Should -Be 'Healthy'
            $d.Server.Name | Should -BeIn 'web-1', 'web-2'
            # The proxy's port as this machine reaches it: the server's published port for 8080.
            $published = $d.Server.Endpoints | Where-Object Port -eq 8080
            $d.Endpoints[0].Port | Should -Be $published.HostPort
            Get-Version $d | Should -Be '1'
        }
    }

    It 'updates one server at a time without a failed request' {
        $load = Start-ThreadJob { param($u) hey -z 15s -c 4 $u 2>&1 | Out-String } -ArgumentList $v1[0].Endpoints[0].Url
        Start-Sleep -Seconds 2
        $v2 = @($servers | Deploy-App -Path $spec -Image localhost/devopstools-hello:2 -MaxUnavailable 1 -TimeoutSec 300 -ErrorAction Stop)
        $report = $load | Wait-Job | Receive-Job
        Write-Host $report
        $v2.Status | Should -Be 'Healthy', 'Healthy'
        $report | Should -Match '\[200\]\s+\d+ responses'
        $report | Should -Not -Match '\[[^2]\d\d\]\s+\d+ responses'
        $report | Should -Not -Match 'Error distribution'
        foreach ($d in $v2) { Get-Version $d | Should -Be '2' }
    }

    It 'stops a broken rollout at the first server and leaves the second untouched' {
        $result = @($servers | Deploy-App -Path $spec -Image localhost/devopstools-hello:broken -MaxUnavailable 1 -TimeoutSec 20 -ErrorVariable failed -ErrorAction SilentlyContinue)
        $result.Count | Should -Be 1
        $result[0].Status | Should -Be 'RolledBack'
        @($failed | Where-Object { $_.FullyQualifiedErrorId -like 'DeployRolloutStopped*' }).Count | Should -Be 1
        @($failed | Where-Object { $_.FullyQualifiedErrorId -like 'DeployRolledBack*' }).Count | Should -Be 1
        foreach ($s in $servers) {
            $d = $s | Get-AppDeployment hello
            $d.Status | Should -Be 'Healthy'
            Get-Version $d | Should -Be '2'
        }
        # The servers arrive in the order New-Server finished them: the untouched one is the other.
        $untouched = $servers | Where-Object Name -ne $result[0].Server.Name
        @(($untouched | Get-AppDeployment hello).History | Where-Object Status -eq 'RolledBack').Count | Should -Be 0
        @(($servers | Where-Object Name -eq $result[0].Server.Name | Get-AppDeployment hello).History | Where-Object Status -eq 'RolledBack').Count | Should -Be 1
    }

    It 'serves again after a server reboots' {
        $web1 = $servers | Where-Object Name -eq 'web-1'
        podman restart -t 5 -- $web1.Id | Out-Null
        $deadline = (Get-Date).AddSeconds(90)
        $version = $null
        while (-not $version -and (Get-Date) -lt $deadline) {
            try { $version = Get-Version ($web1 | Get-AppDeployment hello -ErrorAction Stop) } catch { Start-Sleep -Seconds 2 }
        }
        $version | Should -Be '2'
    }

    It 'sees and continues the deployment from -HostName, as on a machine it did not create' {
        $web2 = $servers | Where-Object Name -eq 'web-2'
        $login = @{ HostName = '127.0.0.1'; Port = $web2.SshPort; IdentityFile = $web2.IdentityFile; KnownHostsFile = (Join-Path $dataRoot 'known_hosts') }
        $seen = Get-AppDeployment hello -Environment $envName @login -ErrorAction Stop
        $seen.Target | Should -Be '127.0.0.1'
        $seen.Revision | Should -Be ($web2 | Get-AppDeployment hello).Revision
        $seen.Image | Should -Be 'localhost/devopstools-hello:2'

        $d = Deploy-App -Path $spec -Environment $envName -Image localhost/devopstools-hello:1 -TimeoutSec 300 @login -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        # The next revision number on that host (the rolled-back revision counts too).
        $d.Revision | Should -Be ((($seen.History.Revision | Measure-Object -Maximum).Maximum) + 1)
        $d.Server.Provider | Should -Be 'External'
        # A -HostName machine is reached on the port itself; this one is a Podman server, reached through its published port.
        $d.Endpoints[0].Port | Should -Be 8080
        Get-Version ($web2 | Get-AppDeployment hello) | Should -Be '1'
        { Deploy-App -Path $spec @login -ErrorAction Stop } | Should -Throw '*needs -Environment*'
    }

    It 'passes variables to the app exactly as written, through the systemd unit' {
        $web1 = $servers | Where-Object Name -eq 'web-1'
        # Each of these means something to systemd in a unit ($ and ${} variables, % specifiers,
        # quotes, backslashes, ';') or to a shell.
        $value = 'a "b" c''d $HOME ${USER} %n %% 100% \n ; `x` \'
        $quoting = Join-Path $dataRoot 'hello-quoting.yaml'
        (Get-Content -Raw $spec) + "env:`n  DEPLOY_QUOTING: '$($value.Replace("'", "''"))'`n" | Set-Content $quoting
        $d = $web1 | Deploy-App -Path $quoting -TimeoutSec 300 -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        $container = "dot-$envName-hello-r$($d.Revision)-0"
        # What podman was given by systemd's reading of the unit (the container's configuration;
        # podman exec does not work in a nested container without user namespaces).
        $envLines = ($web1 | Invoke-ServerCommand -Command "podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $container" -Sudo -ErrorAction Stop).StdOut -split "`n"
        @($envLines | Where-Object { $_.StartsWith('DEPLOY_QUOTING=') }) | Should -BeExactly @("DEPLOY_QUOTING=$value")
        # The unit is enabled: a reboot starts it again.
        ($web1 | Invoke-ServerCommand -Command "systemctl is-enabled devopstools-$container.service" -Sudo -ErrorAction Stop).StdOut.Trim() | Should -Be 'enabled'
    }

    It 'keeps a server connection open for the next deploy cmdlet, and reconnects when it was dropped' {
        $web1 = $servers | Where-Object Name -eq 'web-1'
        $container = "devopstools-$envName.web-1"
        function Get-Logins { [int](& podman exec -- $container sh -c "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey'") }
        $web1 | Get-AppDeployment hello -ErrorAction Stop | Out-Null
        $before = Get-Logins
        foreach ($i in 1..3) { ($web1 | Get-AppDeployment hello -ErrorAction Stop).Status | Should -Be 'Healthy' }
        Get-Logins | Should -Be $before
        # The server drops the connection (its session processes killed): the next cmdlet notices
        # before it runs anything and logs in again, without an error.
        & podman exec -- $container pkill -f 'sshd: admin'
        ($web1 | Get-AppDeployment hello -ErrorAction Stop).Status | Should -Be 'Healthy'
        Get-Logins | Should -Be ($before + 1)
        # DEVOPSTOOLS_SSH_PERSIST=0: every cmdlet logs in and closes its connection.
        $saved = $env:DEVOPSTOOLS_SSH_PERSIST
        try {
            $env:DEVOPSTOOLS_SSH_PERSIST = '0'
            foreach ($i in 1..2) { $web1 | Get-AppDeployment hello -ErrorAction Stop | Out-Null }
            Get-Logins | Should -Be ($before + 3)
        }
        finally { $env:DEVOPSTOOLS_SSH_PERSIST = $saved }
    }
}
