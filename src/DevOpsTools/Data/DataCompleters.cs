using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Commands.Data;

/// <summary>Tab completion of the data services whose containers are on this machine, as podman lists them (nothing when it cannot answer in time).</summary>
public sealed class DataServiceNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<(string Environment, string Name, bool Running)> services;
        using var budget = new CancellationTokenSource(Budget);
        try
        {
            var listing = Task.Run(() => new PodmanDataHost(PodmanCli.Locate()).ListAsync(budget.Token), budget.Token);
            services = listing.Wait(Budget) ? listing.Result : [];
        }
        catch (Exception)
        {
            // Completion never fails the command line: no podman, a time-out.
            return [];
        }

        return services
            .Where(s => s.Name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue,
                string.Join(", ", g.Select(s => $"{s.Environment}/{s.Name} ({(s.Running ? "running" : "stopped")})"))));
    }
}

/// <summary>
/// Tab completion for app volume backups: environments and apps from the deployments on this
/// machine (the local deploy state), an app's volumes from podman's volumes of the bound app, a
/// restore's target from all of podman's volumes.
/// </summary>
public sealed class AppVolumeCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        static string? Bound(IDictionary bound, string name) => bound?[name] switch { PSObject o => o.BaseObject as string, string s => s, _ => null };
        var environment = Bound(fakeBoundParameters, "Environment");
        var app = Bound(fakeBoundParameters, "App");
        IEnumerable<string> values;
        try
        {
            var deployRoot = System.IO.Path.Combine(DevOpsTools.Engine.Core.ModuleData.Default.Root, "deploy");
            values = parameterName switch
            {
                "Environment" => Names(deployRoot),
                "App" => environment is null ? Names(deployRoot).SelectMany(e => Names(System.IO.Path.Combine(deployRoot, e))).Distinct() : Names(System.IO.Path.Combine(deployRoot, environment)),
                "TargetVolume" => AllVolumes(),
                _ => environment is null || app is null ? [] : AllVolumes().Where(v => v.StartsWith(VolumePrefix(environment, app), StringComparison.Ordinal) && v.Length > VolumePrefix(environment, app).Length)
                    .Select(v => v[VolumePrefix(environment, app).Length..]),
            };
        }
        catch (Exception)
        {
            // Completion never fails the command line: no podman, a time-out, an unreadable directory.
            return [];
        }

        return values.Where(v => v.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Select(v => new CompletionResult(v));
    }

    private static IEnumerable<string> Names(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateDirectories(directory).Select(d => System.IO.Path.GetFileName(d)!) : [];

    private static string VolumePrefix(string environment, string app) => DevOpsTools.Engine.Data.Volumes.VolumeBackupNames.PodmanVolume(environment, app, string.Empty);

    /// <summary>The names of podman's volumes on this machine (none when it cannot answer in time).</summary>
    private static IReadOnlyList<string> AllVolumes()
    {
        using var budget = new CancellationTokenSource(Budget);
        var listing = Task.Run(() => PodmanCli.Locate().RunAsync(["volume", "ls", "--format", "{{.Name}}"], budget.Token), budget.Token);
        if (!listing.Wait(Budget) || !listing.Result.Succeeded)
        {
            return [];
        }

        return listing.Result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
