using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>
/// Volumes of this machine's Podman (root, the local driver): export and import stream the tar
/// archive through podman itself; whether a volume has data, and clearing it, work on its mount
/// point, so no helper image is needed. The apps' deploy state (for an app's declared volumes) is
/// the local container host's, under the module data directory.
/// </summary>
public sealed class PodmanVolumeHost : IVolumeHost
{
    private readonly PodmanCli _podman;
    private readonly ModuleData _data;

    public PodmanVolumeHost(PodmanCli podman, ModuleData data)
    {
        _podman = podman;
        _data = data;
    }

    public string Label => "this machine";

    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var result = await _podman.RunAsync(["version", "--format", "{{.Client.Version}}"], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.StdOut.Trim() : "unknown";
    }

    public async Task<bool> ExistsAsync(string volume, CancellationToken cancellationToken) =>
        (await _podman.RunAsync(["volume", "exists", "--", volume], cancellationToken).ConfigureAwait(false)).Succeeded;

    public Task CreateAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        _podman.RunCheckedAsync(["volume", "create", .. labels.SelectMany(l => new[] { "--label", $"{l.Key}={l.Value}" }), "--", volume], cancellationToken, target: volume);

    public async Task<IReadOnlyList<string>> RunningUsersAsync(string volume, CancellationToken cancellationToken)
    {
        var output = await _podman.RunCheckedAsync(["ps", "--filter", $"volume={volume}", "--format", "{{.Names}}"], cancellationToken, target: volume).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<bool> HasDataAsync(string volume, CancellationToken cancellationToken) =>
        Directory.EnumerateFileSystemEntries(await MountPointAsync(volume, cancellationToken).ConfigureAwait(false)).Any();

    public async Task ClearAsync(string volume, CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(await MountPointAsync(volume, cancellationToken).ConfigureAwait(false));
        foreach (var entry in root.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A link is removed as a link: nothing outside the volume is ever followed.
            if (entry is DirectoryInfo directory && directory.LinkTarget is null)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    public Task<ProcessResult> ExportAsync(string volume, Stream output, CancellationToken cancellationToken) =>
        _podman.RunStreamingAsync(["volume", "export", "--", volume], output, null, cancellationToken);

    public Task<ProcessResult> ImportAsync(string volume, Stream input, CancellationToken cancellationToken) =>
        _podman.RunStreamingAsync(["volume", "import", "--", volume, "-"], null, input, cancellationToken);

    public async Task<IReadOnlyList<string>> DeclaredVolumesAsync(string environment, string app, CancellationToken cancellationToken)
    {
        var file = Path.Combine(_data.Root, "deploy", environment, app, "state.json");
        if (!File.Exists(file))
        {
            return [];
        }

        var state = HostState.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
        return VolumeBackupNames.DeclaredVolumes(state);
    }

    /// <summary>The volume's directory on this machine; a volume without one (another driver) is refused by name.</summary>
    private async Task<string> MountPointAsync(string volume, CancellationToken cancellationToken)
    {
        var path = (await _podman.RunCheckedAsync(["volume", "inspect", "--format", "{{.Mountpoint}}", "--", volume], cancellationToken, target: volume).ConfigureAwait(false)).Trim();
        if (!Path.IsPathFullyQualified(path) || Path.GetFullPath(path) == Path.GetPathRoot(path) || !Directory.Exists(path))
        {
            throw new DevOpsToolsException(ErrorIds.RestoreFailed, ErrorKind.InvalidOperation,
                $"Volume {volume} has no directory on {Label} ('{path}'): only volumes of Podman's local driver can be restored.", volume);
        }

        return path;
    }
}
