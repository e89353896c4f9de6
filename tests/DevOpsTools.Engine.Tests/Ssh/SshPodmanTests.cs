using System.Diagnostics;
using System.Net;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;
using DevOpsTools.Engine.Tests.Hardening;
using Xunit.Abstractions;

namespace DevOpsTools.Engine.Tests.Ssh;

/// <summary>The SSH layer (SSH.NET) against real Debian 12 servers in Podman, checked through podman exec.</summary>
[Collection("Podman hardening")]
[Trait("Category", "Podman")]
public sealed class SshPodmanTests(PodmanServerFixture fixture, ITestOutputHelper log) : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("ssh-test", create: false);

    private string _root => _scratch.Path;

    // A second module data directory beside the first (a pool that must not share its known hosts).
    private readonly ScratchDirectory _scratchB = ScratchDirectory.Create("ssh-test-b", create: false);

    /// <summary>A pool with its own module data whose known_hosts holds the server's real host key.</summary>
    private async Task<SshConnectionPool> PoolAsync(params TestServer[] servers)
    {
        var pool = new SshConnectionPool(new ModuleData(_root));
        foreach (var server in servers)
        {
            var hostKey = (await server.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim();
            pool.KnownHosts.Set(server.Server.Address!, server.Server.SshPort, hostKey, server.Server.Name);
        }

        return pool;
    }

    [SkippableFact]
    public async Task Output_lines_arrive_while_the_command_runs_and_the_result_holds_them_all()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = await PoolAsync(server);
        var lines = new List<(RemoteOutputLine Line, TimeSpan At)>();
        var watch = Stopwatch.StartNew();

        var result = await pool.GetShell(server.Server).RunAsync("echo one; sleep 2; echo two >&2; sleep 2; printf 'three\\r\\nfour'; exit 3", false, TimeSpan.FromSeconds(60),
            line => { lock (lines) { lines.Add((line, watch.Elapsed)); } }, CancellationToken.None);

        foreach (var (line, at) in lines)
        {
            log.WriteLine($"{at.TotalSeconds:F2}s {line.Stream}: {line.Text}");
        }

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("one\nthree\r\nfour", result.StdOut);
        Assert.Equal("two\n", result.StdErr);
        Assert.Equal(["one", "two", "three", "four"], lines.Select(l => l.Line.Text));
        Assert.Equal([RemoteStream.StdOut, RemoteStream.StdErr, RemoteStream.StdOut, RemoteStream.StdOut], lines.Select(l => l.Line.Stream));
        Assert.True(lines[0].At < result.Duration - TimeSpan.FromSeconds(3), "the first line came when the command ended, not as it was written");
        Assert.True(lines[1].At < result.Duration - TimeSpan.FromSeconds(1), "the stderr line came when the command ended, not as it was written");
    }

    [SkippableFact]
    public async Task Cancelling_a_streamed_command_stops_it_on_the_server_promptly()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = await PoolAsync(server);
        using var cancel = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();

        var run = pool.GetShell(server.Server).RunAsync("echo started; exec sleep 300", true, TimeSpan.FromMinutes(10),
            line => { if (line.Text == "started") { cancel.Cancel(); } }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        log.WriteLine($"cancelled after {watch.Elapsed.TotalSeconds:F2}s");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal("none", (await server.ExecAsync("pgrep -x sleep || echo none")).Trim());
    }

    [SkippableFact]
    public async Task Upload_places_the_file_as_root_with_mode_and_owner_and_verifies_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = await PoolAsync(server);
        var bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var shell = pool.GetShell(server.Server);

        // A stream that cannot seek is buffered for the hash.
        using var content = new NonSeekableStream(bytes);
        var placed = await shell.UploadAsync(content, new RemoteFileTarget("/etc/ssh-upload-test.bin", "640", "root", "admin"), CancellationToken.None);

        Assert.Equal(sha, placed.Sha256);
        Assert.Equal(bytes.Length, placed.Length);
        Assert.Equal("0640", placed.Mode);
        var seen = (await server.ExecAsync("stat -c '%a %U %G %s' /etc/ssh-upload-test.bin; sha256sum /etc/ssh-upload-test.bin | cut -d' ' -f1; ls -a /tmp /etc | grep -c devopstools-upload || true")).Split('\n');
        Assert.Equal($"640 root admin {bytes.Length}", seen[0]);
        Assert.Equal(sha, seen[1]);
        Assert.Equal("0", seen[2]);

        // Replacing keeps the same path and takes the new mode and owner.
        await shell.UploadAsync(new MemoryStream("v2\n"u8.ToArray()), new RemoteFileTarget("/etc/ssh-upload-test.bin", "0600", "admin", "admin"), CancellationToken.None);
        Assert.Equal("600 admin admin v2", (await server.ExecAsync("printf '%s ' $(stat -c '%a %U %G' /etc/ssh-upload-test.bin); cat /etc/ssh-upload-test.bin")).Trim());
    }

    [SkippableFact]
    public async Task Upload_refuses_an_invalid_target_before_sending_and_reports_a_missing_directory()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = await PoolAsync(server);
        var shell = pool.GetShell(server.Server);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => shell.UploadAsync(new MemoryStream([1]), new RemoteFileTarget("etc/x.conf"), CancellationToken.None));
        Assert.Equal("Path", refused.ParamName);
        refused = await Assert.ThrowsAsync<ArgumentException>(() => shell.UploadAsync(new MemoryStream([1]), new RemoteFileTarget("/etc/x.conf", Owner: "root;id"), CancellationToken.None));
        Assert.Equal("Owner", refused.ParamName);

        var missing = await Assert.ThrowsAsync<DevOpsToolsException>(() => shell.UploadAsync(new MemoryStream([1]), new RemoteFileTarget("/nonexistent-dir/x.conf"), CancellationToken.None));
        Assert.Equal(ErrorIds.RemoteFileUploadFailed, missing.ErrorId);
        Assert.Contains("/nonexistent-dir does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Equal("0", (await server.ExecAsync("ls -a /tmp | grep -c devopstools-upload || true")).Trim());
    }

    [SkippableFact]
    public async Task A_local_forward_reaches_a_service_on_the_servers_loopback_until_disposed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = await PoolAsync(server);
        await server.ExecAsync("mkdir -p /srv/ssh-fwd && echo forwarded-ok > /srv/ssh-fwd/index.html && (cd /srv/ssh-fwd && setsid python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 &) ; for i in $(seq 1 50); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 18080), 1)' 2>/dev/null && break; sleep 0.1; done");

        var forward = await pool.GetShell(server.Server).ForwardLocalPortAsync(18080, "127.0.0.1", CancellationToken.None);
        IPEndPoint endPoint;
        await using (forward)
        {
            endPoint = forward.LocalEndPoint;
            log.WriteLine($"forwarded {endPoint} -> 127.0.0.1:18080 on {server.Server.Name}");
            Assert.Equal(IPAddress.Loopback, endPoint.Address);
            Assert.NotEqual(0, endPoint.Port);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            Assert.Equal("forwarded-ok", (await http.GetStringAsync($"http://{endPoint}/index.html")).Trim());
            Assert.Equal("forwarded-ok", (await http.GetStringAsync($"http://{endPoint}/index.html")).Trim());
        }

        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(endPoint.Address, endPoint.Port));
    }

    [SkippableFact]
    public async Task A_server_is_reached_through_a_bastion_with_both_host_keys_pinned()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var bastion = await fixture.CreateAsync(netAdmin: false);
        var inner = await fixture.CreateAsync(netAdmin: false);
        var bastionIp = await ContainerIpAsync(bastion);
        var innerIp = await ContainerIpAsync(inner);
        await using var pool = await PoolAsync(bastion);
        var innerKey = (await inner.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim();
        pool.KnownHosts.Set(innerIp, 22, innerKey, "inner");

        // The inner server by its address on the podman network, reached from the bastion.
        var target = new Server
        {
            Name = "inner", Environment = "hardening-test", Provider = "Podman", State = "Running", Address = innerIp, SshPort = 22,
            User = "admin", IdentityFile = fixture.KeyPath, ProxyJump = $"admin@127.0.0.1:{bastion.Server.SshPort}",
        };
        var result = await pool.GetShell(target).RunAsync("echo \"$SSH_CONNECTION\"; hostname", false, TimeSpan.FromSeconds(30), CancellationToken.None);
        log.WriteLine(result.StdOut);
        var lines = result.StdOut.Split('\n');
        Assert.Equal(bastionIp, lines[0].Split(' ')[0]);  // the inner server sees the bastion as its client
        Assert.Equal(innerIp, lines[0].Split(' ')[2]);

        // A wrong key for either hop stops the connection before anything runs.
        await using var wrongInner = await PoolAsync(bastion);
        wrongInner.KnownHosts.Set(innerIp, 22, (await bastion.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim(), "wrong");
        var mismatch = await Assert.ThrowsAsync<DevOpsToolsException>(() => wrongInner.GetShell(target).RunAsync("touch /tmp/ran", false, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(ErrorIds.HostKeyMismatch, mismatch.ErrorId);
        await using var wrongBastion = new SshConnectionPool(new ModuleData(_scratchB.Path));
        wrongBastion.KnownHosts.Set("127.0.0.1", bastion.Server.SshPort, innerKey, "wrong");
        wrongBastion.KnownHosts.Set(innerIp, 22, innerKey, "inner");
        mismatch = await Assert.ThrowsAsync<DevOpsToolsException>(() => wrongBastion.GetShell(target).RunAsync("touch /tmp/ran", false, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(ErrorIds.HostKeyMismatch, mismatch.ErrorId);
        Assert.Equal("no", (await inner.ExecAsync("test -e /tmp/ran && echo yes || echo no")).Trim());
        Assert.Throws<ArgumentException>(() => SshJumpHost.Parse("admin@host:99999", "admin"));
        Assert.Throws<ArgumentException>(() => SshJumpHost.Parse("a@b,c@d", "admin"));
        Assert.Equal(("ops", "bastion.example.com", 2222), SshJumpHost.Parse("ops@bastion.example.com:2222", "admin"));
    }

    [SkippableFact]
    public async Task A_passphrase_protected_key_logs_in_with_its_passphrase_and_fails_clearly_without()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        Directory.CreateDirectory(_root);
        var keyPath = Path.Combine(_root, "id_protected");
        const string passphrase = "ssh-test correct horse";
        var keygen = await Podman.ExecAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "ssh-test", "-f", keyPath], null, TimeSpan.FromSeconds(30), default);
        Assert.Equal(0, keygen.ExitCode);
        var pub = (await File.ReadAllTextAsync(keyPath + ".pub")).Trim();
        await Podman.RunAsync(["exec", "-i", server.Container, "sh", "-c", "cat >> /home/admin/.ssh/authorized_keys"], pub + "\n");
        var protectedServer = new Server
        {
            Name = server.Server.Name, Environment = "hardening-test", Provider = "Podman", State = "Running",
            Address = "127.0.0.1", SshPort = server.Server.SshPort, User = "admin", IdentityFile = keyPath,
        };

        var hostKey = (await server.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim();
        await using (var pool = new SshConnectionPool(new ModuleData(_root)) { KeyPassphrase = passphrase })
        {
            pool.KnownHosts.Set("127.0.0.1", server.Server.SshPort, hostKey, "s");
            var ok = await pool.GetShell(protectedServer).RunAsync("id -un", false, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("admin", ok.StdOut.Trim());
        }

        await using (var none = new SshConnectionPool(new ModuleData(_root)))
        {
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => none.GetShell(protectedServer).RunAsync("true", false, TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
            Assert.Contains("passphrase", error.Message, StringComparison.Ordinal);
        }

        await using (var wrong = new SshConnectionPool(new ModuleData(_root)) { KeyPassphrase = "not it" })
        {
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => wrong.GetShell(protectedServer).RunAsync("true", false, TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
            Assert.DoesNotContain("not it", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(passphrase, error.ToString(), StringComparison.Ordinal);
        }
    }

    private static async Task<string> ContainerIpAsync(TestServer server) =>
        (await Podman.RunAsync(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", server.Container])).StdOut.Trim();

    public void Dispose()
    {
        _scratch.Dispose();
        _scratchB.Dispose();
    }
}

/// <summary>Validation of upload targets (no server needed).</summary>
public sealed class RemoteFileTargetTests
{
    [Theory]
    [InlineData("relative/path", "0644", "root", "root", "Path")]
    [InlineData("/etc/../root/x", "0644", "root", "root", "Path")]
    [InlineData("/etc/dir/", "0644", "root", "root", "Path")]
    [InlineData("/etc/a b", "0644", "root", "root", "Path")]
    [InlineData("/etc/x\nPermitRootLogin", "0644", "root", "root", "Path")]
    [InlineData("/etc/x", "0999", "root", "root", "Mode")]
    [InlineData("/etc/x", "u+x", "root", "root", "Mode")]
    [InlineData("/etc/x", "0644", "Root", "root", "Owner")]
    [InlineData("/etc/x", "0644", "root", "$(id)", "Group")]
    public void An_invalid_target_is_refused_naming_the_field(string path, string mode, string owner, string group, string field)
    {
        var error = Assert.Throws<ArgumentException>(() => new RemoteFileTarget(path, mode, owner, group).Validate());
        Assert.Equal(field, error.ParamName);
    }

    [Fact]
    public void A_valid_target_passes_and_its_mode_is_normalised()
    {
        var target = new RemoteFileTarget("/etc/app/app-1.conf", "640", "app_user", "adm");
        target.Validate();
        Assert.Equal("0640", target.NormalizedMode);
    }
}

/// <summary>A read-only stream that cannot seek (like a network or pipe stream).</summary>
internal sealed class NonSeekableStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
