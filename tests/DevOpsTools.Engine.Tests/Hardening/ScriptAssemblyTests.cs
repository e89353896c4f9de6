using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Tests.Hardening;

public class ScriptAssemblyTests
{
    private static readonly Server Server = new() { Name = "web-1", Environment = "test", Provider = "Podman", User = "ops" };

    private static List<ResolvedRule> Resolve(HardeningProfile profile) =>
        profile.Rules.Select(r => new ResolvedRule(r, profile.ValuesFor(r, Server))).ToList();

    [Fact]
    public void Check_script_has_one_wrapped_fragment_per_rule_and_ends_with_END()
    {
        var rules = Resolve(HardeningProfile.BuiltIn("Strict"));
        var script = ScriptBuilder.BuildCheckScript(rules);

        foreach (var r in rules)
        {
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(script, $"(?m)^DT_RULE={r.Rule.Id}; : > \"\\$DT_TMP/r\"$"));
        }

        Assert.EndsWith("printf '\\n@@END\\n'\n", script, StringComparison.Ordinal);
        Assert.Contains("dt_facts; dt_crypto; dt_emit_facts", script, StringComparison.Ordinal);
        Assert.DoesNotContain("DT_PLAN=${DT_PLAN:-0}", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_become_single_quoted_shell_variables_with_admin_expanded()
    {
        var rules = Resolve(HardeningProfile.BuiltIn("Strict"));
        var script = ScriptBuilder.BuildCheckScript(rules);

        Assert.Contains("P_allowUsers='ops'", script, StringComparison.Ordinal);
        Assert.Contains("P_maxAuthTries='2'", script, StringComparison.Ordinal); // Strict override
        Assert.Equal("'it'\\''s'", ScriptBuilder.Quote("it's"));
    }

    [Fact]
    public void Plan_fix_script_stages_writes_and_has_no_backup_reload_or_verify()
    {
        var rules = Resolve(HardeningProfile.BuiltIn("Baseline")).Where(r => r.Rule.HasFix).ToList();
        var plan = ScriptBuilder.BuildFixScript(rules, plan: true, "r1", TimeSpan.FromMinutes(5));
        var apply = ScriptBuilder.BuildFixScript(rules, plan: false, "r1", TimeSpan.FromMinutes(5));

        Assert.Contains("DT_PLAN=1", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("@@PHASE verify", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("sshd -t 2>&1", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("rollback.sh", plan, StringComparison.Ordinal);

        Assert.Contains("DT_PLAN=0", apply, StringComparison.Ordinal);
        Assert.Contains("@@PHASE verify", apply, StringComparison.Ordinal);
        Assert.Contains("if dt_o=$(sshd -t 2>&1); then", apply, StringComparison.Ordinal);
        Assert.Contains("--unit=devopstools-hardening-rollback-r1", apply, StringComparison.Ordinal);
        // The sshd validation and reload come after every fix fragment.
        Assert.True(apply.IndexOf("@@PHASE finalize", StringComparison.Ordinal) > apply.LastIndexOf("dt_fix_end $dt_rc", StringComparison.Ordinal));
    }

    [Fact]
    public void Packages_are_installed_once_for_all_rules()
    {
        var rules = Resolve(HardeningProfile.BuiltIn("Baseline")).Where(r => r.Rule.HasFix).ToList();
        var apply = ScriptBuilder.BuildFixScript(rules, plan: false, "r1", TimeSpan.FromMinutes(5));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(apply, "\\( set -e; apt_install "));
    }

    [Fact]
    public void Rollback_script_restores_only_lockout_groups()
    {
        var rules = Resolve(HardeningProfile.BuiltIn("Baseline")).Where(r => r.Rule.HasFix).ToList();
        var rollback = ScriptBuilder.BuildRollbackScript(rules, "/var/lib/devopstools/hardening/r1");
        Assert.Contains("'/etc/ssh/sshd_config.d/00-devopstools.conf'", rollback, StringComparison.Ordinal);
        Assert.Contains("'/etc/devopstools/firewall.nft'", rollback, StringComparison.Ordinal);
        Assert.Contains("'/etc/sudoers.d/devopstools-hardening'", rollback, StringComparison.Ordinal);
        Assert.DoesNotContain("/etc/login.defs", rollback, StringComparison.Ordinal);
        Assert.Contains("[ -f \"$DT_BK/pending\" ] || { echo '@@ROLLBACK none'; exit 0; }", rollback, StringComparison.Ordinal);
    }
}
