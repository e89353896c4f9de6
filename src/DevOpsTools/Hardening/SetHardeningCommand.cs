using System.Globalization;
using System.Management.Automation;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Commands.Hardening;

/// <summary>Applies a hardening profile over SSH: batched, idempotent, lockout-safe.</summary>
[Cmdlet(VerbsCommon.Set, "Hardening", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(HardeningReport), typeof(Server))]
public sealed class SetHardeningCommand : HardeningCommandBase
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessingCore()
    {
        if (Servers.Count == 0)
        {
            return;
        }

        var profile = ResolveProfile();
        var whatIf = IsWhatIf();
        var approved = new List<Server>();
        foreach (var server in Servers)
        {
            var action = $"Apply hardening profile {profile.Name} ({profile.Rules.Count} rules)";
            if (whatIf)
            {
                ShouldProcess(server.ToString(), action); // prints "What if: ..."; the plan follows
                approved.Add(server);
            }
            else if (ShouldProcess(server.ToString(), action))
            {
                approved.Add(server);
            }
        }

        if (approved.Count == 0)
        {
            return;
        }

        var result = Run(approved, profile, whatIf ? HardeningMode.Plan : HardeningMode.Apply);
        foreach (var report in result.Reports)
        {
            if (whatIf)
            {
                WritePlan(report);
            }
            else
            {
                WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0}: {1} changed, {2} compliant, {3} not applicable, {4} failed; score {5}% in {6:F1}s{7}",
                    report.Server.Name, report.Changed, report.Compliant, report.NotApplicable, report.Failed + report.NonCompliant, report.Score,
                    report.Duration.TotalSeconds, report.RolledBack.Count > 0 ? $"; ROLLED BACK: {string.Join(", ", report.RolledBack)}" : string.Empty));
                foreach (var failed in report.Rules.Where(r => r.Status is HardeningRuleStatus.Failed or HardeningRuleStatus.NonCompliant))
                {
                    WriteWarning($"{report.Server.Name}: {failed.RuleId} {failed.Status}: {failed.Reason ?? failed.Detail}");
                }
            }

            // The report carries its Server, so it pipes on (Invoke-ServerCommand binds Server by
            // property name); -PassThru passes the server itself on instead.
            WriteObject(PassThru ? report.Server : report);
        }
    }

    private void WritePlan(HardeningReport report)
    {
        Say($"What if: {report.Server.Name} ({report.Profile}): {report.WouldChange} rules would change, {report.Compliant} compliant, {report.NotApplicable} not applicable, {report.Failed} failed.");
        foreach (var rule in report.Rules.Where(r => r.Status is HardeningRuleStatus.WouldChange or HardeningRuleStatus.Failed or HardeningRuleStatus.NonCompliant))
        {
            Say($"  {rule.RuleId} {rule.Title} [{rule.Status}]: {rule.Reason ?? rule.Detail}");
            foreach (var change in rule.Changes)
            {
                Say($"    {change.Description}");
                foreach (var line in change.Diff)
                {
                    Say($"      {line}");
                }
            }
        }
    }
}
