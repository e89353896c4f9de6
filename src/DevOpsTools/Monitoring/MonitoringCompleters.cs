using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Prometheus;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>Tab completion of the environments whose monitoring stack is installed on this machine.</summary>
public sealed class MonitoringEnvironmentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            return new MonitoringInstaller(ModuleData.Default).InstalledEnvironments()
                .Where(e => e.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                .Select(e => new CompletionResult(e, e, CompletionResultType.ParameterValue, $"monitoring of {e} on this machine"))
                .ToList();
        }
        catch (Exception)
        {
            // Completion never fails the command line.
            return [];
        }
    }
}
