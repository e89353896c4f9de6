using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>What moving one image to one server did.</summary>
public sealed record ContainerImageTransferResult(string Server, string Image, string ImageId, bool Skipped, long BytesSent, TimeSpan Duration);

/// <summary>
/// Moves a local image to a container host without a registry and without rebuilding it:
/// `podman save` here (gzip), upload through the SSH layer (SFTP, SHA-256 verified), `podman
/// load` on the server, then the server's image id is checked against this machine's. Skipped
/// when the server already has the same image id.
/// </summary>
public sealed partial class ContainerImageTransfer
{
    private readonly PodmanCli _podman;

    public ContainerImageTransfer(PodmanCli? podman = null)
    {
        _podman = podman ?? PodmanCli.Locate();
    }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    public async Task<ContainerImageTransferResult> TransferAsync(IRemoteShell shell, string image, EngineContext context) =>
        await TransferAsync(shell, image, await LocalIdAsync(image, context).ConfigureAwait(false), context).ConfigureAwait(false);

    /// <summary>The image id of <paramref name="image"/> in this machine's podman storage; ContainerImageTransferFailed when it is not there.</summary>
    public async Task<string> LocalIdAsync(string image, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Validation.IsImage(image))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"'{image}' is not a valid image reference (such as localhost/app:1 or registry.example/app@sha256:<digest>).", image);
        }

        var local = await _podman.RunAsync(["image", "inspect", "--format", "{{.Id}}", "--", image], context.CancellationToken, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var id = local.StdOut.Trim();
        if (!local.Succeeded || !ImageId().IsMatch(id))
        {
            throw new DevOpsToolsException(ErrorIds.ContainerImageTransferFailed, ErrorKind.ObjectNotFound,
                $"Image {image} is not in this machine's podman storage ({ExternalProcess.Tail(local.StdErr)}): build or pull it first.", image);
        }

        return id;
    }

    /// <summary>Sends <paramref name="image"/>, whose id here is <paramref name="id"/> (<see cref="LocalIdAsync"/>), unless the server has that id.</summary>
    /// <param name="remoteId">The image's id on the server when the caller has just read it (the preparer reports it): no second read.</param>
    public async Task<ContainerImageTransferResult> TransferAsync(IRemoteShell shell, string image, string id, EngineContext context, string? remoteId = null)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(context);
        if (!Validation.IsImage(image) || !ImageId().IsMatch(id))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"'{Validation.Printable(image)}' is not a valid image reference or '{Validation.Printable(id)}' not an image id.", image);
        }

        var server = shell.Server;
        var label = server.Label;
        var cancellationToken = context.CancellationToken;
        var watch = Stopwatch.StartNew();
        var remote = remoteId ?? await RunAsync(shell, new() { ["CH_ACTION"] = "image-id", ["CH_IMAGE"] = image }, label, cancellationToken).ConfigureAwait(false);
        if (string.Equals(remote, id, StringComparison.Ordinal))
        {
            context.Output.WriteVerbose($"{label} already has {image} ({id[..12]}): not sent.");
            return new ContainerImageTransferResult(label, image, id, Skipped: true, 0, watch.Elapsed);
        }

        var directory = Directory.CreateTempSubdirectory("devopstools-image-");
        var archive = Path.Combine(directory.FullName, "image.tar.gz");
        try
        {
            var saved = Path.Combine(directory.FullName, "image.tar");
            await _podman.RunCheckedAsync(["save", "--format", "docker-archive", "--output", saved, "--", image], cancellationToken, Timeout, image, ErrorIds.ContainerImageTransferFailed).ConfigureAwait(false);
            await using (var input = File.OpenRead(saved))
            await using (var output = File.Create(archive))
            await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            {
                await input.CopyToAsync(gzip, cancellationToken).ConfigureAwait(false);
            }

            File.Delete(saved);
            var remoteArchive = $"/var/tmp/devopstools-image-{id[..12]}.tar.gz";
            long bytes;
            await using (var content = File.OpenRead(archive))
            {
                bytes = content.Length;
                context.Output.WriteVerbose($"Sending {image} ({bytes / 1048576.0:0.0} MiB compressed) to {label}.");
                await shell.UploadAsync(content, new RemoteFileTarget(remoteArchive, "0600"), cancellationToken).ConfigureAwait(false);
            }

            var loaded = await RunAsync(shell, new() { ["CH_ACTION"] = "image-load", ["CH_IMAGE"] = image, ["CH_ARCHIVE"] = remoteArchive }, label, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(loaded, id, StringComparison.Ordinal))
            {
                throw new DevOpsToolsException(ErrorIds.ContainerImageTransferFailed, ErrorKind.InvalidData,
                    $"After podman load, {label} has {image} as '{loaded}', not {id} as on this machine.", server);
            }

            context.Output.WriteVerbose($"{label} loaded {image} ({id[..12]}) in {watch.Elapsed.TotalSeconds:0.0} s.");
            return new ContainerImageTransferResult(label, image, id, Skipped: false, bytes, watch.Elapsed);
        }
        finally
        {
            foreach (var file in directory.GetFiles())
            {
                file.Delete();
            }

            directory.Delete();
        }
    }

    /// <summary>The same over a pooled SSH connection of the module's data: for callers without a shell factory.</summary>
    public async Task<ContainerImageTransferResult> TransferAsync(Server server, string image, EngineContext context)
    {
        await using var pool = new SshConnectionPool(ModuleData.Default);
        await using var shell = pool.GetShell(server);
        return await TransferAsync(shell, image, context).ConfigureAwait(false);
    }

    private async Task<string> RunAsync(IRemoteShell shell, Dictionary<string, string> variables, string label, CancellationToken cancellationToken)
    {
        var result = await ContainerHostScript.RunAsync(shell, variables, Timeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new DevOpsToolsException(ErrorIds.ContainerImageTransferFailed, ErrorKind.InvalidOperation,
                $"{variables["CH_ACTION"]} of {variables["CH_IMAGE"]} on {label} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr)}", shell.Server)
            {
                RecommendedAction = "Prepare the server as a container host first (ContainerHostPreparer), and check its free disk space in /var.",
            };
        }

        return ContainerHostScript.ReadId(result);
    }

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageId();
}
