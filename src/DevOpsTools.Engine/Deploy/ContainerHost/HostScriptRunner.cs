using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

public sealed record HostScriptResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Where the container-host steps (Resources/deploy/container-host.sh) run: this machine (a
/// local sh) or a server (over <see cref="IRemoteShell"/>). Values arrive as environment
/// variables and arguments, never as code.
/// </summary>
public interface IHostScriptRunner
{
    /// <summary>"local" or the server's name.</summary>
    string Name { get; }

    /// <summary>The server for Host targets; null for this machine.</summary>
    Server? Server { get; }

    Task<HostScriptResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellationToken);
}

internal static class DeployScripts
{
    public const string ContainerHost = "deploy/container-host.sh";

    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(DeployScripts).Assembly.GetManifestResourceStream(ContainerHost)
            ?? throw new InvalidOperationException($"Resource {ContainerHost} is missing from the engine assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    });

    public static string Script => Text.Value;

    /// <summary>Single-quotes a value as one sh word.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>Runs the steps on this machine with a local sh (as the current user; podman needs root here).</summary>
public sealed class LocalHostScriptRunner : IHostScriptRunner
{
    private readonly IReadOnlyDictionary<string, string> _baseEnvironment;

    /// <param name="baseEnvironment">Added to every run (CONTAINERS_CONF when the module supplies podman's configuration).</param>
    public LocalHostScriptRunner(IReadOnlyDictionary<string, string>? baseEnvironment = null)
    {
        _baseEnvironment = baseEnvironment ?? new Dictionary<string, string>();
    }

    public string Name => "local";

    public Server? Server => null;

    public async Task<HostScriptResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var env = _baseEnvironment.Concat(environment).ToDictionary(p => p.Key, p => (string?)p.Value);
        var result = await ExternalProcess.RunAsync("sh", ["-c", DeployScripts.Script, "container-host.sh", .. arguments], cancellationToken, env, timeout: timeout, onOutputLine: onLine).ConfigureAwait(false);
        return new HostScriptResult(result.ExitCode, result.StdOut, result.StdErr);
    }
}

/// <summary>Runs the steps on a server as root over the SSH layer: exported variables and `set --` words, then the resource.</summary>
public sealed class RemoteHostScriptRunner : IHostScriptRunner
{
    private readonly IRemoteShell _shell;

    public RemoteHostScriptRunner(IRemoteShell shell)
    {
        _shell = shell;
    }

    public string Name => _shell.Server.Name;

    public Server? Server => _shell.Server;

    public async Task<HostScriptResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var script = new System.Text.StringBuilder();
        foreach (var (key, value) in environment)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(key, "^[A-Z_][A-Z0-9_]*$"))
            {
                throw new ArgumentException($"'{key}' is not an environment variable name.", nameof(environment));
            }

            script.Append("export ").Append(key).Append('=').Append(DeployScripts.Quote(value)).Append('\n');
        }

        script.Append("set -- ").AppendJoin(' ', arguments.Select(DeployScripts.Quote)).Append('\n');
        script.Append(DeployScripts.Script);
        var result = onLine is null
            ? await _shell.RunAsync(script.ToString(), sudo: true, timeout, cancellationToken).ConfigureAwait(false)
            : await _shell.RunAsync(script.ToString(), sudo: true, timeout, line => onLine(line.Text), cancellationToken).ConfigureAwait(false);
        return new HostScriptResult(result.ExitCode, result.StdOut, result.StdErr);
    }
}
