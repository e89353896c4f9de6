using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Podman;

/// <summary>
/// Runs the podman CLI. When the user has no podman engine configuration of their own (no
/// CONTAINERS_CONF, no /etc/containers/containers.conf, no ~/.config/containers/containers.conf),
/// podman is started with CONTAINERS_CONF pointing at the module's podman/containers.conf
/// (runc, cgroupfs, modest ulimits), which works on hosts where podman's defaults do not.
/// </summary>
public sealed class PodmanCli
{
    public const string InstallCommand = "apt-get install -y podman runc";

    private readonly string _podman;
    private readonly IReadOnlyDictionary<string, string?> _environment;

    private PodmanCli(string podman, IReadOnlyDictionary<string, string?> environment)
    {
        _podman = podman;
        _environment = environment;
    }

    /// <summary>The containers.conf given to podman, or null when the user's own configuration is used.</summary>
    public string? ContainersConf => _environment.TryGetValue("CONTAINERS_CONF", out var value) ? value : null;

    public static PodmanCli Locate()
    {
        var podman = ExternalProcess.FindOnPath("podman")
            ?? throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled,
                $"podman is not installed; the Podman server provider needs it. On Debian/Ubuntu run as root: {InstallCommand}", "podman")
            {
                RecommendedAction = InstallCommand,
            };
        return new PodmanCli(podman, BuildEnvironment());
    }

    public static Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONTAINERS_CONF")))
        {
            return environment;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var userConf = Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".config") : xdg, "containers", "containers.conf");
        if (File.Exists("/etc/containers/containers.conf") || File.Exists(userConf))
        {
            return environment;
        }

        if (ModuleContainersConf() is { } moduleConf)
        {
            environment["CONTAINERS_CONF"] = moduleConf;
        }

        return environment;
    }

    /// <summary>&lt;module&gt;/podman/containers.conf (the engine lives in &lt;module&gt;/Dependencies).</summary>
    public static string? ModuleContainersConf()
    {
        var engineDir = Path.GetDirectoryName(typeof(PodmanCli).Assembly.Location);
        if (string.IsNullOrEmpty(engineDir))
        {
            return null;
        }

        foreach (var candidate in new[] { Path.Combine(engineDir, "..", "podman", "containers.conf"), Path.Combine(engineDir, "podman", "containers.conf") })
        {
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null, string? stdin = null) =>
        ExternalProcess.RunAsync(_podman, arguments, cancellationToken, _environment, stdin, timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>
    /// Runs podman with extra variables in its own environment: `podman exec --env NAME` (no value)
    /// hands them to the program in the container, so a secret never appears on a command line.
    /// </summary>
    public Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string? stdin, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var merged = new Dictionary<string, string?>(_environment, StringComparer.Ordinal);
        foreach (var (key, value) in environment)
        {
            merged[key] = value;
        }

        return ExternalProcess.RunAsync(_podman, arguments, cancellationToken, merged, stdin, timeout ?? TimeSpan.FromMinutes(2));
    }

    /// <summary>Runs podman with binary standard output or input (pg_dump archives).</summary>
    public Task<ProcessResult> RunStreamingAsync(IReadOnlyList<string> arguments, Stream? output, Stream? input, CancellationToken cancellationToken) =>
        StreamingProcess.RunAsync(_podman, arguments, _environment, output, input, cancellationToken);

    /// <summary>Runs podman and throws on a non-zero exit, naming the podman sub-command and its error output.</summary>
    public async Task<string> RunCheckedAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null, object? target = null, string errorId = ErrorIds.ExternalCommandFailed)
    {
        var result = await RunAsync(arguments, cancellationToken, timeout).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(errorId, ErrorKind.InvalidOperation,
                $"podman {string.Join(' ', arguments.Take(2))} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut)}", target);
        }

        return result.StdOut;
    }

    /// <summary>Runs a program with podman's environment (the image build script calls podman import).</summary>
    public Task<ProcessResult> RunToolAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan timeout, Action<string>? onOutputLine) =>
        ExternalProcess.RunAsync(fileName, arguments, cancellationToken, _environment, null, timeout, onOutputLine);
}
