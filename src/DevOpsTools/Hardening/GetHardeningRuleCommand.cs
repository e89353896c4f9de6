using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Commands.Hardening;

/// <summary>Lists the hardening rule catalogue, with references and parameters.</summary>
[Cmdlet(VerbsCommon.Get, "HardeningRule")]
[OutputType(typeof(HardeningRule))]
public sealed class GetHardeningRuleCommand : DevOpsToolsCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [Alias("RuleId")]
    [ArgumentCompleter(typeof(HardeningRuleCompleter))]
    public string[]? Id { get; set; }

    [Parameter]
    [ValidateSet("Ssh", "Kernel", "Modules", "Accounts", "Files", "Services", "Firewall", "Logging", "Mounts")]
    public string[]? Category { get; set; }

    /// <summary>Only the rules a profile enables: Baseline, Strict, or a profile file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HardeningProfileCompleter))]
    public string? Profile { get; set; }

    protected override void ProcessRecordCore()
    {
        IEnumerable<HardeningRule> rules = Profile is null
            ? HardeningCatalog.All
            : HardeningProfile.Resolve(HardeningProfile.IsBuiltIn(Profile) ? Profile : GetUnresolvedProviderPathFromPSPath(Profile)).Rules;
        if (Category is { Length: > 0 })
        {
            rules = rules.Where(r => Category.Contains(r.Category, StringComparer.OrdinalIgnoreCase));
        }

        var patterns = (Id ?? []).Select(i => WildcardPattern.Get(i, WildcardOptions.IgnoreCase)).ToList();
        var matched = new HashSet<int>();
        foreach (var rule in rules)
        {
            var hit = patterns.FindIndex(p => p.IsMatch(rule.Id));
            if (patterns.Count > 0 && hit < 0)
            {
                continue;
            }

            matched.UnionWith(Enumerable.Range(0, patterns.Count).Where(i => patterns[i].IsMatch(rule.Id)));
            WriteObject(rule);
        }

        // Like Get-Server and Get-Item: an id without wildcards that matches nothing is an error.
        for (var i = 0; i < (Id?.Length ?? 0); i++)
        {
            if (!matched.Contains(i) && !WildcardPattern.ContainsWildcardCharacters(Id![i]))
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.HardeningRuleNotFound, ErrorKind.ObjectNotFound,
                    $"No hardening rule '{Id[i]}'" + (Profile is null ? string.Empty : $" in profile {Profile}") + "; Get-HardeningRule lists the catalogue.", Id[i]));
            }
        }
    }
}
