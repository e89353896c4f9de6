using System.Diagnostics;
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
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"ssh-test-{Guid.NewGuid():N}");

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

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
