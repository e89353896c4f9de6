using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevOpsTools.Ec2Endpoint.Api;
using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint.Backing;

/// <summary>
/// Backs each instance with a rootful Podman container running systemd, its sshd published on
/// 127.0.0.N:22 (N from 2 upward) — the instance's public address. Provisioning does what EC2 plus
/// cloud-init would: the default user "admin" with passwordless sudo, the key pair in authorized_keys,
/// fresh host keys, and the host keys printed to the console output.
/// Like a VM, an instance manages its own network and can run containers (CAP_NET_ADMIN,
/// CAP_SYS_ADMIN and /dev/fuse, what nested podman needs) and answers on the TCP ports its security groups open to this machine at launch
/// (<see cref="ReachablePorts"/>), each published on 127.0.0.N.
/// </summary>
internal sealed class PodmanBacking : IInstanceBacking
{
    public const string OwnerLabel = "devopstools.ec2.owner-pid";
    public const string InstanceLabel = "devopstools.ec2.instance-id";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly Ec2State _state;
    private readonly Ec2EndpointOptions _options;
    private readonly Action<string> _log;
    private readonly Action<string> _warn;
    private readonly ConcurrentDictionary<string, Guest> _guests = new(StringComparer.Ordinal);
    private readonly HashSet<int> _usedHosts = [];
    private readonly string _ownerPid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <param name="log">Verbose progress messages.</param>
    /// <param name="warn">Failures, always reported.</param>
    public PodmanBacking(Ec2State state, Ec2EndpointOptions options, Action<string> log, Action<string> warn)
    {
        if (string.IsNullOrWhiteSpace(options.BackingImage))
        {
            throw new ArgumentException("The podman backing needs a backing image (--backing-image).", nameof(options));
        }

        _state = state;
        _options = options;
        _log = log;
        _warn = warn;
    }

    public string Name => "podman";

    public bool WaitsForGuest => true;

    private sealed class Guest(Instance instance, int hostNumber, string? authorizedKey, IReadOnlyList<int> ports)
    {
        public Instance Instance { get; } = instance;

        /// <summary>The TCP ports besides 22 published on the instance's address.</summary>
        public IReadOnlyList<int> Ports { get; } = ports;

        public int HostNumber { get; } = hostNumber;

        public string? AuthorizedKey { get; } = authorizedKey;

        public CancellationTokenSource Cancel { get; } = new();

        public Task Provisioning { get; set; } = Task.CompletedTask;

        public Task? Removal { get; set; }
    }

    private string Podman => _options.PodmanPath;

    /// <summary>Checks that podman can run a container here; returns null when usable, else why not.</summary>
    public static async Task<string?> ProbeAsync(string podmanPath, string image)
    {
        var version = await ProcessRunner.RunAsync(podmanPath, ["version", "--format", "{{.Client.Version}}"], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (!version.Ok)
        {
            return $"podman is not usable: {version.StdErr.Trim()}";
        }

        var exists = await ProcessRunner.RunAsync(podmanPath, ["image", "exists", "--", image], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (!exists.Ok)
        {
            return $"podman image '{image}' is not present";
        }

        var probe = await ProcessRunner.RunAsync(podmanPath, ["run", "--rm", "--network", "none", "--", image, "/bin/true"], TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return probe.Ok ? null : $"podman cannot run containers here: {probe.StdErr.Trim()}";
    }

    /// <summary>Removes containers left behind by endpoint processes that are gone.</summary>
    public async Task RemoveOrphansAsync()
    {
        var list = await ProcessRunner.RunAsync(Podman, ["ps", "-a", "--filter", "label=" + OwnerLabel, "--format", "{{.Names}} {{index .Labels \"" + OwnerLabel + "\"}}"], CommandTimeout).ConfigureAwait(false);
        if (!list.Ok)
        {
            return;
        }

        foreach (var line in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !ProcessAlive(pid))
            {
                _log($"removing orphaned container {parts[0]} (endpoint pid {pid} is gone)");
                await ProcessRunner.RunAsync(Podman, ["rm", "-f", "-t", "0", "--", parts[0]], CommandTimeout).ConfigureAwait(false);
            }
        }
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Launch(Instance instance, string? authorizedKeyLine)
    {
        var n = AllocateHostNumber();
        instance.SshHost = $"127.0.0.{n}";
        instance.SshPort = 22;
        instance.ContainerName = "devopstools-ec2-" + instance.Id;
        var rules = instance.Groups
            .Select(g => _state.SecurityGroups.GetValueOrDefault(g.Key))
            .Where(g => g is not null)
            .SelectMany(g => g!.Ingress);
        var (ports, skipped) = ReachablePorts.Of(rules);
        foreach (var why in skipped)
        {
            _warn($"{instance.Id}: ingress rule {why} is not published");
        }

        var guest = new Guest(instance, n, authorizedKeyLine, [.. ports.Where(p => p != 22)]);
        _guests[instance.Id] = guest;
        guest.Provisioning = Task.Run(() => ProvisionAsync(guest));
    }

    /// <summary>Picks the lowest 127.0.0.N (N ≥ 2) not used by this endpoint whose port 22 is free.</summary>
    private int AllocateHostNumber()
    {
        lock (_usedHosts)
        {
            for (var n = 2; n <= 254; n++)
            {
                if (_usedHosts.Contains(n) || !PortIsFree(IPAddress.Parse($"127.0.0.{n}"), 22))
                {
                    continue;
                }

                _usedHosts.Add(n);
                return n;
            }
        }

        throw Ec2Error.Of("InsufficientInstanceCapacity", "There is no capacity left on loopback for another instance.");
    }

    private static bool PortIsFree(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void ReleaseHostNumber(int n)
    {
        lock (_usedHosts)
        {
            _usedHosts.Remove(n);
        }
    }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    private async Task ProvisionAsync(Guest guest)
    {
        var instance = guest.Instance;
        var name = instance.ContainerName!;
        var ct = guest.Cancel.Token;
        try
        {
            var hostname = "ip-" + instance.PrivateIp.Replace('.', '-');
            List<string> arguments =
            [
                "run", "-d", "--systemd=always",
                "--name", name,
                "--hostname", hostname,
                "--label", $"{OwnerLabel}={_ownerPid}",
                "--label", $"{InstanceLabel}={instance.Id}",
                // What a VM's root has and a container lacks: its own network stack (nftables,
                // interfaces of inner containers) and what podman inside needs.
                "--cap-add", "NET_ADMIN", "--cap-add", "SYS_ADMIN", "--device", "/dev/fuse",
                "-p", $"127.0.0.{guest.HostNumber}:22:22",
            ];
            foreach (var port in guest.Ports)
            {
                arguments.AddRange(["-p", $"127.0.0.{guest.HostNumber}:{port}:{port}"]);
            }

            arguments.AddRange(["--", _options.BackingImage!, "/sbin/init"]);
            var run = await ProcessRunner.RunAsync(Podman, arguments, CommandTimeout).ConfigureAwait(false);
            if (!run.Ok)
            {
                throw new InvalidOperationException($"podman run failed ({run.ExitCode}): {run.StdErr.Trim()}");
            }

            ct.ThrowIfCancellationRequested();
            lock (_state.Gate)
            {
                instance.BackingStartedAt = Now;
            }

            _log($"{instance.Id}: container {name} started on 127.0.0.{guest.HostNumber}, ports 22{string.Concat(guest.Ports.Select(p => "," + p))}");

            var env = new Dictionary<string, string>
            {
                ["EC2_AUTHORIZED_KEY"] = guest.AuthorizedKey ?? string.Empty,
                ["EC2_USER_DATA"] = instance.UserData ?? string.Empty,
                ["EC2_INSTANCE_ID"] = instance.Id,
            };
            var exec = await ProcessRunner.RunAsync(Podman,
                ["exec", "-i", "-e", "EC2_AUTHORIZED_KEY", "-e", "EC2_USER_DATA", "-e", "EC2_INSTANCE_ID", "--", name, "/bin/sh", "-s"],
                CommandTimeout, GuestScript, env).ConfigureAwait(false);
            if (!exec.Ok)
            {
                throw new InvalidOperationException($"provisioning {name} failed ({exec.ExitCode}): {exec.StdErr.Trim()}");
            }

            ct.ThrowIfCancellationRequested();
            var keys = exec.StdOut.Split('\n')
                .SkipWhile(l => l.Trim() != HostKeysMarker).Skip(1)
                .Select(SshPublicKey.TryParseLine)
                .Where(k => k is not null)
                .Select(k => k!)
                .ToList();
            if (keys.Count == 0)
            {
                throw new InvalidOperationException($"no host keys found in {name}: {exec.StdOut.Trim()} {exec.StdErr.Trim()}");
            }

            await WaitForSshBannerAsync(IPAddress.Parse(instance.SshHost!), instance.SshPort, TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
            lock (_state.Gate)
            {
                instance.ConsoleOutput = ConsoleText.Build(instance, keys, instance.BackingStartedAt ?? Now);
                instance.GuestReadyAt = Now;
            }

            _log($"{instance.Id}: sshd answers on {instance.SshHost}:{instance.SshPort}");
        }
        catch (OperationCanceledException)
        {
            // Terminated while starting: removal follows.
        }
        catch (Exception ex)
        {
            _warn($"launch of {instance.Id} failed: {ex.Message}");
            lock (_state.Gate)
            {
                if (instance.TerminateRequestedAt is null)
                {
                    instance.TerminateRequestedAt = Now;
                    instance.StateReasonCode = "Server.InternalError";
                    instance.StateReasonMessage = "Server.InternalError: Internal error on launch";
                    instance.StateTransitionReason = "Server.InternalError: Internal error on launch";
                }
            }

            Terminate(instance);
        }
    }

    private const string HostKeysMarker = "--- host keys ---";

    /// <summary>What cloud-init would do on first boot, as a POSIX shell script run in the guest.</summary>
    private static readonly string GuestScript = string.Join('\n',
        "set -e",
        "# Let boot finish first: changing host keys or restarting ssh.service mid-boot races systemd.",
        "# (is-system-running --wait gives up at once while systemd's bus is not up yet, hence the loop.)",
        "systemd=no; [ \"$(cat /proc/1/comm 2>/dev/null)\" = systemd ] && systemd=yes",
        "if [ $systemd = yes ]; then",
        "  i=0",
        "  while [ $i -lt 240 ]; do",
        "    case \"$(systemctl is-system-running 2>/dev/null)\" in running|degraded|maintenance|stopping) break ;; esac",
        "    i=$((i + 1)); sleep 0.25",
        "  done",
        "fi",
        "if ! id -u admin >/dev/null 2>&1; then useradd -m -s /bin/bash -c 'Debian' admin; fi",
        "if getent group sudo >/dev/null; then usermod -aG sudo admin; fi",
        "mkdir -p /etc/sudoers.d",
        "echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-cloud-init-users",
        "chmod 0440 /etc/sudoers.d/90-cloud-init-users",
        "install -d -m 0700 -o admin -g admin /home/admin/.ssh",
        "if [ -n \"$EC2_AUTHORIZED_KEY\" ]; then",
        "  printf '%s\\n' \"$EC2_AUTHORIZED_KEY\" > /home/admin/.ssh/authorized_keys",
        "  chown admin:admin /home/admin/.ssh/authorized_keys",
        "  chmod 0600 /home/admin/.ssh/authorized_keys",
        "fi",
        "mkdir -p /var/lib/cloud/instance",
        "if [ -n \"$EC2_USER_DATA\" ]; then printf '%s' \"$EC2_USER_DATA\" | base64 -d > /var/lib/cloud/instance/user-data.txt; fi",
        "printf '%s\\n' \"$EC2_INSTANCE_ID\" > /var/lib/cloud/instance/instance-id",
        "rm -f /etc/ssh/ssh_host_*",
        "ssh-keygen -A >/dev/null",
        "if [ $systemd = yes ]; then",
        "  unit=ssh.service; systemctl cat ssh.service >/dev/null 2>&1 || unit=sshd.service",
        "  systemctl reset-failed \"$unit\" >/dev/null 2>&1 || true",
        "  if ! systemctl restart \"$unit\"; then systemctl status \"$unit\" --no-pager >&2 || true; exit 1; fi",
        "else",
        "  mkdir -p /run/sshd",
        "  /usr/sbin/sshd",
        "fi",
        "echo '" + HostKeysMarker + "'",
        "for f in /etc/ssh/ssh_host_*key.pub; do [ -f \"$f\" ] && cat \"$f\"; done",
        string.Empty);

    private static async Task WaitForSshBannerAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no attempt";
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using var client = new TcpClient();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(3));
                await client.ConnectAsync(address, port, attempt.Token).ConfigureAwait(false);
                var buffer = new byte[64];
                var n = await client.GetStream().ReadAsync(buffer, attempt.Token).ConfigureAwait(false);
                var banner = Encoding.ASCII.GetString(buffer, 0, n);
                if (banner.StartsWith("SSH-", StringComparison.Ordinal))
                {
                    return;
                }

                last = $"unexpected banner '{banner.Trim()}'";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "timed out reading the banner";
            }
            catch (SocketException ex)
            {
                last = ex.Message;
            }
            catch (IOException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"sshd on {address}:{port} did not answer within {timeout.TotalSeconds:0}s ({last})");
    }

    public void Terminate(Instance instance)
    {
        if (!_guests.TryGetValue(instance.Id, out var guest))
        {
            return;
        }

        lock (guest)
        {
            if (guest.Removal is not null)
            {
                return;
            }

            guest.Cancel.Cancel();
            guest.Removal = Task.Run(() => RemoveAsync(guest));
        }
    }

    private async Task RemoveAsync(Guest guest)
    {
        try
        {
            await guest.Provisioning.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
        }

        var rm = await ProcessRunner.RunAsync(Podman, ["rm", "-f", "-t", "0", "--", guest.Instance.ContainerName!], CommandTimeout).ConfigureAwait(false);
        if (!rm.Ok && !rm.StdErr.Contains("no such container", StringComparison.OrdinalIgnoreCase))
        {
            _warn($"removing {guest.Instance.ContainerName} failed: {rm.StdErr.Trim()}");
        }
        else
        {
            _log($"{guest.Instance.Id}: container {guest.Instance.ContainerName} removed");
        }

        ReleaseHostNumber(guest.HostNumber);
        _guests.TryRemove(guest.Instance.Id, out _);
        guest.Cancel.Dispose();
    }

    public async Task RemoveAllAsync()
    {
        var guests = _guests.Values.ToList();
        foreach (var g in guests)
        {
            Terminate(g.Instance);
        }

        var removals = guests.Select(g => g.Removal).Where(t => t is not null).Select(t => t!).ToArray();
        try
        {
            await Task.WhenAll(removals).WaitAsync(TimeSpan.FromSeconds(150)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _warn("timed out removing containers");
        }
    }

    public async ValueTask DisposeAsync() => await RemoveAllAsync().ConfigureAwait(false);
}
