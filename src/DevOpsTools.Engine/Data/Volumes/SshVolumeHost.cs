using System.Text;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>
/// Volumes of a container-host server's Podman, over the SSH layer: every command is
/// Resources/data/volume-host.sh run as root, its words (action, volume, labels) passed as
/// quoted `set --` data; the archive streams through the SSH channel both ways, never held in
/// memory. The declared volumes come from the app's deploy state on the server, read by the
/// container-host step that Deploy-App itself reads it with.
/// </summary>
public sealed class SshVolumeHost : IVolumeHost
{
    public const string Resource = "volume-host.sh";

    /// <summary>Short commands; Ctrl+C ends them at once all the same.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    /// <summary>An archive of a large volume may take long to stream.</summary>
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromHours(6);

    private readonly IRemoteShell _shell;

    public SshVolumeHost(IRemoteShell shell)
    {
        _shell = shell;
    }

    public string Label => $"server {_shell.Server.Label}";

    public Server? Server => _shell.Server;

    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["version"], cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 && result.StdOut.Trim().Length > 0 ? result.StdOut.Trim() : "unknown";
    }

    public async Task<bool> ExistsAsync(string volume, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["exists", Checked(volume)], cancellationToken).ConfigureAwait(false);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            // podman missing or failing: the server was never prepared as a container host.
            _ => throw Failed("podman volume exists", volume, result, ErrorIds.ServerNotContainerHost),
        };
    }

    public async Task CreateAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        Succeeded(await RunAsync(["create", Checked(volume), .. labels.Select(l => $"{l.Key}={l.Value}")], cancellationToken).ConfigureAwait(false), "podman volume create", volume);

    public async Task<IReadOnlyList<string>> RunningUsersAsync(string volume, CancellationToken cancellationToken)
    {
        var result = Succeeded(await RunAsync(["users", Checked(volume)], cancellationToken).ConfigureAwait(false), "podman ps", volume);
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<bool> HasDataAsync(string volume, CancellationToken cancellationToken) =>
        Succeeded(await RunAsync(["has-data", Checked(volume)], cancellationToken).ConfigureAwait(false), "reading the volume's directory", volume).StdOut.Trim() == "yes";

    public async Task ClearAsync(string volume, CancellationToken cancellationToken) =>
        Succeeded(await RunAsync(["clear", Checked(volume)], cancellationToken).ConfigureAwait(false), "emptying the volume", volume);

    public async Task<ProcessResult> ExportAsync(string volume, Stream output, CancellationToken cancellationToken)
    {
        var result = await _shell.RunToStreamAsync(Script(["export", Checked(volume)]), sudo: true, StreamTimeout, output, cancellationToken).ConfigureAwait(false);
        return new ProcessResult(result.ExitCode, string.Empty, result.StdErr, result.Duration);
    }

    public async Task<ProcessResult> ImportAsync(string volume, Stream input, CancellationToken cancellationToken)
    {
        var result = await _shell.RunFromStreamAsync(Script(["import", Checked(volume)]), sudo: true, StreamTimeout, input, cancellationToken).ConfigureAwait(false);
        return new ProcessResult(result.ExitCode, result.StdOut, result.StdErr, result.Duration);
    }

    public async Task<IReadOnlyList<string>> DeclaredVolumesAsync(string environment, string app, CancellationToken cancellationToken)
    {
        // The same step and state directory Deploy-App uses on a server (DEPLOY_DIR/state.json).
        var steps = new HostSteps(new RemoteHostScriptRunner(_shell), new ContainerHostOptions { BaseImage = PodmanImage.Reference, Supervisor = "systemd" });
        return VolumeBackupNames.DeclaredVolumes(await steps.ReadStateAsync(app, environment, EngineContext.Silent(cancellationToken)).ConfigureAwait(false));
    }

    /// <summary>The resource with its words set in front: `set --` and each word single-quoted (data, never code).</summary>
    internal static string Script(IReadOnlyList<string> words)
    {
        if (words.Any(w => w.Any(char.IsControl)))
        {
            throw new ArgumentException($"A word of {Resource} holds a control character.", nameof(words));
        }

        return new StringBuilder("set -- ").AppendJoin(' ', words.Select(ScriptBuilder.Quote)).Append('\n').Append(DataResources.Read(Resource)).ToString();
    }

    /// <summary>A volume name reaches the server only when it is one podman accepts.</summary>
    internal static string Checked(string volume) => VolumeBackupNames.IsPodmanVolumeName(volume)
        ? volume
        : throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
            $"'{Validation.Printable(volume)}' is not a Podman volume name (letters, digits, '_', '.', '-', starting with a letter or digit); nothing was sent to the server.", volume);

    private Task<RemoteResult> RunAsync(IReadOnlyList<string> words, CancellationToken cancellationToken) =>
        _shell.RunAsync(Script(words), sudo: true, CommandTimeout, cancellationToken);

    private RemoteResult Succeeded(RemoteResult result, string what, string volume) =>
        result.ExitCode == 0 ? result : throw Failed(what, volume, result);

    private DevOpsToolsException Failed(string what, string volume, RemoteResult result, string errorId = ErrorIds.RestoreFailed) =>
        new(errorId, ErrorKind.InvalidOperation,
            $"{what} for volume {volume} on {Label} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr, 6)}", volume);
}
