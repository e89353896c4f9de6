using System.Text;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// Runs Resources/deploy/prepare-host.sh on a server as root, its values passed as quoted
/// environment assignments in front of the script (data, never code), and reads its protocol.
/// </summary>
internal static partial class ContainerHostScript
{
    /// <summary>The script's exit code when the server lacks /dev/fuse or CAP_SYS_ADMIN.</summary>
    internal const int NotContainerHostExit = 10;

    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(ContainerHostScript).Assembly.GetManifestResourceStream("deploy/prepare-host.sh")
            ?? throw new InvalidOperationException("Resource deploy/prepare-host.sh is missing from the engine assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    });

    /// <summary>The script with its variables set; each name is CH_[A-Z_]+ and each value one line of printable text.</summary>
    internal static string Build(IReadOnlyDictionary<string, string> variables)
    {
        var script = new StringBuilder();
        foreach (var (name, value) in variables)
        {
            if (!VariableName().IsMatch(name) || value.Any(c => char.IsControl(c)))
            {
                throw new ArgumentException($"Variable {name} is not a valid prepare-host.sh input.", nameof(variables));
            }

            script.Append(name).Append('=').Append(ScriptBuilder.Quote(value)).Append("; export ").Append(name).Append('\n');
        }

        return script.Append(Text.Value).ToString();
    }

    internal static async Task<RemoteResult> RunAsync(IRemoteShell shell, IReadOnlyDictionary<string, string> variables, TimeSpan timeout, CancellationToken cancellationToken) =>
        await shell.RunAsync(Build(variables), sudo: true, timeout, cancellationToken).ConfigureAwait(false);

    /// <summary>The value of the last "id ..." line ("" when the server has no such image).</summary>
    internal static string ReadId(RemoteResult result) =>
        result.StdOut.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith("id", StringComparison.Ordinal))?[2..].Trim() ?? string.Empty;

    internal static DevOpsToolsException NotContainerHost(Server server, RemoteResult result)
    {
        var missing = result.StdErr.Trim().Replace("missing:", string.Empty, StringComparison.Ordinal).Trim();
        return new DevOpsToolsException(ErrorIds.ServerNotContainerHost, ErrorKind.InvalidOperation,
            $"Server '{server.Label}' cannot run containers: it has no {missing}. " +
            (server.Provider == "Podman"
                ? "A Podman server gets SYS_ADMIN and /dev/fuse only when it is created as a container host: re-create it with New-Server -ContainerHost (or containerHost: true on its server group in the environment file)."
                : "Give the machine /dev/fuse and root with CAP_SYS_ADMIN (a VM or host, not an unprivileged container), or use a server made with New-Server -ContainerHost (containerHost: true)."),
            server)
        {
            RecommendedAction = "Remove-Server, then New-Server -ContainerHost (or set containerHost: true on the server group and create it again).",
        };
    }

    [GeneratedRegex("^CH_[A-Z_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();
}
