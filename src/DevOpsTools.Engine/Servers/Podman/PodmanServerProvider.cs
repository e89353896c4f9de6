using System.Globalization;
using System.Text.Json;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers.Podman;

/// <summary>
/// Servers as systemd containers on this machine: `podman run --systemd=always /sbin/init` of the
/// module's Debian 12 image, one podman network per environment, SSH published on 127.0.0.1 on a
/// free port. Containers and networks carry the devopstools.* labels; listing queries them.
/// </summary>
[ServerProvider("Podman")]
public sealed partial class PodmanServerProvider : IServerProvider
{
    private const string HostKeyFile = "/etc/ssh/ssh_host_ed25519_key.pub";
    private readonly ProviderOptions _options;
    private readonly object _imageLock = new();
    private Task<string>? _defaultImage;
    private PodmanCli? _podman;

    public PodmanServerProvider(ProviderOptions options)
    {
        _options = options;
    }

    public string Name => "Podman";

    private PodmanCli Podman => _podman ??= PodmanCli.Locate();

    public static string ContainerName(string environment, string name) => $"devopstools-{environment}.{name}";

    public static string NetworkName(string environment) => $"devopstools-{environment}";

    public async Task EnsureAvailableAsync(EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var podman = Podman;
        ProcessResult result;
        try
        {
            result = await podman.RunAsync(["info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.CgroupsVersion}}"], cancellationToken, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new DevOpsToolsException(ErrorIds.ProviderUnavailable, ErrorKind.ResourceUnavailable, $"podman did not answer within 60 s (podman info): {ex.Message}", Name, ex);
        }

        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.ProviderUnavailable, ErrorKind.ResourceUnavailable,
                $"podman is not usable (podman info failed, exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr)}" +
                (podman.ContainersConf is { } conf ? $" (CONTAINERS_CONF={conf})" : string.Empty), Name)
            {
                RecommendedAction = "Check `podman info`. On hosts where podman's defaults fail, point CONTAINERS_CONF at <module>/podman/containers.conf (see the README, Servers).",
            };
        }

        output.WriteDebug($"podman: {result.StdOut.Trim()}; CONTAINERS_CONF={podman.ContainersConf ?? "(user's configuration)"}");
    }

    public async Task PrepareEnvironmentAsync(EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var network = NetworkName(environment.Name);
        if ((await Podman.RunAsync(["network", "exists", "--", network], cancellationToken).ConfigureAwait(false)).Succeeded)
        {
            return;
        }

        var created = await Podman.RunAsync(
            ["network", "create", "--label", $"{ResourceLabels.Managed}=true", "--label", $"{ResourceLabels.Environment}={environment.Name}", "--", network],
            cancellationToken).ConfigureAwait(false);
        if (!created.Succeeded && !(await Podman.RunAsync(["network", "exists", "--", network], CancellationToken.None).ConfigureAwait(false)).Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation,
                $"Creating podman network {network} failed: {ExternalProcess.Tail(created.StdErr)}", network);
        }

        output.WriteVerbose($"Created podman network {network} for environment {environment.Name}.");
    }

    /// <summary>Builds the default image if podman does not have it yet (once per machine).</summary>
    public Task<string> EnsureImageAsync(IOutputSink output, CancellationToken cancellationToken) =>
        new PodmanImage(Podman).EnsureAsync(output, cancellationToken);

    public async Task<Server> CreateAsync(ServerCreateRequest request, EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var image = request.Image ?? await DefaultImageAsync(output, cancellationToken).ConfigureAwait(false);
        var container = ContainerName(request.Environment, request.Name);
        var declared = ResourceLabels.ParsePorts(ResourceLabels.FormatPorts(request.Ports));
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePorts.Reserve();
            try
            {
                var id = await RunContainerAsync(request, environment, image, container, port, output, cancellationToken).ConfigureAwait(false);
                IReadOnlyList<ServerEndpoint> endpoints = [];
                try
                {
                    endpoints = declared.Count == 0 ? [] : await PublishedEndpointsAsync(id, container, declared, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The caller never sees this server (no rollback through it): remove it here.
                    await RemoveContainerAsync(container, output).ConfigureAwait(false);
                    throw;
                }

                return new Server
                {
                    Name = request.Name,
                    Environment = request.Environment,
                    Provider = Name,
                    Id = id,
                    State = "Running",
                    Address = "127.0.0.1",
                    SshPort = port,
                    User = environment.AdminUser,
                    IdentityFile = environment.PrivateKeyPath,
                    Role = request.Role,
                    Size = request.Size,
                    Image = image,
                    Tags = new Dictionary<string, string>(request.Tags),
                    Ports = declared,
                    Endpoints = endpoints,
                    CreatedAt = DateTimeOffset.UtcNow,
                    ContainerHost = request.ContainerHost,
                };
            }
            catch (DevOpsToolsException ex) when (attempt < 3 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another program took the port between our check and podman's bind: next port.
                output.WriteVerbose($"Port {port} was taken while starting {container}; trying another.");
            }
            finally
            {
                FreePorts.Release(port);
            }
        }
    }

    /// <summary>The module's image, checked (and built if missing) once per provider instance.</summary>
    private Task<string> DefaultImageAsync(IOutputSink output, CancellationToken cancellationToken)
    {
        lock (_imageLock)
        {
            if (_defaultImage is null || _defaultImage.IsFaulted || _defaultImage.IsCanceled)
            {
                _defaultImage = EnsureImageAsync(output, cancellationToken);
            }

            return _defaultImage;
        }
    }

    private async Task<string> RunContainerAsync(ServerCreateRequest request, EnvironmentContext environment, string image, string container, int sshPort, IOutputSink output, CancellationToken cancellationToken)
    {
        var (cpus, memory) = ServerSizes.Resources(request.Size);
        cpus = Math.Min(cpus, Environment.ProcessorCount);
        var arguments = new List<string>
        {
            "run", "--detach", "--name", container, "--hostname", request.Name,
            "--network", NetworkName(request.Environment), "--network-alias", request.Name,
            "--systemd=always", "--publish", $"127.0.0.1:{sshPort}:22",
            "--cpus", cpus.ToString(CultureInfo.InvariantCulture), "--memory", $"{memory}m",
            "--label", $"{ResourceLabels.Managed}=true",
            "--label", $"{ResourceLabels.Environment}={request.Environment}",
            "--label", $"{ResourceLabels.Name}={request.Name}",
            "--label", $"{ResourceLabels.Size}={request.Size}",
            "--env", $"DEVOPSTOOLS_AUTHORIZED_KEYS={environment.PublicKey}",
            // The server owns its network namespace like a real host: nftables needs NET_ADMIN.
            // Never more (no SYS_ADMIN, no unmasked /proc/sys): the kernel is the host's.
            "--cap-add", "NET_ADMIN",
        };
        // /proc/sys is read-only in a container, so the namespaced network sysctls of the
        // hardening baseline are set here, at creation; Set-Hardening persists and verifies them.
        foreach (var sysctl in Hardening.HardeningCatalog.ContainerSysctls)
        {
            arguments.AddRange(["--sysctl", sysctl]);
        }
        if (request.ContainerHost)
        {
            // Only for servers that host containers: inner podman mounts proc and overlay
            // (fuse-overlayfs) in its own namespaces. Still no unmasked /proc/sys (PODMAN.md).
            arguments.AddRange(["--cap-add", "SYS_ADMIN", "--device", "/dev/fuse", "--label", $"{ResourceLabels.ContainerHost}=true"]);
        }

        if (request.Role is not null)
        {
            arguments.AddRange(["--label", $"{ResourceLabels.Role}={request.Role}"]);
        }

        foreach (var (key, value) in request.Tags)
        {
            arguments.AddRange(["--label", $"{TagPrefix}{key}={value}"]);
        }

        foreach (var port in request.Ports)
        {
            arguments.AddRange(["--publish", $"127.0.0.1::{port}"]);
        }

        if (request.Ports.Count > 0)
        {
            arguments.AddRange(["--label", $"{ResourceLabels.Ports}={ResourceLabels.FormatPorts(request.Ports)}"]);
        }

        // "--": the image and the command are positional, never options, whatever their text.
        arguments.AddRange(["--", image, "/sbin/init"]);

        try
        {
            var id = (await Podman.RunCheckedAsync(arguments, cancellationToken, TimeSpan.FromMinutes(3), container, ErrorIds.ServerCreateFailed).ConfigureAwait(false)).Trim();
            return id.Length > 0 ? id.Split('\n')[^1].Trim() : container;
        }
        catch (Exception)
        {
            // Whatever `podman run` got to (created, half-started) goes: the caller sees only the error.
            await RemoveContainerAsync(container, output).ConfigureAwait(false);
            throw;
        }
    }

    public async Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, EngineContext context)
    {
        var cancellationToken = context.CancellationToken;
        var container = server.Id ?? ContainerName(server.Environment, server.Name);
        var deadline = DateTime.UtcNow + timeout;
        string? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            // One exec that waits inside the server (first boot writes the key within a second or
            // two) instead of polling with many execs, which are slow when many servers start at once.
            var waitSeconds = Math.Clamp((int)(deadline - DateTime.UtcNow).TotalSeconds, 1, 30);
            var script = $"i=0; while [ ! -s {HostKeyFile} ] && [ $i -lt {waitSeconds * 10} ]; do sleep 0.1; i=$((i+1)); done; sleep 0.05; exec cat {HostKeyFile}";
            var result = await Podman.RunAsync(["exec", "--", container, "/bin/sh", "-c", script], cancellationToken, TimeSpan.FromSeconds(waitSeconds + 30)).ConfigureAwait(false);
            var line = result.StdOut.Trim();
            if (result.Succeeded && OpenSshKeys.ParsePublicKeyLine(line) is not null)
            {
                return line;
            }

            lastError = result.StdErr.Trim();
            var state = await Podman.RunAsync(["container", "inspect", "--format", "{{.State.Status}}", "--", container], cancellationToken).ConfigureAwait(false);
            if (!state.Succeeded || state.StdOut.Trim() is not ("running" or "created" or "configured" or "initialized"))
            {
                var logs = await Podman.RunAsync(["logs", "--tail", "20", "--", container], cancellationToken).ConfigureAwait(false);
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation,
                    $"Container {container} is not running ({(state.Succeeded ? state.StdOut.Trim() : "gone")}) while waiting for its SSH host key: {ExternalProcess.Tail(logs.StdOut + logs.StdErr)}", server);
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }

        throw new DevOpsToolsException(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout,
            $"Server '{server.Environment}/{server.Name}' did not generate its SSH host key within {timeout.TotalSeconds:0} s: stuck reading the host key ({lastError})", server);
    }

    public async Task<IReadOnlyList<Server>> ListAsync(string? environment, EngineContext context)
    {
        var cancellationToken = context.CancellationToken;
        var arguments = new List<string> { "ps", "--all", "--format", "json", "--filter", $"label={ResourceLabels.Managed}=true" };
        if (environment is not null)
        {
            arguments.AddRange(["--filter", $"label={ResourceLabels.Environment}={environment}"]);
        }

        var json = await RunListingAsync(arguments, cancellationToken).ConfigureAwait(false);
        return ParseContainers(json, new KnownHostsStore(_options.Data), new SshKeyStore(_options.Data));
    }

    public async Task RemoveAsync(Server server, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var container = ContainerName(server.Environment, server.Name);
        var target = server.Id ?? container;
        var result = await Podman.RunAsync(["rm", "--force", "--ignore", "--time", "10", "--", target], cancellationToken, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.ServerRemoveFailed, ErrorKind.InvalidOperation,
                $"Removing server '{server.Environment}/{server.Name}' (container {container}) failed: {ExternalProcess.Tail(result.StdErr)}", server);
        }

        // Wait until podman no longer lists it.
        for (var i = 0; i < 60; i++)
        {
            if (!(await Podman.RunAsync(["container", "exists", "--", target], cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return;
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }

        throw new DevOpsToolsException(ErrorIds.ServerRemoveFailed, ErrorKind.OperationTimeout,
            $"Container {container} of server '{server.Environment}/{server.Name}' still exists 30 s after it was removed.", server);
    }

    public async Task RemoveEnvironmentResourcesAsync(EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var names = await Podman.RunCheckedAsync(
            ["network", "ls", "--filter", $"label={ResourceLabels.Environment}={environment.Name}", "--filter", $"label={ResourceLabels.Managed}=true", "--format", "{{.Name}}"],
            cancellationToken).ConfigureAwait(false);
        foreach (var network in names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var result = await Podman.RunAsync(["network", "rm", "--", network], cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded && (await Podman.RunAsync(["network", "exists", "--", network], CancellationToken.None).ConfigureAwait(false)).Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                    $"Podman network {network} of environment '{environment.Name}' could not be removed: {ExternalProcess.Tail(result.StdErr)}", network);
            }

            output.WriteVerbose($"Removed podman network {network}.");
        }
    }

    /// <summary>Where podman published the declared ports of a container it just started (random loopback ports).</summary>
    private async Task<IReadOnlyList<ServerEndpoint>> PublishedEndpointsAsync(string id, string container, IReadOnlyList<int> declared, CancellationToken cancellationToken)
    {
        var json = await Podman.RunCheckedAsync(["ps", "--all", "--format", "json", "--filter", $"id={id}"], cancellationToken, TimeSpan.FromSeconds(60), container, ErrorIds.ServerCreateFailed).ConfigureAwait(false);
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        var published = document.RootElement.EnumerateArray().Select(c => c.TryGetProperty("Ports", out var p) ? ParsePublishedPorts(p) : []).FirstOrDefault() ?? [];
        var endpoints = EndpointsOf(declared, published);
        if (endpoints.Count != declared.Count)
        {
            throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation,
                $"Podman did not report where it published the ports {ResourceLabels.FormatPorts(declared)} of container {container} (found {string.Join(", ", endpoints.Select(e => e.Port))}).", container);
        }

        return endpoints;
    }

    private async Task<string> RunListingAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await Podman.RunAsync(arguments, cancellationToken, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.ProviderUnavailable, ErrorKind.ResourceUnavailable,
                $"podman ps failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr)}", Name);
        }

        return result.StdOut;
    }

    private async Task RemoveContainerAsync(string container, IOutputSink output)
    {
        try
        {
            var result = await Podman.RunAsync(["rm", "--force", "--ignore", "--time", "5", "--", container], CancellationToken.None, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                output.WriteError(new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                    $"Container {container} was left behind after a failed create: {ExternalProcess.Tail(result.StdErr)}. Remove it with: podman rm -f {container}", container));
            }
        }
        catch (Exception ex) when (ex is TimeoutException or DevOpsToolsException)
        {
            output.WriteError(new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                $"Container {container} may have been left behind after a failed create ({ex.Message}). Remove it with: podman rm -f {container}", container));
        }
    }
}
