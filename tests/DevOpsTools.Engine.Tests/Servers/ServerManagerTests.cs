using System.Collections.Concurrent;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Servers;

public class ServerManagerTests : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-mgr", create: false);

    private string _root => _scratch.Path;
    private readonly FakeProvider _provider = new();
    private readonly RecordingSink _output = new();

    private EngineContext Context(Action<Server>? emit, CancellationToken cancellationToken) =>
        new(_output, cancellationToken, value => emit?.Invoke((Server)value!));

    private ServerManager Manager => new(new ModuleData(_root), null, _ => _provider);

    private static NewServerRequest Request(string name, string environment = "test", string size = "small") =>
        new("Fake", new ServerCreateRequest(name, environment, size, null, "web", new Dictionary<string, string>()));

    [Theory]
    [InlineData("Web_1", "test", "small", ErrorIds.InvalidServerName)]
    [InlineData("-web", "test", "small", ErrorIds.InvalidServerName)]
    [InlineData("web-1", "Test", "small", ErrorIds.InvalidParameter)]
    [InlineData("web-1", "test", "huge", ErrorIds.UnknownSize)]
    public async Task Invalid_input_is_an_error_and_nothing_is_created(string name, string environment, string size, string errorId)
    {
        var emitted = new List<Server>();
        await Manager.CreateAsync([Request(name, environment, size)], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));

        Assert.Empty(emitted);
        var error = Assert.Single(_output.Errors);
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(0, _provider.CreateCalls);
        Assert.False(Directory.Exists(Path.Combine(_root, "keys", environment)));
    }

    [Fact]
    public void Unknown_provider_names_the_known_ones()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => ServerProviderRegistry.Create("Nimbus", new ProviderOptions()));
        Assert.Equal(ErrorIds.UnknownProvider, error.ErrorId);
        Assert.Contains("Podman", error.Message, StringComparison.Ordinal);
        Assert.Contains("Podman", ServerProviderRegistry.Names);
        Assert.Equal("Podman", ServerProviderRegistry.Canonical("podman"));
    }

    [Fact]
    public async Task Creates_concurrently_within_the_throttle_limit_and_records_host_keys()
    {
        _provider.CreateDelay = TimeSpan.FromMilliseconds(100);
        var emitted = new ConcurrentBag<Server>();
        var requests = Enumerable.Range(1, 6).Select(i => Request($"web-{i}")).ToList();

        await Manager.CreateAsync(requests, new CreateOptions { SkipSshWait = true, ThrottleLimit = 2 }, Context(emitted.Add, CancellationToken.None));

        Assert.Empty(_output.Errors);
        Assert.Equal(6, emitted.Count);
        Assert.Equal(2, _provider.MaxConcurrentCreates);
        Assert.Equal(1, _provider.PrepareCalls);
        var known = new KnownHostsStore(new ModuleData(_root));
        foreach (var server in emitted)
        {
            Assert.Single(known.Get(server.Address!, server.SshPort));
            Assert.StartsWith("SHA256:", server.HostKeyFingerprint, StringComparison.Ordinal);
        }

        Assert.Contains(_output.Progress, p => p.Completed);
        Assert.All(_output.Progress, p => Assert.Equal(1, p.ActivityId));
    }

    [Fact]
    public async Task An_existing_server_is_returned_as_it_is()
    {
        _provider.Servers.Add(_provider.Make("web-1", "test", 41000));
        var emitted = new List<Server>();

        await Manager.CreateAsync([Request("web-1"), Request("web-2")], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));

        Assert.Equal(1, _provider.CreateCalls);
        Assert.Contains(emitted, s => s.Name == "web-1" && s.SshPort == 41000);
        Assert.Contains(emitted, s => s.Name == "web-2");
    }

    [Fact]
    public async Task Asking_for_a_container_host_by_the_name_of_an_existing_ordinary_server_warns_that_it_must_be_re_created()
    {
        _provider.Servers.Add(_provider.Make("web-1", "test", 41000));
        var emitted = new List<Server>();
        var request = Request("web-1");

        await Manager.CreateAsync([request with { Request = request.Request with { ContainerHost = true } }], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));

        Assert.Equal(0, _provider.CreateCalls);
        Assert.False(Assert.Single(emitted).ContainerHost);
        Assert.Contains(_output.Warnings, w => w.Contains("test/web-1", StringComparison.Ordinal) && w.Contains("not created as a container host", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_after_creation_removes_the_server_and_the_environment_it_set_up()
    {
        _provider.FailHostKey = true;
        var emitted = new List<Server>();

        await Manager.CreateAsync([Request("web-1")], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));

        Assert.Empty(emitted);
        var error = Assert.Single(_output.Errors);
        Assert.Equal(ErrorIds.ServerCreateFailed, error.ErrorId);
        Assert.Contains("test/web-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("reading the SSH host key", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _provider.RemoveCalls);
        Assert.Empty(_provider.Servers);
        Assert.Equal(1, _provider.EnvironmentRemovals);
        Assert.False(Directory.Exists(Path.Combine(_root, "keys", "test")));
        Assert.Contains(_output.Warnings, w => w.Contains("Removed server test/web-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_removes_what_was_created_and_says_so()
    {
        _provider.HostKeyDelay = TimeSpan.FromSeconds(30);
        using var cancel = new CancellationTokenSource();
        var run = Manager.CreateAsync([Request("web-1")], new CreateOptions { SkipSshWait = true }, Context(null, cancel.Token));
        while (_provider.Servers.Count == 0)
        {
            await Task.Delay(10);
        }

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Empty(_provider.Servers);
        Assert.Contains(_output.Warnings, w => w.Contains("cancelled; removed", StringComparison.Ordinal));
        Assert.Empty(_output.Errors);
        Assert.Equal(1, _provider.EnvironmentRemovals);
    }

    [Fact]
    public async Task Removing_the_last_server_removes_environment_resources_key_and_known_hosts()
    {
        var manager = Manager;
        var emitted = new List<Server>();
        await manager.CreateAsync([Request("web-1"), Request("web-2")], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));
        Assert.True(Directory.Exists(Path.Combine(_root, "keys", "test")));

        await manager.RemoveAsync([emitted[0]], 10, false, Context(null, CancellationToken.None));
        Assert.Equal(0, _provider.EnvironmentRemovals);
        Assert.True(Directory.Exists(Path.Combine(_root, "keys", "test")));

        await manager.RemoveAsync([emitted[1]], 10, false, Context(null, CancellationToken.None));
        Assert.Equal(1, _provider.EnvironmentRemovals);
        Assert.False(Directory.Exists(Path.Combine(_root, "keys", "test")));
        Assert.DoesNotContain("devopstools:test/", File.ReadAllText(Path.Combine(_root, "known_hosts")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_a_server_forgets_its_allowed_sources_and_last_hardening_report_only()
    {
        var manager = Manager;
        var emitted = new List<Server>();
        await manager.CreateAsync([Request("web-1"), Request("db-1")], new CreateOptions { SkipSshWait = true }, Context(emitted.Add, CancellationToken.None));
        var data = new ModuleData(_root);
        var sources = new PortSources(data);
        var reports = new DevOpsTools.Engine.Hardening.HardeningReportStore(data);
        foreach (var server in emitted)
        {
            Assert.True(sources.Record("test", server.Name, 5432, ["10.0.0.5"], apply: true));
            reports.Save([new DevOpsTools.HardeningReport { Server = server, Profile = "Baseline", Mode = "Test" }]);
        }

        var db = emitted.Single(s => s.Name == "db-1");
        await manager.RemoveAsync([db], 10, false, Context(null, CancellationToken.None));

        Assert.Empty(sources.Read("test", "db-1"));
        Assert.Equal(["web-1"], reports.Load("test").Select(r => r.Server));
        Assert.Equal(["10.0.0.5"], sources.Read("test", "web-1")[5432]);
    }

    public void Dispose()
    {
        _scratch.Dispose();
    }

    private sealed class FakeProvider : IServerProvider
    {
        private int _concurrent;
        private int _port = 42000;

        public ConcurrentDictionary<string, Server> ServerMap { get; } = new();

        public ICollection<Server> Servers => new ServerCollection(ServerMap);

        public int CreateCalls;
        public int RemoveCalls;
        public int PrepareCalls;
        public int EnvironmentRemovals;
        public int MaxConcurrentCreates;
        public TimeSpan CreateDelay = TimeSpan.Zero;
        public TimeSpan HostKeyDelay = TimeSpan.Zero;
        public bool FailHostKey;

        public string Name => "Fake";

        public Server Make(string name, string environment, int port) => new()
        {
            Name = name,
            Environment = environment,
            Provider = Name,
            Id = "id-" + name,
            State = "Running",
            Address = "127.0.0.1",
            SshPort = port,
        };

        public Task EnsureAvailableAsync(EngineContext context) => Task.CompletedTask;

        public Task PrepareEnvironmentAsync(EnvironmentContext environment, EngineContext context)
        {
            var output = context.Output;
            var cancellationToken = context.CancellationToken;
            Interlocked.Increment(ref PrepareCalls);
            return Task.CompletedTask;
        }

        public async Task<Server> CreateAsync(ServerCreateRequest request, EnvironmentContext environment, EngineContext context)
        {
            var output = context.Output;
            var cancellationToken = context.CancellationToken;
            Interlocked.Increment(ref CreateCalls);
            var now = Interlocked.Increment(ref _concurrent);
            lock (this)
            {
                MaxConcurrentCreates = Math.Max(MaxConcurrentCreates, now);
            }

            try
            {
                await Task.Delay(CreateDelay, cancellationToken);
                var server = Make(request.Name, request.Environment, Interlocked.Increment(ref _port));
                ServerMap[request.Name] = server;
                return server;
            }
            finally
            {
                Interlocked.Decrement(ref _concurrent);
            }
        }

        public async Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, EngineContext context)
        {
            var cancellationToken = context.CancellationToken;
            await Task.Delay(HostKeyDelay, cancellationToken);
            if (FailHostKey)
            {
                throw new InvalidOperationException("no key");
            }

            return OpenSshKeys.GenerateEd25519("host").PublicKeyLine;
        }

        public Task<IReadOnlyList<Server>> ListAsync(string? environment, EngineContext context) =>
            Task.FromResult<IReadOnlyList<Server>>(ServerMap.Values.Where(s => environment is null || s.Environment == environment).ToList());

        public Task RemoveAsync(Server server, EngineContext context)
        {
            var output = context.Output;
            var cancellationToken = context.CancellationToken;
            Interlocked.Increment(ref RemoveCalls);
            ServerMap.TryRemove(server.Name, out _);
            return Task.CompletedTask;
        }

        public Task RemoveEnvironmentResourcesAsync(EnvironmentContext environment, EngineContext context)
        {
            var output = context.Output;
            var cancellationToken = context.CancellationToken;
            Interlocked.Increment(ref EnvironmentRemovals);
            return Task.CompletedTask;
        }

        private sealed class ServerCollection(ConcurrentDictionary<string, Server> map) : ICollection<Server>
        {
            public int Count => map.Count;

            public bool IsReadOnly => false;

            public void Add(Server item) => map[item.Name] = item;

            public void Clear() => map.Clear();

            public bool Contains(Server item) => map.ContainsKey(item.Name);

            public void CopyTo(Server[] array, int arrayIndex) => map.Values.CopyTo(array, arrayIndex);

            public bool Remove(Server item) => map.TryRemove(item.Name, out _);

            public IEnumerator<Server> GetEnumerator() => map.Values.GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
