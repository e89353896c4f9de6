using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Commands.Servers;

/// <summary>Tab completion of provider names from the provider registry; other names still bind and ServerManager reports UnknownProvider.</summary>
public sealed class ProviderNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ServerProviderRegistry.Names
            .Where(n => n.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n));
}

/// <summary>Tab completion of the portable sizes.</summary>
public sealed class SizeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ServerSizes.Names
            .Where(n => n.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n));
}

/// <summary>Tab completion of the names of existing servers (of -Provider, in -Environment when given), as the provider lists them.</summary>
public sealed class ServerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ExistingServers.List(fakeBoundParameters, ExistingServers.Text(fakeBoundParameters, "Environment"))
            .Where(s => s.Name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue,
                string.Join(", ", g.Select(s => $"{s.Environment}/{s.Name} ({s.State})"))));
}

/// <summary>Tab completion of the environments that have servers (of -Provider).</summary>
public sealed class ServerEnvironmentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ExistingServers.List(fakeBoundParameters, environment: null)
            .Where(s => s.Environment.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.Environment, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue, $"{g.Key}: {g.Count()} server(s)"));
}

/// <summary>The servers a completer offers: listed live, within a few seconds, and nothing when the provider cannot answer.</summary>
internal static class ExistingServers
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<Server> List(IDictionary fakeBoundParameters, string? environment)
    {
        var provider = Text(fakeBoundParameters, "Provider") ?? ServerProviderRegistry.DefaultProvider;
        if (!ServerProviderRegistry.IsKnown(provider) || (environment is not null && !Validation.IsRfc1123Label(environment)))
        {
            return [];
        }

        var settings = AwsParameters.ToSettings(null, Text(fakeBoundParameters, "Region"), Text(fakeBoundParameters, "ProfileName"), Text(fakeBoundParameters, "EndpointUrl"), null);
        using var budget = new CancellationTokenSource(Budget);
        try
        {
            var listing = Task.Run(() => new ServerManager(ModuleData.Default, settings).ListAsync(provider, environment, EngineContext.Silent(budget.Token)), budget.Token);
            return listing.Wait(Budget) ? listing.Result : [];
        }
        catch (Exception)
        {
            // Completion never fails the command line: no provider, no credentials, a time-out.
            return [];
        }
    }

    public static string? Text(IDictionary fakeBoundParameters, string name) =>
        fakeBoundParameters?[name] switch
        {
            PSObject wrapped => wrapped.BaseObject as string,
            string text => text,
            _ => null,
        };
}
