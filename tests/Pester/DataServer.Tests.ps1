#Requires -Modules Pester
# PostgreSQL on a server of the environment: the engine's PostgresServerPreparer runs
# Resources/data/postgresql-server.sh over the module's SSH layer on a Podman server made by
# New-Server (-Port 5432), with an app server beside it in the same environment. It installs
# Debian's postgresql-15, listens on the server's network address and 127.0.0.1, and admits by
# password only the addresses it is given. Everything carries this run's environment (dsv-<random>)
# and AfterAll removes exactly that, even when a test failed.

BeforeDiscovery {
    $script:podmanMissing = -not (Get-Command podman -ErrorAction SilentlyContinue)
}

Describe 'PostgreSQL on a server (dsv)' -Tag 'Podman', 'Servers', 'Data' -Skip:$podmanMissing {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestNpgsql
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dsv-' + [guid]::NewGuid().ToString('N').Substring(0, 6)

        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:db = New-Server -Name db -Environment $envName -Port 5432 -ErrorAction Stop
        $script:app = New-Server -Name app -Environment $envName -ErrorAction Stop
        Write-Host "dsv: created a data server and an app server in $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s"

        # The engine's types live in the module's private load context: reach them by name.
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DevOpsTools.Engine' } | Select-Object -First 1
        $script:context = $engine.GetType('DevOpsTools.Engine.Core.EngineContext')::Silent([Threading.CancellationToken]::None)
        $script:preparer = [Activator]::CreateInstance($engine.GetType('DevOpsTools.Engine.Data.PostgresServerPreparer'))
        function script:Invoke-Prepare([string[]] $Clients) {
            $preparer.PrepareAsync($db, 'main', 5432, [string[]] $Clients, $context).GetAwaiter().GetResult()
        }
        function script:Get-Address($Server) {
            $line = Invoke-TestSsh -Server $Server -Command 'ip -o -4 addr show scope global' | Select-Object -First 1
            if ("$line" -notmatch 'inet (\d+\.\d+\.\d+\.\d+)/') { throw "no IPv4 address on $($Server.Name): $line" }
            $Matches[1]
        }
        $script:appAddress = Get-Address $app
        $script:dbAddress = Get-Address $db
        $script:endpoint = $db.Endpoints | Where-Object Port -eq 5432
        $script:password = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(18)).Replace('+', '-').Replace('/', '_')

        function script:Open-Connection([string] $Password) {
            $builder = [Npgsql.NpgsqlConnectionStringBuilder]::new()
            $builder.Host = $endpoint.Address; $builder.Port = $endpoint.HostPort; $builder.Username = 'shop'; $builder.Password = $Password
            $builder.Database = 'shop'; $builder.Pooling = $false; $builder.Timeout = 10
            $connection = [Npgsql.NpgsqlConnection]::new($builder.ConnectionString)
            $connection.Open()
            $connection
        }
    }

    AfterAll {
        Get-Server -Environment $script:envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $script:envName
        Remove-TestDataRoot -Path $script:dataRoot
    }

    It 'installs postgresql-15, creates the cluster and listens on the server''s address and loopback only' {
        $first = Invoke-Prepare @($appAddress)
        $first.Changed | Should -BeTrue
        ($first.Changes -join "`n") | Should -Match 'packages: postgresql-15'
        ($first.Changes -join "`n") | Should -Match 'cluster 15/main in /var/lib/postgresql/15/main'
        ($first.Changes -join "`n") | Should -Match 'reads conf.d'
        $first.ListenAddresses | Should -Be @($dbAddress, '127.0.0.1')

        $listening = Invoke-TestSsh -Server $db -Command "ss -Hltn 'sport = :5432'"
        ($listening -join "`n") | Should -Match ([regex]::Escape("${dbAddress}:5432"))
        ($listening -join "`n") | Should -Match '127\.0\.0\.1:5432'
        ($listening -join "`n") | Should -Not -Match '0\.0\.0\.0:5432|\*:5432|\[::\]:5432'
        $hba = Invoke-TestSsh -Server $db -Command 'sudo -n cat /etc/postgresql/15/main/pg_hba.conf'
        $hba | Should -Contain "host all all $appAddress/32 scram-sha-256"
        $hba | Should -Contain 'local all postgres peer'
        ($hba | Where-Object { $_ -match '/0 ' -and $_ -notmatch ' reject$' }) | Should -BeNullOrEmpty
    }

    It 'changes nothing on a second run' {
        $second = Invoke-Prepare @($appAddress)
        $second.Changed | Should -BeFalse
        $second.Changes | Should -BeNullOrEmpty
    }

    It 'is reachable from the app server on the server''s address' {
        $probe = Invoke-TestSsh -Server $app -Command "timeout 5 bash -c 'exec 3<>/dev/tcp/$dbAddress/5432' && echo open"
        ($probe -join "`n") | Should -Match 'open'
    }

    It 'refuses a login from an address it was not given, then admits it by password once it is given' {
        # A user made by hand for the test: its password reaches psql on stdin, never a command line.
        $key = Join-Path $env:DEVOPSTOOLS_HOME "keys/$envName/id_ed25519"
        $known = Join-Path $env:DEVOPSTOOLS_HOME 'known_hosts'
        "CREATE ROLE shop LOGIN PASSWORD '$password';`nCREATE DATABASE shop OWNER shop;" |
            & ssh -i $key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$known" -p $db.SshPort "admin@$($db.Address)" `
                'sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -p 5432 -d postgres' 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0

        # This machine reaches the server through its published port, from an address of its own
        # (the network's gateway for Podman): the last lines of pg_hba.conf reject it.
        $refused = { Open-Connection $password } | Should -Throw -PassThru
        $refused.Exception.ToString() -match 'pg_hba.conf rejects connection for host "(\d+\.\d+\.\d+\.\d+)"' | Should -BeTrue
        $forwarded = $Matches[1]
        $forwarded | Should -Not -Be $appAddress

        $widened = Invoke-Prepare @($appAddress, $forwarded)
        $widened.Changed | Should -BeTrue
        $widened.Changes | Should -Be @('/etc/postgresql/15/main/pg_hba.conf')
        $connection = Open-Connection $password
        try {
            $command = $connection.CreateCommand()
            $command.CommandText = 'CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2); SELECT sum(n) FROM t'
            $command.ExecuteScalar() | Should -Be 3
        } finally { $connection.Dispose() }
        { Open-Connection 'wrong-password' } | Should -Throw '*password authentication failed*'
    }
}

# Deploy-DataService for a service placed by role: it finds the db server at the provider, admits
# the environment's other server (the app server) by its address, and records the endpoint apps
# use. The test reaches it as the app does, from the app server's address (an SSH tunnel through
# the app server), and is refused from this machine, which is not an app server.
Describe 'Deploy-DataService on a server by role (dsrv)' -Tag 'Podman', 'Servers', 'Data' -Skip:$podmanMissing {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestNpgsql
        $script:dataRoot = New-TestDataRoot
        $script:envName = 'dsrv-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:tunnels = [Collections.Generic.List[Diagnostics.Process]]::new()

        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script:db = New-Server -Name db -Role db -Environment $envName -Port 5432 -ErrorAction Stop
        $script:app = New-Server -Name app -Role web -Environment $envName -ErrorAction Stop
        Write-Host "dsrv: created a db server and an app server in $([math]::Round($watch.Elapsed.TotalSeconds, 1)) s"

        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $script:envFile = Join-Path $dataRoot 'env.yaml'
        Set-Content -Path $envFile -Value @"
name: $envName
servers:
  - { name: db, role: db, ports: [5432] }
  - { name: app, role: web }
data:
  - name: main
    engine: postgresql
    role: db
    users: [{ name: shop }]
    databases: [{ name: shop, owner: shop }]
"@
        $script:secrets = Join-Path $dataRoot "data/$envName/main"

        function script:Get-Address($Server) {
            $line = Invoke-TestSsh -Server $Server -Command 'ip -o -4 addr show scope global' | Select-Object -First 1
            if ("$line" -notmatch 'inet (\d+\.\d+\.\d+\.\d+)/') { throw "no IPv4 address on $($Server.Name): $line" }
            $Matches[1]
        }
        $script:dbAddress = Get-Address $db

        # A local port forwarded through the app server to host:port: connections arrive from the app server's address.
        function script:New-AppTunnel([string] $TargetHost, [int] $TargetPort) {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start(); $local = $listener.LocalEndpoint.Port; $listener.Stop()
            $info = [Diagnostics.ProcessStartInfo]::new('ssh')
            foreach ($a in @('-N', '-i', (Join-Path $env:DEVOPSTOOLS_HOME "keys/$envName/id_ed25519"), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
                    '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$(Join-Path $env:DEVOPSTOOLS_HOME 'known_hosts')", '-o', 'ExitOnForwardFailure=yes',
                    '-L', "127.0.0.1:${local}:${TargetHost}:${TargetPort}", '-p', "$($app.SshPort)", "admin@$($app.Address)")) { $info.ArgumentList.Add($a) }
            $info.RedirectStandardError = $true; $info.RedirectStandardInput = $true
            $process = [Diagnostics.Process]::Start($info)
            $tunnels.Add($process)
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ([DateTime]::UtcNow -lt $deadline) {
                if ($process.HasExited) { throw "ssh tunnel through the app server ended: $($process.StandardError.ReadToEnd())" }
                $probe = [Net.Sockets.TcpClient]::new()
                try { $probe.Connect('127.0.0.1', $local); return $local } catch { Start-Sleep -Milliseconds 200 } finally { $probe.Dispose() }
            }
            throw 'ssh tunnel through the app server did not open in 20 s'
        }

        # The service's URL file, connected to through -Port on 127.0.0.1 (a tunnel) or its own host and port.
        function script:Connect-Url([string] $Path, [string] $ViaHost, [int] $ViaPort) {
            $uri = [Uri](Get-Content -Raw $Path).Trim()
            $user, $password = $uri.UserInfo -split ':', 2
            $builder = [Npgsql.NpgsqlConnectionStringBuilder]::new()
            $builder.Host = $ViaHost; $builder.Port = $ViaPort; $builder.Username = $user; $builder.Password = $password
            $builder.Database = $uri.AbsolutePath.TrimStart('/'); $builder.Pooling = $false; $builder.Timeout = 10
            $connection = [Npgsql.NpgsqlConnection]::new($builder.ConnectionString)
            $connection.Open()
            $connection
        }
    }

    AfterAll {
        foreach ($t in $script:tunnels) { if (-not $t.HasExited) { $t.Kill() }; $t.Dispose() }
        Get-Server -Environment $script:envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        Remove-TestPodmanEnvironment -Environment $script:envName
        Remove-TestDataRoot -Path $script:dataRoot
    }

    It '-WhatIf plans the server''s setup and changes nothing: no package, no secret file' {
        $plan = Import-DevOpsEnvironment $envFile | Deploy-DataService -WhatIf
        $plan.Status | Should -Be 'Planned'
        $plan.Target | Should -Be "server $envName/db"
        $plan.Endpoint | Should -Be "${dbAddress}:5432"
        $plan.Changes | Should -Contain "packages: postgresql-15 postgresql-client-15 on $envName/db"
        $plan.Changes | Should -Contain 'create database shop owned by shop'
        Test-Path $secrets | Should -BeFalse
        (Invoke-TestSsh -Server $db -Command 'dpkg-query -W -f=''${db:Status-Abbrev}'' postgresql-15 2>/dev/null || echo none') | Should -Be 'none'
    }

    It 'sets it up on the db server, admits the app server, writes 0600 secret files and never prints a password' {
        $out = Import-DevOpsEnvironment $envFile | Deploy-DataService -Verbose 4>&1 6>&1
        $done = $out | Where-Object { $_.GetType().FullName -eq 'DevOpsTools.DataService' }
        $done.Status | Should -Be 'Created'
        $done.Server | Should -Be 'db'
        $done.Endpoint | Should -Be "${dbAddress}:5432"
        $password = (Get-Content -Raw (Join-Path $secrets 'shop.password')).Trim()
        $password.Length | Should -Be 32
        foreach ($file in 'shop.password', 'shop.url') {
            (& stat -c '%a' (Join-Path $secrets $file)) | Should -Be '600'
        }
        (Get-Content -Raw $done.UrlFile('shop')).Trim() | Should -Be "postgresql://shop:$password@${dbAddress}:5432/shop"
        ($out | Out-String) | Should -Not -Match ([regex]::Escape($password))
        ($done.Changes -join "`n") | Should -Not -Match ([regex]::Escape($password))
        $hba = Invoke-TestSsh -Server $db -Command 'sudo -n cat /etc/postgresql/15/main/pg_hba.conf'
        $hba | Should -Contain "host all all $(Get-Address $app)/32 scram-sha-256"
        # The db server's definition now records that 5432 is for the app server alone (FW-001 applies it).
        $done.Changes | Should -Contain "port 5432 open only to $(Get-Address $app) (firewall, Set-Hardening) on $envName/db"
    }

    It 'is reached from the app server''s address through the recorded endpoint and runs a query' {
        $address, $port = (Import-DevOpsEnvironment $envFile | Deploy-DataService -WhatIf).Endpoint -split ':'
        $local = New-AppTunnel $address ([int] $port)
        $connection = Connect-Url (Join-Path $secrets 'shop.url') '127.0.0.1' $local
        try {
            $command = $connection.CreateCommand()
            $command.CommandText = 'CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2); SELECT current_user || '':'' || sum(n) FROM t'
            $command.ExecuteScalar() | Should -Be 'shop:3'
        } finally { $connection.Dispose() }
    }

    It 'refuses this machine, which is not an app server (through the db server''s published port)' {
        $endpoint = $db.Endpoints | Where-Object Port -eq 5432
        { Connect-Url (Join-Path $secrets 'shop.url') $endpoint.Address $endpoint.HostPort } | Should -Throw '*pg_hba.conf rejects connection*'
    }

    It 'changes nothing on a second run and says so; -WhatIf then plans nothing' {
        $again = Import-DevOpsEnvironment $envFile | Deploy-DataService
        $again.Status | Should -Be 'Unchanged'
        $again.Changes | Should -BeNullOrEmpty
        $plan = Import-DevOpsEnvironment $envFile | Deploy-DataService -WhatIf
        $plan.Status | Should -Be 'Planned'
        $plan.Changes | Should -BeNullOrEmpty
    }

    It 'backs up over SSH (pg_dump on the server, streamed here), lists it, and a restore brings changed data back' {
        function Get-Sum { (Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -A -t -h /var/run/postgresql -p 5432 -d shop -c "SELECT sum(n) FROM t"') -join '' }
        Get-Sum | Should -Be '3'
        $backup = (Import-DevOpsEnvironment $envFile).Data | Backup-AppData -ErrorAction Stop
        $backup | Should -HaveCount 1
        $backup.Server | Should -Be 'db'
        $backup.Database | Should -Be 'shop'
        $backup.Path | Should -BeLike "$dataRoot*"
        (& stat -c '%a' $backup.Path) | Should -Be '600'
        # The custom format's magic, and the checksum over what was written here.
        [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($backup.Path), 0, 5) | Should -Be 'PGDMP'
        (Get-FileHash -Algorithm SHA256 $backup.Path).Hash.ToLowerInvariant() | Should -Be $backup.Sha256
        (Get-AppBackup $envName main).Id | Should -Be $backup.Id

        Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -q -h /var/run/postgresql -p 5432 -d shop -c "DELETE FROM t; CREATE TABLE later (x int)"' | Out-Null
        Get-Sum | Should -BeNullOrEmpty
        $restored = Get-AppBackup $envName main -Last 1 | Restore-AppData -Force -ErrorAction Stop
        $restored.Id | Should -Be $backup.Id
        Get-Sum | Should -Be '3'
        # --clean drops what the dump holds; the owner stays the app's user.
        (Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -A -t -h /var/run/postgresql -p 5432 -d shop -c "SELECT tableowner FROM pg_tables WHERE tablename = ''t''"') -join '' | Should -Be 'shop'
    }

    It 'Test-AppBackup restores the server''s backup into a throwaway local container and passes' {
        $result = Get-AppBackup $envName main -Last 1 | Test-AppBackup
        $result.Reason | Should -BeNullOrEmpty
        $result.Passed | Should -BeTrue
        $result.Tables | Should -BeGreaterOrEqual 1
        $result.Rows | Should -BeGreaterOrEqual 2
        & podman ps -a --format '{{.Names}}' --filter label=devopstools.role=data-check | Where-Object { $_ -like "*$envName*" } | Should -BeNullOrEmpty
    }

    It 'refuses a corrupted backup by its checksum and changes nothing on the server' {
        $dir = Join-Path $dataRoot 'tampered'
        $backup = (Import-DevOpsEnvironment $envFile).Data | Backup-AppData -Path $dir -ErrorAction Stop
        $bytes = [IO.File]::ReadAllBytes($backup.Path); $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xff
        [IO.File]::WriteAllBytes($backup.Path, $bytes)
        Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -q -h /var/run/postgresql -p 5432 -d shop -c "INSERT INTO t VALUES (10)"' | Out-Null
        Get-AppBackup -Path $dir | Restore-AppData -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch,*'
        "$($errs[0])" | Should -BeLike "*$($backup.Path) does not match its manifest*nothing was restored*"
        (Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -A -t -h /var/run/postgresql -p 5432 -d shop -c "SELECT sum(n) FROM t"') -join '' | Should -Be '13'
        Invoke-TestSsh -Server $db -Command 'sudo -n runuser -u postgres -- psql -X -q -h /var/run/postgresql -p 5432 -d shop -c "DELETE FROM t WHERE n = 10"' | Out-Null
    }

    It 'keeps serving the app server and drops this machine in the firewall once the db server is hardened (Baseline)' {
        $appAddress = Get-Address $app
        $report = Get-Server -Environment $envName -Name db | Set-Hardening -Force -ErrorAction Stop
        $report.Failed | Should -Be 0
        # Inbound default deny; the declared port 5432 open only to the app server's address (the
        # record Deploy-DataService made), never to every source.
        $ruleset = (Invoke-TestSsh -Server $db -Command 'sudo -n nft list ruleset') -join "`n"
        $ruleset | Should -Match 'policy drop'
        $ruleset | Should -Match ("ip saddr (\{ )?" + [regex]::Escape($appAddress) + "( \})? tcp dport 5432 accept")
        $ruleset | Should -Not -Match '(?m)^\s*tcp dport 5432 accept'

        $address, $port = (Import-DevOpsEnvironment $envFile | Deploy-DataService -WhatIf).Endpoint -split ':'
        $local = New-AppTunnel $address ([int] $port)
        $connection = Connect-Url (Join-Path $secrets 'shop.url') '127.0.0.1' $local
        try {
            $command = $connection.CreateCommand()
            $command.CommandText = 'SELECT sum(n) FROM t'
            $command.ExecuteScalar() | Should -Be 3
        } finally { $connection.Dispose() }
        # This machine (through the published port, from the network's gateway) no longer reaches
        # PostgreSQL at all: the firewall drops it before pg_hba.conf could reject it.
        $endpoint = $db.Endpoints | Where-Object Port -eq 5432
        $dropped = { Connect-Url (Join-Path $secrets 'shop.url') $endpoint.Address $endpoint.HostPort } | Should -Throw -PassThru
        $dropped.Exception.ToString() | Should -Not -Match 'pg_hba.conf'

        $after = Import-DevOpsEnvironment $envFile | Deploy-DataService
        $after.Status | Should -Be 'Unchanged'
        (Get-Server -Environment $envName -Name db | Test-Hardening -Rule FW-001).Rules.Status | Should -Be 'Compliant'
    }

    It 'reports drift when the firewall rule is loosened by hand, and Set-Hardening closes it again' {
        Invoke-TestSsh -Server $db -Command 'sudo -n nft add rule inet devopstools input tcp dport 5432 accept' | Out-Null
        $drift = (Get-Server -Environment $envName -Name db | Test-Hardening -Rule FW-001).Rules
        $drift.Status | Should -Be 'NonCompliant'
        $drift.Detail | Should -Match 'port 5432 open to every source'
        (Get-Server -Environment $envName -Name db | Set-Hardening -Rule FW-001 -Force -ErrorAction Stop).Failed | Should -Be 0
        $ruleset = (Invoke-TestSsh -Server $db -Command 'sudo -n nft list ruleset') -join "`n"
        $ruleset | Should -Not -Match '(?m)^\s*tcp dport 5432 accept'
        (Get-Server -Environment $envName -Name db | Test-Hardening -Rule FW-001).Rules.Status | Should -Be 'Compliant'
    }
}
