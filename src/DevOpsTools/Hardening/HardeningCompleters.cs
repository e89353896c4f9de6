using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Commands.Hardening;

/// <summary>Tab completion of -Rule/-ExcludeRule/-Id: the catalogue's rule ids, then its categories.</summary>
public sealed class HardeningRuleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        foreach (var rule in HardeningCatalog.All.Where(r => r.Id.StartsWith(word, StringComparison.OrdinalIgnoreCase)))
        {
            yield return new CompletionResult(rule.Id, rule.Id, CompletionResultType.ParameterValue, $"{rule.Id} {rule.Title}");
        }

        if (parameterName is "Id")
        {
            yield break;
        }

        foreach (var category in HardeningCatalog.Categories.Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)))
        {
            yield return new CompletionResult(category, category, CompletionResultType.ParameterValue, $"every {category} rule");
        }
    }
}

/// <summary>Tab completion of -Profile: Baseline, Strict, then .yaml/.yml files and folders.</summary>
public sealed class HardeningProfileCompleter : IArgumentCompleter
{
    private static readonly string[] BuiltIn = ["Baseline", "Strict"];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = wordToComplete ?? string.Empty;
        var results = BuiltIn
            .Where(n => n.StartsWith(word.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"the built-in {n} profile"))
            .ToList();
        results.AddRange(CompletionCompleters.CompleteFilename(word).Where(r =>
            r.ResultType == CompletionResultType.ProviderContainer
            || r.ListItemText.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            || r.ListItemText.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)));
        return results;
    }
}
