using System.Security.Cryptography;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;
using DevOpsTools.Engine.Tests.Hardening;

namespace DevOpsTools.Engine.Tests.Ssh;

/// <summary>Binary stdout into a Stream and stdin from a Stream, against a real sshd in Podman.</summary>
[Collection("Podman hardening")]
[Trait("Category", "Podman")]
public sealed class SshStreamingTests(PodmanServerFixture fixture) : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("ssh-stream-test", create: false);

    [SkippableFact]
    public async Task Binary_data_goes_up_from_a_stream_and_comes_back_into_a_stream_byte_for_byte()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = new SshConnectionPool(new ModuleData(_scratch.Path));
        var hostKey = (await server.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim();
        pool.KnownHosts.Set(server.Server.Address!, server.Server.SshPort, hostKey, server.Server.Name);
        var shell = pool.GetShell(server.Server);

        // 3 MiB of random bytes: NULs, CR/LF and sequences that are not UTF-8 all included.
        var data = RandomNumberGenerator.GetBytes(3 << 20);
        var expected = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

        using var upload = new MemoryStream(data);
        var up = await shell.RunFromStreamAsync("set -eu\ncat >/tmp/stream.bin\nsha256sum /tmp/stream.bin | cut -d' ' -f1\n", true, TimeSpan.FromMinutes(2), upload, CancellationToken.None);
        Assert.Equal(0, up.ExitCode);
        Assert.Equal(expected, up.StdOut.Trim());

        using var download = new MemoryStream();
        var down = await shell.RunToStreamAsync("cat /tmp/stream.bin\necho done >&2\nexit 4\n", true, TimeSpan.FromMinutes(2), download, CancellationToken.None);
        Assert.Equal(4, down.ExitCode);
        Assert.Equal("done\n", down.StdErr);
        Assert.Equal(string.Empty, down.StdOut);
        Assert.Equal(data.Length, download.Length);
        Assert.Equal(expected, Convert.ToHexString(SHA256.HashData(download.ToArray())).ToLowerInvariant());
    }

    [SkippableFact]
    public async Task A_command_that_stops_reading_its_input_early_reports_its_own_exit_code()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        await using var pool = new SshConnectionPool(new ModuleData(_scratch.Path));
        var hostKey = (await server.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim();
        pool.KnownHosts.Set(server.Server.Address!, server.Server.SshPort, hostKey, server.Server.Name);

        using var upload = new MemoryStream(RandomNumberGenerator.GetBytes(4 << 20));
        var result = await pool.GetShell(server.Server).RunFromStreamAsync("head -c 10 >/dev/null\necho refused >&2\nexit 7\n", false, TimeSpan.FromMinutes(2), upload, CancellationToken.None);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("refused\n", result.StdErr);
    }

    public void Dispose() => _scratch.Dispose();
}
