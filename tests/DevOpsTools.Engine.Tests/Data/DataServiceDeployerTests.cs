using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>The deploy logic against a fake host: what it changes, what a plan leaves alone, and the refusals.</summary>
public sealed class DataServiceDeployerTests : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-data-xunit", create: false);

    private string _root => _scratch.Path;
    private readonly FakeHost _host = new();

    public void Dispose()
    {
        _scratch.Dispose();
    }

    private static DataServiceDefinition Service(string extra = "container: true\n    port: 15432\n") =>
        Assert.Single(Assert.Single(EnvironmentLoader.Load("t.yaml",
            "name: test\nservers:\n  - { name: db, role: db }\ndata:\n  - name: main\n    engine: postgresql\n    storage: 1Gi\n    users: [{ name: shop }]\n    databases: [{ name: shop, owner: shop }]\n    " + extra)).Data);

    private Task<DataService> Run(DataServiceDefinition service, bool apply) =>
        new DataServiceDeployer(_host, new ModuleData(_root)).DeployAsync(service, apply, EngineContext.Silent());

    [Fact]
    public async Task A_plan_lists_every_step_and_calls_nothing_that_changes()
    {
        var plan = await Run(Service(), apply: false);

        Assert.Equal(DataServiceStatus.Planned, plan.Status);
        Assert.Contains(plan.Changes, c => c.StartsWith("build image localhost/devopstools/postgresql:15-", StringComparison.Ordinal));
        Assert.Contains("create volume devopstools-data-test-main (1Gi)", plan.Changes);
        Assert.Contains("start container devopstools-data-test-main on 127.0.0.1:15432", plan.Changes);
        Assert.Contains("create database shop owned by shop", plan.Changes);
        Assert.Empty(_host.Mutations);
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public async Task A_first_run_creates_and_a_second_one_changes_nothing()
    {
        var first = await Run(Service(), apply: true);
        Assert.Equal(DataServiceStatus.Created, first.Status);
        Assert.Equal(["build", "volume", "run", "psql ensure-role.sql", "psql ensure-database.sql"], _host.Mutations);
        var secret = Path.Combine(_root, "data", "test", "main", "shop.password");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        }

        var password = File.ReadAllText(secret).Trim();
        Assert.Equal(32, password.Length);
        Assert.Equal($"postgresql://shop:{password}@127.0.0.1:15432/shop", File.ReadAllText(first.UrlFile("shop")).Trim());
        Assert.DoesNotContain(first.Changes, c => c.Contains(password, StringComparison.Ordinal));

        _host.Mutations.Clear();
        var second = await Run(Service(), apply: true);
        Assert.Equal(DataServiceStatus.Unchanged, second.Status);
        Assert.Empty(second.Changes);
        Assert.Equal(["psql ensure-database.sql"], _host.Mutations); // it looks, and answers unchanged
    }

    [Fact]
    public async Task An_app_spec_gets_the_connection_string_by_reference_to_the_url_file()
    {
        var service = await Run(Service(), apply: true);
        var secret = new SecretReference { Name = "DATABASE_URL", FromFile = service.UrlFile("shop") };

        var value = new Engine.Deploy.Spec.SecretResolver(_ => null).Resolve(secret);

        Assert.Equal($"postgresql://shop:{_host.LastPassword}@127.0.0.1:15432/shop", value.Reveal());
        Assert.Equal("DATABASE_URL=<redacted>", value.ToString());
    }

    [Fact]
    public async Task A_new_port_recreates_the_container_and_rewrites_the_url_on_the_same_volume()
    {
        await Run(Service(), apply: true);
        _host.Mutations.Clear();
        var moved = await Run(Service("container: true\n    port: 15433\n"), apply: true);

        Assert.Equal(DataServiceStatus.Updated, moved.Status);
        Assert.Contains(moved.Changes, c => c.StartsWith("re-create container devopstools-data-test-main", StringComparison.Ordinal));
        Assert.Contains(moved.Changes, c => c.EndsWith("shop.url", StringComparison.Ordinal));
        Assert.DoesNotContain("volume", _host.Mutations);
        Assert.EndsWith(":15433/shop", File.ReadAllText(moved.UrlFile("shop")).Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_on_a_role_is_not_this_hosts_and_asks_it_nothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Run(Service("role: db\n"), apply: true));
        Assert.Empty(_host.Calls);
    }

    [Fact]
    public async Task Too_little_free_space_is_refused_naming_the_storage_field()
    {
        _host.FreeBytes = 100L << 20;
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run(Service(), apply: true));
        Assert.Equal(ErrorIds.DataStorageUnavailable, error.ErrorId);
        Assert.Contains("storage: data service 'main' asks for 1Gi", error.Message, StringComparison.Ordinal);
        Assert.Contains("100 MiB free", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("volume", _host.Mutations);
    }

    [Fact]
    public async Task A_failing_psql_step_names_the_script_without_the_password()
    {
        _host.FailRole = true;
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Run(Service(), apply: true));
        Assert.Equal(ErrorIds.DataServiceFailed, error.ErrorId);
        Assert.Contains("ensure-role.sql failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.LastPassword!, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A host that remembers what exists; psql logins succeed with the last password set.</summary>
    private sealed class FakeHost : IDataServiceHost
    {
        private readonly HashSet<string> _images = [];
        private readonly HashSet<string> _volumes = [];
        private readonly Dictionary<string, DataContainerState> _containers = [];
        private readonly HashSet<string> _databases = [];

        public List<string> Mutations { get; } = [];

        public List<string> Calls { get; } = [];

        public long? FreeBytes { get; set; } = 1L << 40;

        public bool FailRole { get; set; }

        public string? LastPassword { get; private set; }

        public string Label => "this machine";

        public string Address => "127.0.0.1";

        public Task<string> BaseImageAsync(bool build, EngineContext context) => Task.FromResult("localhost/devopstools/debian12:test");

        public Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken) => Call(_images.Contains(image));

        public Task BuildImageAsync(string image, string baseImage, IReadOnlyDictionary<string, string> files, EngineContext context)
        {
            Assert.Contains("Containerfile", files.Keys);
            Mutations.Add("build");
            _images.Add(image);
            return Task.CompletedTask;
        }

        public Task<bool> VolumeExistsAsync(string volume, CancellationToken cancellationToken) => Call(_volumes.Contains(volume));

        public Task CreateVolumeAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
        {
            Assert.Equal("test", labels["devopstools.environment"]);
            Mutations.Add("volume");
            _volumes.Add(volume);
            return Task.CompletedTask;
        }

        public Task<long?> FreeVolumeBytesAsync(CancellationToken cancellationToken) => Call(FreeBytes);

        public Task<DataContainerState?> InspectContainerAsync(string name, CancellationToken cancellationToken) => Call(_containers.GetValueOrDefault(name));

        public Task RunContainerAsync(DataContainerSpec spec, CancellationToken cancellationToken)
        {
            Mutations.Add("run");
            _containers[spec.Name] = new DataContainerState(true, spec.Labels["devopstools.config"]);
            return Task.CompletedTask;
        }

        public Task RemoveContainerAsync(string name, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> secretEnvironment, string? stdin, CancellationToken cancellationToken)
        {
            Calls.Add("exec");
            Assert.DoesNotContain(command, a => secretEnvironment.Values.Any(v => a.Contains(v, StringComparison.Ordinal)));
            if (command[0] == "pg_isready")
            {
                return Result(0, string.Empty);
            }

            if (secretEnvironment.TryGetValue("PGPASSWORD", out var login))
            {
                return Result(login == LastPassword ? 0 : 2, "1");
            }

            if (stdin?.Contains("CREATE ROLE", StringComparison.Ordinal) == true)
            {
                Mutations.Add("psql ensure-role.sql");
                var password = secretEnvironment["DOT_PW"];
                if (FailRole)
                {
                    LastPassword = password;
                    return Result(3, string.Empty, $"ERROR: something near '{password}'");
                }

                var existed = LastPassword is not null;
                LastPassword = password;
                return Result(0, existed ? "updated" : "created");
            }

            if (stdin?.Contains("CREATE DATABASE", StringComparison.Ordinal) == true)
            {
                Mutations.Add("psql ensure-database.sql");
                var db = command.First(a => a.StartsWith("db=", StringComparison.Ordinal))[3..];
                return Result(0, _databases.Add(db) ? "created" : "unchanged");
            }

            return Result(0, string.Empty);
        }

        public Task<string> LogsAsync(string container, int tail, CancellationToken cancellationToken) => Task.FromResult(string.Empty);

        public Task<ProcessResult> ExecToStreamAsync(string container, IReadOnlyList<string> command, Stream output, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProcessResult> ExecFromStreamAsync(string container, IReadOnlyList<string> command, Stream input, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveVolumeAsync(string volume, CancellationToken cancellationToken) => throw new NotSupportedException();

        public int FindFreePort() => throw new NotSupportedException();

        public bool IsPortFree(int port) => true;

        private Task<T> Call<T>(T value)
        {
            Calls.Add("look");
            return Task.FromResult(value);
        }

        private static Task<ProcessResult> Result(int code, string stdout, string stderr = "") =>
            Task.FromResult(new ProcessResult(code, stdout, stderr, TimeSpan.Zero));
    }
}
