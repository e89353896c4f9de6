using System.Net;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Engine.Data;

/// <summary>
/// Data services in containers on this machine's Podman: host networking (so the service binds
/// 127.0.0.1 itself, as the apps' instances do), a named volume for the data, restart=always.
/// </summary>
public sealed class PodmanDataHost : IDataServiceHost
{
    private readonly PodmanCli _podman;

    public PodmanDataHost(PodmanCli podman)
    {
        _podman = podman;
    }

    public string Label => "this machine";

    public string Address => "127.0.0.1";

    public async Task<string> BaseImageAsync(bool build, EngineContext context)
    {
        var image = new PodmanImage(_podman);
        return build ? await image.EnsureAsync(context.Output, context.CancellationToken).ConfigureAwait(false) : PodmanImage.Reference;
    }

    public async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken) =>
        (await _podman.RunAsync(["image", "exists", "--", image], cancellationToken).ConfigureAwait(false)).Succeeded;

    public async Task BuildImageAsync(string image, string baseImage, IReadOnlyDictionary<string, string> files, EngineContext context)
    {
        var work = Path.Combine(Path.GetTempPath(), "devopstools-data-image-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            foreach (var (name, text) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(work, name), text, context.CancellationToken).ConfigureAwait(false);
            }

            // --network=host: apt in the build reaches the Debian mirror through this machine's resolver.
            var result = await _podman.RunAsync(
                ["build", "--quiet", "--pull=never", "--network=host", "--build-arg", $"BASE={baseImage}", "--tag", image, "-f", Path.Combine(work, "Containerfile"), "--", work],
                context.CancellationToken, TimeSpan.FromMinutes(15)).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.ImageBuildFailed, ErrorKind.InvalidOperation,
                    $"Building the data service image {image} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr + result.StdOut, 10)}", image)
                {
                    RecommendedAction = "Check that the Debian mirror is reachable from this machine (apt-get update).",
                };
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public async Task<bool> VolumeExistsAsync(string volume, CancellationToken cancellationToken) =>
        (await _podman.RunAsync(["volume", "exists", "--", volume], cancellationToken).ConfigureAwait(false)).Succeeded;

    public Task CreateVolumeAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        _podman.RunCheckedAsync(["volume", "create", .. LabelArguments(labels), "--", volume], cancellationToken, target: volume);

    public async Task<long?> FreeVolumeBytesAsync(CancellationToken cancellationToken)
    {
        var result = await _podman.RunAsync(["info", "--format", "{{.Store.GraphRoot}}"], cancellationToken).ConfigureAwait(false);
        var root = result.StdOut.Trim();
        if (!result.Succeeded || root.Length == 0)
        {
            return null;
        }

        // The graph root may not exist yet on a fresh machine: its nearest existing parent is the filesystem.
        var dir = new DirectoryInfo(root);
        while (dir is not null && !dir.Exists)
        {
            dir = dir.Parent;
        }

        return dir is null ? null : new DriveInfo(dir.FullName).AvailableFreeSpace;
    }

    public async Task<DataContainerState?> InspectContainerAsync(string name, CancellationToken cancellationToken)
    {
        var result = await _podman.RunAsync(["container", "inspect", "--format", "{{.State.Running}} {{.ImageName}} {{index .Config.Labels \"devopstools.config\"}}", "--", name], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return null;
        }

        var parts = result.StdOut.Trim().Split(' ', 3);
        var hash = parts.Length > 2 && parts[2].Length > 0 && parts[2] != "<no value>" ? parts[2] : null;
        return new DataContainerState(parts[0] == "true", hash, parts.Length > 1 ? parts[1] : null);
    }

    public Task RunContainerAsync(DataContainerSpec spec, CancellationToken cancellationToken) =>
        _podman.RunCheckedAsync(
            ["run", "-d", "--replace", "--name", spec.Name, "--network=host", "--restart=always", .. LabelArguments(spec.Labels),
             "--env", $"PGPORT={spec.Port}", "--volume", $"{spec.Volume}:/var/lib/postgresql/data", "--", spec.Image],
            cancellationToken, target: spec.Name, errorId: ErrorIds.DataServiceFailed);

    public async Task RemoveContainerAsync(string name, CancellationToken cancellationToken)
    {
        // SIGINT (the image's stop signal) is a fast shutdown with a checkpoint: 30 s is plenty.
        await _podman.RunCheckedAsync(["rm", "-f", "-t", "30", "--ignore", "--", name], cancellationToken, TimeSpan.FromMinutes(1), name).ConfigureAwait(false);
    }

    public Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> secretEnvironment, string? stdin, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "exec" };
        if (stdin is not null)
        {
            arguments.Add("-i");
        }

        foreach (var name in secretEnvironment.Keys)
        {
            arguments.Add("--env");
            arguments.Add(name);
        }

        arguments.Add("--");
        arguments.Add(container);
        arguments.AddRange(command);
        return _podman.RunWithEnvironmentAsync(arguments, secretEnvironment, stdin, cancellationToken);
    }

    public Task<ProcessResult> ExecToStreamAsync(string container, IReadOnlyList<string> command, Stream output, CancellationToken cancellationToken) =>
        _podman.RunStreamingAsync(["exec", "--", container, .. command], output, null, cancellationToken);

    public Task<ProcessResult> ExecFromStreamAsync(string container, IReadOnlyList<string> command, Stream input, CancellationToken cancellationToken) =>
        _podman.RunStreamingAsync(["exec", "-i", "--", container, .. command], null, input, cancellationToken);

    public async Task<string> LogsAsync(string container, int tail, CancellationToken cancellationToken)
    {
        var result = await _podman.RunAsync(["logs", "--tail", tail.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", container], cancellationToken).ConfigureAwait(false);
        return (result.StdErr + result.StdOut).Trim();
    }

    public Task RemoveVolumeAsync(string volume, CancellationToken cancellationToken) =>
        _podman.RunCheckedAsync(["volume", "rm", "-f", "--", volume], cancellationToken, target: volume);

    public int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public bool IsPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The data services whose containers are on this machine: environment, name, running (for completion).</summary>
    public async Task<IReadOnlyList<(string Environment, string Name, bool Running)>> ListAsync(CancellationToken cancellationToken)
    {
        var result = await _podman.RunAsync(["ps", "-a", "--filter", "label=devopstools.role=data",
            "--format", "{{index .Labels \"devopstools.environment\"}} {{index .Labels \"devopstools.data\"}} {{.State}}"], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return [];
        }

        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' '))
            .Where(p => p.Length == 3)
            .Select(p => (p[0], p[1], p[2] == "running"))
            .ToList();
    }

    private static IEnumerable<string> LabelArguments(IReadOnlyDictionary<string, string> labels) =>
        labels.SelectMany(l => new[] { "--label", $"{l.Key}={l.Value}" });
}
