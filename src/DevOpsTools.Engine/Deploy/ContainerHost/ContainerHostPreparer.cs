using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>What preparing one container host did.</summary>
public sealed record ContainerHostPreparation(string Server, bool Changed, IReadOnlyList<string> Changes, string? Runtime, TimeSpan Duration)
{
    /// <summary>The server's image id of each image asked about ("" when it lacks one).</summary>
    public IReadOnlyDictionary<string, string> ImageIds { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Makes a server able to host containers, over the SSH layer (prepare-host.sh as root):
/// podman, crun, fuse-overlayfs and haproxy from the Debian mirror in one apt transaction when
/// missing; inside a Podman server also the nested configuration measured in PODMAN.md (crun,
/// cgroups disabled, cgroupfs, file events, no default sysctls, overlay through fuse-overlayfs)
/// and /dev/fuse usable (0666, again at every boot). Idempotent: a second run changes nothing.
/// A server without /dev/fuse or CAP_SYS_ADMIN fails with ServerNotContainerHost. The deploy
/// target calls it before its first deploy to a server.
/// </summary>
public sealed class ContainerHostPreparer
{
    /// <summary>The Debian packages a container host needs (haproxy is the deploys' reverse proxy).</summary>
    public static readonly IReadOnlyList<string> Packages = ["podman", "crun", "fuse-overlayfs", "haproxy"];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <param name="images">Images whose ids on the server to report once it is prepared (the same round trip).</param>
    public async Task<ContainerHostPreparation> PrepareAsync(IRemoteShell shell, EngineContext context, IReadOnlyList<string>? images = null)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(context);
        if (images?.FirstOrDefault(i => !Validation.IsImage(i)) is { } bad)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"'{Validation.Printable(bad)}' is not a valid image reference.", bad);
        }

        var server = shell.Server;
        var label = server.Label;
        var watch = Stopwatch.StartNew();
        context.Output.WriteVerbose($"Preparing container host {label}.");
        var result = await ContainerHostScript.RunAsync(shell, new Dictionary<string, string>
        {
            ["CH_ACTION"] = "prepare",
            ["CH_PACKAGES"] = string.Join(' ', Packages),
            ["CH_IMAGES"] = string.Join(' ', images ?? []),
        }, Timeout, context.CancellationToken).ConfigureAwait(false);
        if (result.ExitCode == ContainerHostScript.NotContainerHostExit)
        {
            throw ContainerHostScript.NotContainerHost(server, result);
        }

        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 || !lines.Any(l => l.StartsWith("result ", StringComparison.Ordinal)))
        {
            throw new DevOpsToolsException(ErrorIds.ContainerHostPrepareFailed, ErrorKind.InvalidOperation,
                $"Preparing container host {label} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr + result.StdOut)}", server)
            {
                RecommendedAction = "Check that the server reaches its Debian mirror (apt-get update) and has free disk space, then run again: preparing is idempotent.",
            };
        }

        var changes = lines.Where(l => l.StartsWith("changed ", StringComparison.Ordinal)).Select(l => l["changed ".Length..]).ToList();
        var runtime = lines.FirstOrDefault(l => l.StartsWith("podman ", StringComparison.Ordinal))?["podman ".Length..];
        var changed = lines.Last(l => l.StartsWith("result ", StringComparison.Ordinal)) == "result changed";
        context.Output.WriteVerbose(changed
            ? $"Container host {label} prepared in {watch.Elapsed.TotalSeconds:0.0} s: {string.Join("; ", changes)}."
            : $"Container host {label} was already prepared ({watch.Elapsed.TotalSeconds:0.0} s).");
        var ids = lines.Where(l => l.StartsWith("image ", StringComparison.Ordinal)).Select(l => l.Split(' ', 3))
            .Where(p => p.Length >= 2).ToDictionary(p => p[1], p => p.Length > 2 ? p[2].Trim() : string.Empty, StringComparer.Ordinal);
        return new ContainerHostPreparation(label, changed, changes, runtime, watch.Elapsed) { ImageIds = ids };
    }

    /// <summary>The same over a pooled SSH connection of the module's data (known hosts, keys): for callers without a shell factory.</summary>
    public async Task<ContainerHostPreparation> PrepareAsync(Server server, EngineContext context)
    {
        await using var pool = new SshConnectionPool(ModuleData.Default);
        await using var shell = pool.GetShell(server);
        return await PrepareAsync(shell, context).ConfigureAwait(false);
    }
}
