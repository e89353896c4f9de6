using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>
/// Where app volumes live: the seam between the volume backup logic (<see cref="VolumeBackups"/>)
/// and the container engine. This machine's Podman implements it (<see cref="PodmanVolumeHost"/>), and a
/// container-host server's over SSH (<see cref="SshVolumeHost"/>).
/// Volume names are validated before they get here and are passed as data, never shell text.
/// </summary>
public interface IVolumeHost
{
    /// <summary>For messages: "this machine", "server test/web-1".</summary>
    string Label { get; }

    /// <summary>The server the volumes are on (recorded in a backup's manifest, restored there); null for this machine.</summary>
    Server? Server => null;

    /// <summary>The container engine's version, recorded in a backup's manifest.</summary>
    Task<string> VersionAsync(CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string volume, CancellationToken cancellationToken);

    Task CreateAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>The names of the running containers that mount the volume (empty: none).</summary>
    Task<IReadOnlyList<string>> RunningUsersAsync(string volume, CancellationToken cancellationToken);

    /// <summary>Whether the volume holds any file or directory.</summary>
    Task<bool> HasDataAsync(string volume, CancellationToken cancellationToken);

    /// <summary>Removes everything in the volume (the volume itself stays, with its labels and options).</summary>
    Task ClearAsync(string volume, CancellationToken cancellationToken);

    /// <summary>Writes the volume's content as a tar archive to <paramref name="output"/>, streamed.</summary>
    Task<ProcessResult> ExportAsync(string volume, Stream output, CancellationToken cancellationToken);

    /// <summary>Unpacks the tar archive read from <paramref name="input"/> into the volume, streamed.</summary>
    Task<ProcessResult> ImportAsync(string volume, Stream input, CancellationToken cancellationToken);

    /// <summary>The Podman volumes the app's deployed revisions on this host mount (empty when it has no deployment here).</summary>
    Task<IReadOnlyList<string>> DeclaredVolumesAsync(string environment, string app, CancellationToken cancellationToken);
}
