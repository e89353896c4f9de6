using System.Net;
using System.Net.Sockets;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>
/// Real Debian 12 systemd servers in Podman for the hardening tests: base image built once
/// (debootstrap) and reused, containers named hardening-test-*, admin user with sudo and a
/// test key, sshd published on 127.0.0.1. Removed in DisposeAsync even when tests fail.
/// </summary>
public sealed class PodmanServerFixture : IAsyncLifetime
{
    public const string BaseImage = "localhost/hardening-test-base:1";
    public const string Password = "Hardening-Test-1";
    private readonly List<string> _containers = [];
    private readonly SemaphoreSlim _createLock = new(1, 1);

    public string? SkipReason { get; private set; }

    public string KeyPath { get; } = Path.Combine(Path.GetTempPath(), $"hardening-test-key-{Environment.ProcessId}");

    public async Task InitializeAsync()
    {
        try
        {
            var info = await Podman.RunAsync(["info", "--format", "{{.Host.OCIRuntime.Name}}"], timeout: TimeSpan.FromSeconds(60));
            if (info.ExitCode != 0)
            {
                SkipReason = "podman is not usable here: " + info.StdErr.Trim();
                return;
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
            SkipReason = "podman is not installed: " + ex.Message;
            return;
        }

        if ((await Podman.RunAsync(["image", "exists", "--", BaseImage])).ExitCode != 0)
        {
            var build = await Podman.ExecAsync("sh", ["-c", BuildImageScript], null, TimeSpan.FromMinutes(10), default);
            if (build.ExitCode != 0)
            {
                SkipReason = $"could not build {BaseImage} (debootstrap, as root): {build.StdErr.Trim()}";
                return;
            }
        }

        if (!File.Exists(KeyPath))
        {
            await Podman.ExecAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "hardening-test", "-f", KeyPath], null, TimeSpan.FromSeconds(30), default);
        }
    }

    private const string BuildImageScript = """
        set -e
        d=$(mktemp -d /var/tmp/hardening-rootfs.XXXXXX)
        debootstrap --variant=minbase --include=openssh-server,sudo,iproute2,nftables,procps,python3,systemd,systemd-sysv,dbus,ca-certificates bookworm "$d" http://deb.debian.org/debian >/dev/null
        rm -f "$d"/etc/ssh/ssh_host_*
        tar -C "$d" -c . | podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' -- - localhost/hardening-test-base:1 >/dev/null
        rm -rf "$d"
        """;

    /// <summary>A fresh server. netAdmin gives CAP_NET_ADMIN (nftables); sysctls as the Podman provider should set them.</summary>
    public async Task<TestServer> CreateAsync(bool netAdmin = true)
    {
        var name = $"hardening-test-{Guid.NewGuid().ToString("N")[..8]}";
        int port;
        await _createLock.WaitAsync();
        try
        {
            port = FreePort();
            var args = new List<string> { "run", "-d", "--name", name, "--systemd=always", "-p", $"127.0.0.1:{port}:22" };
            if (netAdmin)
            {
                args.AddRange(["--cap-add", "NET_ADMIN"]);
            }

            foreach (var s in HardeningCatalog.ContainerSysctls)
            {
                args.AddRange(["--sysctl", s]);
            }

            args.AddRange(["--", BaseImage]);
            lock (_containers)
            {
                _containers.Add(name);
            }

            var run = await Podman.RunAsync(args);
            Assert.True(run.ExitCode == 0, "podman run failed: " + run.StdErr);
        }
        finally
        {
            _createLock.Release();
        }

        var pub = (await File.ReadAllTextAsync(KeyPath + ".pub")).Trim();
        var setup = $$"""
            set -e
            for i in $(seq 1 50); do s=$(systemctl is-system-running 2>/dev/null || true); case "$s" in running|degraded) break ;; esac; sleep 0.2; done
            ssh-keygen -A >/dev/null
            id admin >/dev/null 2>&1 || useradd -m -s /bin/bash admin
            echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-admin; chmod 440 /etc/sudoers.d/90-admin
            printf 'admin:{{Password}}\nroot:{{Password}}\n' | chpasswd
            for h in /home/admin /root; do mkdir -p $h/.ssh; echo '{{pub}}' > $h/.ssh/authorized_keys; chmod 700 $h/.ssh; chmod 600 $h/.ssh/authorized_keys; done
            chown -R admin:admin /home/admin/.ssh
            systemctl reset-failed ssh.service >/dev/null 2>&1 || true
            systemctl restart ssh.service
            """;
        var setupRun = await Podman.RunAsync(["exec", "-i", "--", name, "sh"], setup, TimeSpan.FromMinutes(2));
        Assert.True(setupRun.ExitCode == 0, "server setup failed: " + setupRun.StdErr);
        var server = new Server
        {
            Name = name, Environment = "hardening-test", Provider = "Podman", Id = name, State = "Running",
            Address = "127.0.0.1", SshPort = port, User = "admin", IdentityFile = KeyPath,
        };
        var test = new TestServer(server, name, this);
        for (var i = 0; i < 50 && !await test.SshAsync("admin", "true"); i++)
        {
            await Task.Delay(200);
        }

        return test;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Removes some servers now (benchmarks free memory between rounds).</summary>
    public async Task RemoveAsync(IEnumerable<TestServer> servers)
    {
        var names = servers.Select(s => s.Container).ToList();
        if (names.Count > 0)
        {
            await Podman.RunAsync(["rm", "-f", "-t", "2", "--", .. names], timeout: TimeSpan.FromMinutes(2));
            lock (_containers)
            {
                _containers.RemoveAll(names.Contains);
            }
        }
    }

    public async Task DisposeAsync()
    {
        List<string> names;
        lock (_containers)
        {
            names = [.. _containers];
        }

        if (names.Count > 0)
        {
            await Podman.RunAsync(["rm", "-f", "-t", "2", "--", .. names], timeout: TimeSpan.FromMinutes(2));
        }

        File.Delete(KeyPath);
        File.Delete(KeyPath + ".pub");
    }
}

/// <summary>One test server, with independent ways in: podman exec, and real ssh.</summary>
public sealed class TestServer(Server server, string container, PodmanServerFixture fixture) : IRemoteShellFactory, IFreshLoginProbe
{
    public Server Server { get; } = server;

    public string Container { get; } = container;

    public PodmanExecShell? LastShell { get; private set; }

    public Task<IRemoteShell> OpenAsync(Server s, CancellationToken cancellationToken)
    {
        LastShell = new PodmanExecShell(s, Container);
        return Task.FromResult<IRemoteShell>(LastShell);
    }

    public Task<bool> CanLoginAsync(Server s, CancellationToken cancellationToken) => SshAsync(s.User, "sudo -n true");

    /// <summary>A real key login over the published port, running a command.</summary>
    public async Task<bool> SshAsync(string user, string command) => (await SshRunAsync(user, command)).ExitCode == 0;

    public Task<Podman.Result> SshRunAsync(string user, string command, params string[] extra) =>
        Podman.ExecAsync("ssh", [
            "-i", fixture.KeyPath, "-p", Server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
            .. extra, $"{user}@127.0.0.1", command], null, TimeSpan.FromSeconds(30), default);

    /// <summary>Which authentication methods the server offers (ssh -v with auth method none).</summary>
    public async Task<string> OfferedAuthMethodsAsync(string user)
    {
        var r = await Podman.ExecAsync("ssh", [
            "-v", "-p", Server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "PreferredAuthentications=none", "-o", "ConnectTimeout=5", $"{user}@127.0.0.1", "true"], null, TimeSpan.FromSeconds(30), default);
        var line = r.StdErr.Split('\n').LastOrDefault(l => l.Contains("Authentications that can continue", StringComparison.Ordinal));
        return line ?? r.StdErr;
    }

    /// <summary>Runs a command as root through podman exec (independent of the engine).</summary>
    public async Task<string> ExecAsync(string script)
    {
        var r = await Podman.RunAsync(["exec", "-i", "--", Container, "sh"], script, TimeSpan.FromMinutes(2));
        return r.StdOut;
    }
}
