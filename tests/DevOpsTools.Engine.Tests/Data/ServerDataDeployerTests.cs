using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>ServerDataDeployer against shells that answer like postgresql-server.sh: placement, errors, secrets, idempotence.</summary>
public sealed class ServerDataDeployerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dot-dsrv-xunit-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Shells _shells = new();

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static DataServiceDefinition Service() =>
        Assert.Single(Assert.Single(EnvironmentLoader.Load("t.yaml",
            "name: test\nservers:\n  - { name: db, role: db }\ndata:\n  - name: main\n    engine: postgresql\n    role: db\n    users: [{ name: shop }]\n    databases: [{ name: shop, owner: shop }]\n")).Data);

    private static Server NewServer(string name, string? role, string state = "Running") =>
        new() { Name = name, Environment = "test", Provider = "Podman", Address = "127.0.0.1", Role = role, State = state };

    private Task<DataService> Run(IReadOnlyList<Server> servers, bool apply = true) =>
        new ServerDataDeployer(new ModuleData(_root), _shells).DeployAsync(Service(), servers, apply, EngineContext.Silent());

    [Fact]
    public async Task No_server_with_the_role_is_ServerNotFound_naming_file_line_and_role()
    {
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run([NewServer("web", "web")]));

        Assert.Equal(ErrorIds.ServerNotFound, error.ErrorId);
        Assert.StartsWith("t.yaml:5:5: $.data[0]: role: data service 'main' runs on the server with role 'db', but environment 'test' has no such server (its servers are web (role web))", error.Message, StringComparison.Ordinal);
        Assert.Empty(_shells.Scripts);
    }

    [Fact]
    public async Task Two_servers_with_the_role_are_refused()
    {
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run([NewServer("db-1", "db"), NewServer("db-2", "db")]));

        Assert.Equal(ErrorIds.DataPlacementNotSupported, error.ErrorId);
        Assert.Contains("has 2 (db-1, db-2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_or_unreachable_server_is_SshConnectionFailed_naming_service_and_server()
    {
        var stopped = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run([NewServer("db", "db", "Stopped")]));
        Assert.Equal(ErrorIds.SshConnectionFailed, stopped.ErrorId);
        Assert.Contains("'test/main' needs server test/db (role db), which cannot be reached over SSH: it is Stopped", stopped.Message, StringComparison.Ordinal);

        _shells.Refuse = true;
        var refused = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run([NewServer("db", "db")]));
        Assert.Equal(ErrorIds.SshConnectionFailed, refused.ErrorId);
        Assert.Contains("connection refused", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public async Task It_admits_the_app_servers_writes_the_secrets_and_a_second_run_changes_nothing()
    {
        Server[] servers = [NewServer("db", "db"), NewServer("app", "web")];
        var first = await Run(servers);

        Assert.Equal(DataServiceStatus.Created, first.Status);
        Assert.Equal("10.89.0.5:5432", first.Endpoint);
        Assert.Equal("db", first.Server);
        var prepare = Assert.Single(_shells.Scripts, s => s.StartsWith("DS_ACTION='prepare'", StringComparison.Ordinal));
        Assert.Contains("host all all 10.89.0.7/32 scram-sha-256", prepare, StringComparison.Ordinal);
        var password = File.ReadAllText(Path.Combine(_root, "data", "test", "main", "shop.password")).Trim();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.UrlFile("shop")));
        }

        Assert.Equal($"postgresql://shop:{password}@10.89.0.5:5432/shop", File.ReadAllText(first.UrlFile("shop")).Trim());
        Assert.DoesNotContain(first.Changes, c => c.Contains(password, StringComparison.Ordinal));
        Assert.Contains("create user shop", first.Changes);
        Assert.Contains("create database shop owned by shop", first.Changes);
        // The db server's definition now says its port is for the app server only (FW-001 applies it).
        Assert.Contains("port 5432 open only to 10.89.0.7 (firewall, Set-Hardening) on test/db", first.Changes);
        var recorded = new DevOpsTools.Engine.Servers.PortSources(new ModuleData(_root)).Read("test", "db");
        Assert.Equal(["10.89.0.7"], recorded[5432]);

        _shells.Prepared = true;
        var second = await Run(servers);
        Assert.Equal(DataServiceStatus.Unchanged, second.Status);
        Assert.Empty(second.Changes);

        _shells.Scripts.Clear();
        var plan = await Run(servers, apply: false);
        Assert.Equal(DataServiceStatus.Planned, plan.Status);
        Assert.Empty(plan.Changes);
        Assert.DoesNotContain(_shells.Scripts, s => s.StartsWith("DS_ACTION='prepare'", StringComparison.Ordinal) || s.Contains("DS_SQL='-- Creates", StringComparison.Ordinal));
    }

    /// <summary>One shell per server, answering by DS_ACTION as the script would; "prepared" after the first prepare.</summary>
    private sealed class Shells : IRemoteShellFactory
    {
        public List<string> Scripts { get; } = [];

        public bool Refuse { get; set; }

        public bool Prepared { get; set; }

        public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken) => Task.FromResult<IRemoteShell>(new Shell(this, server));

        private sealed class Shell(Shells owner, Server server) : IRemoteShell
        {
            public Server Server => server;

            public Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, CancellationToken cancellationToken)
            {
                if (owner.Refuse)
                {
                    throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, "connection refused", server);
                }

                owner.Scripts.Add(script);
                var action = script[..script.IndexOf(';', StringComparison.Ordinal)];
                return Task.FromResult(action switch
                {
                    "DS_ACTION='addresses'" => Ok($"2: eth0    inet 10.89.0.{(server.Name == "db" ? 5 : 7)}/24 brd 10.89.0.255 scope global eth0\n"),
                    "DS_ACTION='prepare'" or "DS_ACTION='plan'" => Ok(owner.Prepared ? "result unchanged\n" : "changed cluster 15/main in /var/lib/postgresql/15/main\nresult changed\n"),
                    "DS_ACTION='login'" => new RemoteResult(owner.Prepared ? 0 : 1, string.Empty, string.Empty, TimeSpan.Zero),
                    _ when script.Contains("DS_SQL='SELECT pg_catalog.pg_get_userbyid", StringComparison.Ordinal) => Ok(owner.Prepared ? "shop\n" : string.Empty),
                    _ => Ok(owner.Prepared ? "unchanged\n" : "created\n"),
                });
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;

            private static RemoteResult Ok(string stdout) => new(0, stdout, string.Empty, TimeSpan.Zero);
        }
    }
}
