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
