using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
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
    public string[]? Id { get; set; }

    [Parameter]
    [ValidateSet("Ssh", "Kernel", "Modules", "Accounts", "Files", "Services", "Firewall", "Logging", "Mounts")]
    public string[]? Category { get; set; }

    /// <summary>Only the rules a profile enables: Baseline, Strict, or a profile file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
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

        if (Id is { Length: > 0 })
        {
            var patterns = Id.Select(i => WildcardPattern.Get(i, WildcardOptions.IgnoreCase)).ToList();
            rules = rules.Where(r => patterns.Any(p => p.IsMatch(r.Id)));
        }

        foreach (var rule in rules)
        {
            WriteObject(rule);
        }
    }
}
