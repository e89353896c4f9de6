using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Data.Backups.S3;
using DevOpsTools.Engine.Tests.Servers.Aws;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>S3 locations as -Path and backup.destination take them.</summary>
public sealed class S3LocationTests
{
    [Theory]
    [InlineData("s3://team-backups", "team-backups", "")]
    [InlineData("s3://team-backups/", "team-backups", "")]
    [InlineData("s3://team.backups-1/devopstools/prod/", "team.backups-1", "devopstools/prod")]
    public void A_valid_location_splits_into_bucket_and_prefix(string text, string bucket, string prefix)
    {
        var location = S3Location.Parse(text, "-Path");
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal($"{(prefix.Length > 0 ? prefix + "/" : string.Empty)}test/main/", location.ServicePrefix("test", "main"));
    }

    [Theory]
    [InlineData("/srv/backups", "is not an S3 location")]
    [InlineData("s3://Team_Backups", "not a valid S3 bucket name")]
    [InlineData("s3://ab", "not a valid S3 bucket name")]
    [InlineData("s3://a..b", "not a valid S3 bucket name")]
    [InlineData("s3://bucket/../etc", "no . or .. segments")]
    [InlineData("s3://bucket/a//b", "between single slashes")]
    [InlineData("s3://bucket/a b", "between single slashes")]
    public void A_malformed_location_is_InvalidParameter_naming_it(string text, string expected)
    {
        var error = Assert.Throws<DevOpsToolsException>(() => S3Location.Parse(text, "-Path"));
        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Contains($"-Path '{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_restore_command_after_a_failed_migration_names_the_bucket_and_endpoint()
    {
        var service = new DevOpsTools.DataServiceDefinition { Name = "main", Environment = "test" };
        var guard = new MigrationBackup(service, new DataBackups(null!, new ModuleData(Path.GetTempPath())));
        var backup = new AppBackup
        {
            Id = "shop-1", Environment = "test", Service = "main", Database = "shop", Engine = "PostgreSQL", Version = "15", Format = "pg_dump custom",
            CreatedAt = DateTimeOffset.UnixEpoch, SizeBytes = 1, Sha256 = new string('a', 64), Duration = TimeSpan.Zero,
            Path = "s3://team-backups/p/test/main/shop-1.dump", Store = "s3://team-backups/p", EndpointUrl = "http://127.0.0.1:9000",
        };
        Assert.Equal("Restore-AppData -Id shop-1 -Environment test -Service main -Path 's3://team-backups/p' -S3EndpointUrl 'http://127.0.0.1:9000' -Force", guard.RestoreCommand(backup));
        backup.Path = "/var/backups/shop-1.dump";
        backup.Store = null;
        backup.EndpointUrl = null;
        Assert.Equal("Restore-AppData -Id shop-1 -Environment test -Service main -Force", guard.RestoreCommand(backup));
    }

    [Fact]
    public void Redaction_removes_the_access_key_and_secret()
    {
        var credentials = new Amazon.Runtime.ImmutableCredentials("AKIDTESTKEY0001", "secret-value-0123456789", null);
        Assert.Equal("key *** and ***", S3Errors.Redact("key AKIDTESTKEY0001 and secret-value-0123456789", credentials));
    }
}

/// <summary>
/// The S3 store against a real S3-compatible server: s3rver 3.7.1 (tests/S3Server/get-s3rver.sh
/// installs it from npm) on a free 127.0.0.1 port, driven through AWSSDK.S3; HttpClient, a second
/// client, reads the bucket. AWS_* variables are set for s3rver's account and restored after.
/// </summary>
[Collection(AwsEnvironmentCollection.Name)]
public sealed class S3BackupStoreTests : IAsyncLifetime
{
    private static readonly string[] Variables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"];
    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dts3-store");
    private readonly HttpClient _http = new();
    private Process? _server;
    private string _endpoint = string.Empty;

    public async Task InitializeAsync()
    {
        var script = Path.Combine(Environments.EnvironmentLoaderTests.RepoRoot(), "tests", "S3Server", "get-s3rver.sh");
        var (exit, bin, error) = await Run("bash", script);
        Assert.True(exit == 0, $"s3rver is not available: {error}");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var start = new ProcessStartInfo(bin.Trim()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--directory", Path.Combine(_scratch.Path, "s3"), "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets", "--configure-bucket", "dts3-unit" })
        {
            start.ArgumentList.Add(arg);
        }

        Directory.CreateDirectory(Path.Combine(_scratch.Path, "s3"));
        _server = Process.Start(start)!;
        _endpoint = $"http://127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(100);
            }
        }

        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
        Environment.SetEnvironmentVariable("AWS_PROFILE", null);
        Environment.SetEnvironmentVariable("AWS_REGION", null);
    }

    public async Task DisposeAsync()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        _http.Dispose();
        _scratch.Dispose();
    }

    private S3BackupStore Store(int partSize = 5 << 20) =>
        S3BackupStore.Create(new ModuleData(Path.Combine(_scratch.Path, "home")), S3Location.Parse("s3://dts3-unit/unit", "-Path"), _endpoint, partSize);

    private static AppBackup Manifest(string id, BackupWritten written, DateTimeOffset created) => new()
    {
        Id = id, Environment = "dts3", Service = "main", Database = "shop", Engine = "PostgreSQL", Version = "15", Format = "pg_dump custom",
        CreatedAt = created, SizeBytes = written.SizeBytes, Sha256 = written.Sha256, Duration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task A_dump_larger_than_a_part_streams_in_parts_and_reads_back_verified()
    {
        var payload = RandomNumberGenerator.GetBytes((12 << 20) + 12345);
        var store = Store();
        var made = await store.WriteAsync("dts3", "main", "shop-1", async (output, token) =>
        {
            // Odd-sized writes, as a process pipe delivers them.
            for (var offset = 0; offset < payload.Length; offset += 70001)
            {
                await output.WriteAsync(payload.AsMemory(offset, Math.Min(70001, payload.Length - offset)), token);
            }
        }, written => Manifest("shop-1", written, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(payload.Length, made.SizeBytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant(), made.Sha256);
        Assert.Equal("s3://dts3-unit/unit/dts3/main/shop-1.dump", made.Path);
        var stored = await _http.GetByteArrayAsync($"{_endpoint}/dts3-unit/unit/dts3/main/shop-1.dump");
        Assert.Equal(payload, stored);

        var listed = Assert.Single(await store.ListAsync("dts3", "main", CancellationToken.None));
        Assert.Equal(made.Sha256, listed.Sha256);
        Assert.Equal(_endpoint, listed.EndpointUrl);
        await using (var dump = await store.FetchVerifiedAsync(listed, EngineContext.Silent()))
        {
            Assert.Equal(payload, await File.ReadAllBytesAsync(dump.Path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dump.Path));
            }
        }

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_scratch.Path, "home", "backups", ".downloads")));
    }

    [Fact]
    public async Task A_failed_dump_leaves_nothing_in_the_bucket_and_a_changed_object_is_refused()
    {
        var store = Store();
        var failed = await Assert.ThrowsAsync<DevOpsToolsException>(() => store.WriteAsync("dts3", "main", "shop-2", async (output, token) =>
        {
            await output.WriteAsync(RandomNumberGenerator.GetBytes(6 << 20), token);
            throw new DevOpsToolsException(ErrorIds.BackupFailed, ErrorKind.InvalidOperation, "pg_dump failed", null);
        }, written => Manifest("shop-2", written, DateTimeOffset.UtcNow), CancellationToken.None));
        Assert.Equal(ErrorIds.BackupFailed, failed.ErrorId);
        var listing = await _http.GetStringAsync($"{_endpoint}/dts3-unit?list-type=2&prefix=unit/dts3/main/shop-2");
        Assert.DoesNotContain("<Key>", listing, StringComparison.Ordinal);

        var made = await store.WriteAsync("dts3", "main", "shop-3", (output, token) => output.WriteAsync(new byte[] { 1, 2, 3, 4 }, token).AsTask(),
            written => Manifest("shop-3", written, DateTimeOffset.UtcNow), CancellationToken.None);
        using (var put = await _http.PutAsync($"{_endpoint}/dts3-unit/unit/dts3/main/shop-3.dump", new ByteArrayContent([1, 2, 3, 5])))
        {
            put.EnsureSuccessStatusCode();
        }

        var mismatch = await Assert.ThrowsAsync<DevOpsToolsException>(() => store.FetchVerifiedAsync(made, EngineContext.Silent()));
        Assert.Equal(ErrorIds.BackupChecksumMismatch, mismatch.ErrorId);
        Assert.Contains("s3://dts3-unit/unit/dts3/main/shop-3.dump does not match", mismatch.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_scratch.Path, "home", "backups", ".downloads")));

        await store.RemoveAsync(made, CancellationToken.None);
        Assert.Empty(await store.ListAsync("dts3", "main", CancellationToken.None));
    }

    [Fact]
    public async Task A_volume_manifest_is_listed_with_its_tar_archive_beside_it()
    {
        // Backup-AppData writes no volume archives to S3 yet; a bucket can still hold one (copied
        // there by hand), and the store must then name the archive, not a .dump that is not there.
        var archive = RandomNumberGenerator.GetBytes(4096);
        var manifest = new AppBackup
        {
            Id = "vol-data-1", Kind = AppBackup.VolumeKind, Environment = "dts3", Service = "notes", Database = string.Empty,
            Volume = "dot-dts3-notes-data", Engine = "Podman volume", Version = "5", Format = "tar", CreatedAt = DateTimeOffset.UtcNow,
            SizeBytes = archive.Length, Sha256 = Convert.ToHexString(SHA256.HashData(archive)).ToLowerInvariant(), Duration = TimeSpan.FromSeconds(1),
        };
        foreach (var (key, content) in new[] { ("vol-data-1.tar", archive), ("vol-data-1.json", System.Text.Encoding.UTF8.GetBytes(manifest.ToJson())) })
        {
            using var put = await _http.PutAsync($"{_endpoint}/dts3-unit/unit/dts3/notes/{key}", new ByteArrayContent(content));
            put.EnsureSuccessStatusCode();
        }

        var store = Store();
        var listed = Assert.Single(await store.ListAsync("dts3", "notes", CancellationToken.None));
        Assert.Equal(AppBackup.VolumeKind, listed.Kind);
        Assert.Equal("s3://dts3-unit/unit/dts3/notes/vol-data-1.tar", listed.Path);
        await using var fetched = await store.FetchVerifiedAsync(listed, EngineContext.Silent());
        Assert.Equal(archive, await File.ReadAllBytesAsync(fetched.Path));
    }

    [Fact]
    public async Task An_unknown_bucket_is_BackupStoreNotFound()
    {
        var store = S3BackupStore.Create(new ModuleData(Path.Combine(_scratch.Path, "home")), S3Location.Parse("s3://dts3-missing", "-Path"), _endpoint);
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => store.ListAsync(null, null, CancellationToken.None));
        Assert.Equal(ErrorIds.BackupStoreNotFound, error.ErrorId);
        Assert.Contains("no bucket 'dts3-missing'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string StdOut, string StdErr)> Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
