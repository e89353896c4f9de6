using System.Globalization;
using System.Management.Automation;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Commands.Hardening;

/// <summary>Applies a hardening profile over SSH: batched, idempotent, lockout-safe.</summary>
[Cmdlet(VerbsCommon.Set, "Hardening", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(HardeningReport), typeof(Server))]
public sealed class SetHardeningCommand : HardeningCommandBase
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Applies without asking for confirmation; -WhatIf still only plans.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessingCore()
    {
        if (Servers.Count == 0)
        {
            return;
        }

        var profile = ResolveProfile();
        var approved = new List<Server>();
        var planned = new List<Server>();
        using (Force && !MyInvocation.BoundParameters.ContainsKey("Confirm") ? new NoConfirmScope(SessionState) : null)
        {
            foreach (var server in Servers)
            {
                var action = $"Apply hardening profile {profile.Name} ({profile.Rules.Count} rules)";
                // ShouldProcess decides: -WhatIf (or $WhatIfPreference) returns false with reason
                // WhatIf, and that server is planned instead; -Confirm asks; -Force does not ask.
                if (ShouldProcess($"Performing the operation \"{action}\" on target \"{server}\".", $"{action} on {server}? It rewrites sshd and installs a default-deny firewall.", "Set-Hardening", out var reason))
                {
                    approved.Add(server);
                }
                else if (reason == ShouldProcessReason.WhatIf)
                {
                    planned.Add(server);
                }
            }
        }

        var whatIf = planned.Count > 0;
        if (whatIf)
        {
            approved = planned;
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

    /// <summary>
    /// -Force: $ConfirmPreference is None for this cmdlet's ShouldProcess calls. The runtime reads
    /// the preference once, at the first ShouldProcess, so it is set in the caller's scope for
    /// that loop and put back afterwards: removed again when the scope had none of its own, or,
    /// where a compiled script scope cannot remove it, set back to the value it had.
    /// </summary>
    private sealed class NoConfirmScope : IDisposable
    {
        private const string Name = "ConfirmPreference";
        private readonly SessionState _state;
        private readonly PSVariable? _local;
        private readonly object? _localValue;
        private readonly object? _effective;

        public NoConfirmScope(SessionState state)
        {
            _state = state;
            _local = state.PSVariable.Get("local:" + Name);
            _localValue = _local?.Value;
            _effective = state.PSVariable.GetValue(Name);
            state.PSVariable.Set(Name, ConfirmImpact.None);
        }

        public void Dispose()
        {
            if (_local is not null)
            {
                _state.PSVariable.Set(Name, _localValue);
                return;
            }

            try
            {
                _state.PSVariable.Remove(Name);
            }
            catch (RuntimeException)
            {
                _state.PSVariable.Set(Name, _effective);
            }
        }
    }
}
