using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>Retention selection, manifests, and what an interrupted or tampered backup leaves.</summary>
public sealed class BackupTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-data-xunit", create: false);

    private string _root => _scratch.Path;

    public void Dispose()
    {
        _scratch.Dispose();
    }

    private static AppBackup Backup(string id, TimeSpan age, string sha = "") => new()
    {
        Id = id, Environment = "test", Service = "main", Database = "shop", Engine = "PostgreSQL", Version = "15",
        Format = "pg_dump custom", CreatedAt = Now - age, SizeBytes = 10, Sha256 = sha.Length == 64 ? sha : new string('a', 64), Duration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void Keep_removes_all_but_the_newest_n()
    {
        var backups = Enumerable.Range(0, 5).Select(i => Backup($"b{i}", TimeSpan.FromDays(i))).ToList();
        Assert.Equal(["b3", "b4"], BackupRetention.ToRemove(backups, keep: 3, maxAge: null, Now).Select(b => b.Id));
    }

    [Fact]
    public void Max_age_removes_older_ones_and_both_rules_add_up()
    {
        var backups = Enumerable.Range(0, 5).Select(i => Backup($"b{i}", TimeSpan.FromDays(i * 10))).ToList();
        Assert.Equal(["b2", "b3", "b4"], BackupRetention.ToRemove(backups, null, TimeSpan.FromDays(15), Now).Select(b => b.Id));
        Assert.Equal(["b1", "b2", "b3", "b4"], BackupRetention.ToRemove(backups, 1, TimeSpan.FromDays(100), Now).Select(b => b.Id));
    }

    [Fact]
    public void The_newest_backup_stays_even_when_it_is_too_old()
    {
        var backups = new[] { Backup("old", TimeSpan.FromDays(400)), Backup("older", TimeSpan.FromDays(500)) };
        Assert.Equal(["older"], BackupRetention.ToRemove(backups, 1, TimeSpan.FromDays(1), Now).Select(b => b.Id));
    }

    [Fact]
    public void A_manifest_round_trips_and_a_broken_one_is_no_backup()
    {
        var json = Backup("shop-1", TimeSpan.FromHours(1)).ToJson();
        var back = AppBackup.FromJson(json)!;
        Assert.Equal("shop-1", back.Id);
        Assert.Equal(Now - TimeSpan.FromHours(1), back.CreatedAt);
        Assert.Contains("\"sha256\"", json, StringComparison.Ordinal);
        Assert.Null(AppBackup.FromJson("{\"id\": \"x\""));
        Assert.Null(AppBackup.FromJson("{\"id\": \"x\", \"sha256\": \"short\"}"));
    }

    [Fact]
    public async Task An_interrupted_dump_leaves_no_file_and_is_not_listed()
    {
        var host = new DumpingHost { FailMidway = true };
        var service = Assert.Single(Assert.Single(EnvironmentLoader.Load("t.yaml",
            "name: test\ndata:\n  - { name: main, engine: postgresql, container: true, users: [{ name: shop }], databases: [{ name: shop, owner: shop }] }\n")).Data);
        var dir = Path.Combine(_root, "b");
        await Assert.ThrowsAsync<OperationCanceledException>(() => new DataBackups(host, new ModuleData(_root)).BackupAsync(service, null, dir, null, EngineContext.Silent()));
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
        Assert.Empty(BackupFiles.List(dir));

        host.FailMidway = false;
        var made = Assert.Single(await new DataBackups(host, new ModuleData(_root)).BackupAsync(service, null, dir, null, EngineContext.Silent()));
        Assert.Equal(await BackupFiles.Sha256Async(made.Path, CancellationToken.None), made.Sha256);
        Assert.Equal(3000, made.SizeBytes);
        Assert.Equal("localhost/devopstools/postgresql:15-test", made.Image);
        Assert.Equal(made.Id, Assert.Single(BackupFiles.List(dir)).Id);

        File.WriteAllBytes(made.Path, new byte[3000]);
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => new DataBackups(host, new ModuleData(_root)).RestoreAsync(made, EngineContext.Silent()));
        Assert.Equal(ErrorIds.BackupChecksumMismatch, error.ErrorId);
        Assert.Contains(made.Path, error.Message, StringComparison.Ordinal);
        Assert.False(host.Restored);
    }

    /// <summary>Writes 3000 bytes of dump, or 1000 and then the cancellation a Ctrl+C gives.</summary>
    private sealed class DumpingHost : IDataServiceHost
    {
        public bool FailMidway { get; set; }

        public bool Restored { get; private set; }

        public string Label => "this machine";

        public string Address => "127.0.0.1";

        public async Task<ProcessResult> ExecToStreamAsync(string container, IReadOnlyList<string> command, Stream output, CancellationToken cancellationToken)
        {
            Assert.Equal(["pg_dump", "-Fc", "-h", "/run/postgresql", "-d", "shop"], command);
            await output.WriteAsync(new byte[1000].Select((_, i) => (byte)i).ToArray(), cancellationToken);
            if (FailMidway)
            {
                throw new OperationCanceledException();
            }

            await output.WriteAsync(new byte[2000], cancellationToken);
            return new ProcessResult(0, string.Empty, string.Empty, TimeSpan.Zero);
        }

        public Task<ProcessResult> ExecFromStreamAsync(string container, IReadOnlyList<string> command, Stream input, CancellationToken cancellationToken)
        {
            Restored = true;
            return Task.FromResult(new ProcessResult(0, string.Empty, string.Empty, TimeSpan.Zero));
        }

        public Task<DataContainerState?> InspectContainerAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult<DataContainerState?>(new DataContainerState(true, "h", "localhost/devopstools/postgresql:15-test"));

        public Task<string> BaseImageAsync(bool build, EngineContext context) => throw new NotSupportedException();

        public Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task BuildImageAsync(string image, string baseImage, IReadOnlyDictionary<string, string> files, EngineContext context) => throw new NotSupportedException();

        public Task<bool> VolumeExistsAsync(string volume, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CreateVolumeAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long?> FreeVolumeBytesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RunContainerAsync(DataContainerSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveVolumeAsync(string volume, CancellationToken cancellationToken) => throw new NotSupportedException();

        public int FindFreePort() => throw new NotSupportedException();

        public Task RemoveContainerAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> secretEnvironment, string? stdin, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> LogsAsync(string container, int tail, CancellationToken cancellationToken) => throw new NotSupportedException();

        public bool IsPortFree(int port) => throw new NotSupportedException();
    }
}
