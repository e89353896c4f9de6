using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Hardening;

/// <summary>A rule with its parameter values for one server.</summary>
public sealed record ResolvedRule(HardeningRule Rule, IReadOnlyDictionary<string, string> Values);

/// <summary>
/// Assembles ONE check script and ONE fix script per server: library.sh, the category files of
/// the rules it runs, and one call of each rule's check (or fix) function. Each call runs in
/// its own subshell with its parameters as P_* variables, its output captured, so one broken
/// rule reports ERROR for its rule and the others go on.
/// </summary>
public static class ScriptBuilder
{
    public const string BackupRoot = "/var/lib/devopstools/hardening";

    /// <summary>Single-quotes a value for sh.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void Header(StringBuilder sb, bool plan, IReadOnlyList<ResolvedRule> rules)
    {
        sb.Append(HardeningScripts.Library.Replace("DT_PLAN=${DT_PLAN:-0}", plan ? "DT_PLAN=1" : "DT_PLAN=0", StringComparison.Ordinal)).Append('\n');
        sb.Append(SshCrypto.ShellSelector());
        foreach (var resource in rules.Select(r => r.Rule.ScriptResource).Distinct(StringComparer.Ordinal))
        {
            sb.Append(HardeningScripts.Read(resource)).Append('\n');
        }

        sb.Append("dt_facts; dt_crypto; dt_emit_facts\n");
    }

    private static void Parameters(StringBuilder sb, ResolvedRule r)
    {
        foreach (var (name, value) in r.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            sb.Append("P_").Append(name).Append('=').Append(Quote(value)).Append('\n');
        }
    }

    private static void AppendCheck(StringBuilder sb, ResolvedRule r)
    {
        // Output goes straight out (no capture and replay); "$DT_TMP/r" is emptied by a builtin
        // and filled by emit, so dt_check_end knows whether the rule printed a result.
        sb.Append("DT_RULE=").Append(r.Rule.Id).Append("; : > \"$DT_TMP/r\"\n(\n");
        Parameters(sb, r);
        sb.Append(r.Rule.CheckFunction).Append('\n');
        sb.Append(") 2>\"$DT_TMP/e\" </dev/null; dt_check_end $?\n");
    }

    /// <summary>The read-only script that checks every rule and prints facts and one @@RULE line per rule.</summary>
    public static string BuildCheckScript(IReadOnlyList<ResolvedRule> rules)
    {
        var sb = new StringBuilder();
        Header(sb, plan: false, rules);
        foreach (var r in rules)
        {
            AppendCheck(sb, r);
        }

        sb.Append("printf '\\n@@END\\n'\n");
        return sb.ToString();
    }

    /// <summary>
    /// The fix script for the failing rules. Plan mode (-WhatIf) writes only to a staging copy
    /// and runs nothing, and reports each file's before/after. Apply mode backs up every managed
    /// file first, validates and reloads sshd, arms a dead-man rollback for lockout-sensitive
    /// changes, then re-checks the fixed rules (phase verify).
    /// </summary>
    public static string BuildFixScript(IReadOnlyList<ResolvedRule> rules, bool plan, string runId, TimeSpan deadMan)
    {
        var sb = new StringBuilder();
        Header(sb, plan, rules);
        var backup = $"{BackupRoot}/{runId}";
        sb.Append("DT_BK=").Append(Quote(backup)).Append('\n');
        var managed = rules.SelectMany(r => r.Rule.ManagedFiles).Distinct(StringComparer.Ordinal).ToList();
        if (!plan)
        {
            sb.Append("mkdir -p \"$DT_BK/files\" && chmod 700 \"$DT_BK\" && : > \"$DT_BK/absent\" || { echo '@@FATAL cannot create the backup directory'; exit 91; }\n");
            sb.Append("for f in ").Append(string.Join(' ', managed.Select(Quote))).Append("; do\n");
            sb.Append("  if [ -e \"$f\" ]; then mkdir -p \"$DT_BK/files${f%/*}\"; cp -p \"$f\" \"$DT_BK/files$f\"; else echo \"$f\" >> \"$DT_BK/absent\"; fi\n");
            sb.Append("done\n");
            sb.Append("cat > \"$DT_BK/rollback.sh\" <<'DT_ROLLBACK'\n").Append(BuildRollbackScript(rules, backup)).Append("DT_ROLLBACK\n");
            sb.Append(": > \"$DT_BK/pending\"\n");
        }

        // Packages first, in one apt transaction for the lot (attributed to the first rule needing
        // any); each fix's own apt_install then finds its packages installed and runs nothing.
        var packages = rules.Where(r => r.Rule.Packages.Count > 0).ToList();
        if (packages.Count > 0)
        {
            sb.Append("DT_RULE=").Append(packages[0].Rule.Id).Append('\n');
            sb.Append("( set -e; ").Append(PreinstallCall(rules)).Append(" ) >\"$DT_TMP/o\" 2>\"$DT_TMP/e\" </dev/null; dt_fix_end $?\n");
        }

        foreach (var r in rules)
        {
            var files = string.Join(' ', r.Rule.ManagedFiles);
            sb.Append("DT_RULE=").Append(r.Rule.Id).Append("; DT_FILES=").Append(Quote(files)).Append('\n');
            sb.Append("dt_snap before $DT_FILES\n(\nset -e\n");
            Parameters(sb, r);
            sb.Append(r.Rule.FixFunction ?? throw new InvalidOperationException($"{r.Rule.Id} has no fix.")).Append('\n');
            sb.Append(") >\"$DT_TMP/o\" 2>\"$DT_TMP/e\" </dev/null; dt_rc=$?\n");
            sb.Append("dt_snap after $DT_FILES; dt_diff $DT_FILES; dt_fix_end $dt_rc\n");
        }

        if (plan)
        {
            sb.Append("printf '\\n@@END\\n'\n");
            return sb.ToString();
        }

        var sshdFiles = GroupFiles(rules, "sshd");
        sb.Append("printf '\\n@@PHASE finalize\\n'\n");
        sb.Append("if [ -f \"$DT_TMP/dirty.sshd\" ]; then\n");
        sb.Append("  if dt_o=$(sshd -t 2>&1); then\n");
        sb.Append("    systemctl reload ssh >/dev/null 2>&1 || systemctl reload sshd >/dev/null 2>&1 || kill -HUP \"$(cat /run/sshd.pid)\"\n");
        sb.Append("    printf '\\n@@RELOAD sshd\\n'\n");
        sb.Append("  else\n");
        sb.Append("    dt_restore ").Append(string.Join(' ', sshdFiles.Select(Quote))).Append('\n');
        sb.Append("    printf '\\n@@ROLLBACK sshd %s\\n' \"$(printf 'sshd -t rejected the new configuration, restored the previous files: %s' \"$dt_o\" | b64)\"\n");
        sb.Append("  fi\n");
        sb.Append("fi\n");
        var unit = DeadManUnit(runId);
        var seconds = ((int)Math.Max(30, deadMan.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        sb.Append("if [ -f \"$DT_TMP/dirty.sshd\" ] || [ -f \"$DT_TMP/dirty.firewall\" ] || [ -f \"$DT_TMP/dirty.sudo\" ]; then\n");
        sb.Append("  if systemd-run --quiet --unit=").Append(unit).Append(" --on-active=").Append(seconds).Append(" /bin/sh \"$DT_BK/rollback.sh\" >/dev/null 2>&1; then printf '\\n@@ARMED ").Append(unit).Append("\\n'\n");
        sb.Append("  else nohup sh -c \"sleep ").Append(seconds).Append("; sh '$DT_BK/rollback.sh'\" >/dev/null 2>&1 & printf '\\n@@ARMED nohup\\n'; fi\n");
        sb.Append("else rm -f \"$DT_BK/pending\"; fi\n");
        sb.Append("printf '\\n@@PHASE verify\\n'\n");
        sb.Append("dt_facts; dt_crypto\n");
        foreach (var r in rules)
        {
            AppendCheck(sb, r);
        }

        sb.Append("printf '\\n@@END\\n'\n");
        return sb.ToString();
    }

    /// <summary>The packages the given rules' fixes install, in catalogue order, each once (the set the fix script installs in one transaction).</summary>
    public static IReadOnlyList<string> Packages(IEnumerable<ResolvedRule> rules) =>
        rules.SelectMany(r => r.Rule.Packages).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The one apt_install call of the fix script (package names are validated catalogue data, quoted anyway).</summary>
    public static string PreinstallCall(IEnumerable<ResolvedRule> rules) =>
        "apt_install " + string.Join(' ', Packages(rules).Select(Quote));

    public static string DeadManUnit(string runId) => $"devopstools-hardening-rollback-{runId}";

    private static List<string> GroupFiles(IEnumerable<ResolvedRule> rules, string group) =>
        rules.Where(r => r.Rule.LockoutGroup == group).SelectMany(r => r.Rule.ManagedFiles).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Restores the lockout-sensitive files (sshd, sudo, firewall) from the run's backup and
    /// reloads what uses them. Runs from the dead-man timer if nobody confirms the change, or
    /// at once through the open session when a fresh login fails.
    /// </summary>
    public static string BuildRollbackScript(IReadOnlyList<ResolvedRule> rules, string backup)
    {
        var sb = new StringBuilder();
        sb.Append("#!/bin/sh\n# DevOpsTools hardening rollback (generated)\nexport PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
        sb.Append("DT_BK=").Append(Quote(backup)).Append('\n');
        sb.Append("[ -f \"$DT_BK/pending\" ] || { echo '@@ROLLBACK none'; exit 0; }\nrm -f \"$DT_BK/pending\"\n");
        sb.Append("dt_restore() { for f in \"$@\"; do if [ -e \"$DT_BK/files$f\" ]; then cp -p \"$DT_BK/files$f\" \"$f\"; else rm -f \"$f\"; fi; done; }\n");
        var files = GroupFiles(rules, "sshd").Concat(GroupFiles(rules, "sudo")).Concat(GroupFiles(rules, "firewall")).Distinct(StringComparer.Ordinal).ToList();
        if (files.Count > 0)
        {
            sb.Append("dt_restore ").Append(string.Join(' ', files.Select(Quote))).Append('\n');
        }

        if (GroupFiles(rules, "firewall").Count > 0)
        {
            sb.Append("if [ -f /etc/devopstools/firewall.nft ]; then nft -f /etc/devopstools/firewall.nft; else nft delete table inet devopstools 2>/dev/null; systemctl disable devopstools-firewall.service >/dev/null 2>&1; fi\n");
            sb.Append("systemctl daemon-reload >/dev/null 2>&1\necho '@@ROLLBACK firewall'\n");
        }

        if (GroupFiles(rules, "sshd").Count > 0)
        {
            sb.Append("if sshd -t; then systemctl reload ssh >/dev/null 2>&1 || systemctl reload sshd >/dev/null 2>&1 || kill -HUP \"$(cat /run/sshd.pid)\"; fi\necho '@@ROLLBACK sshd'\n");
        }

        if (GroupFiles(rules, "sudo").Count > 0)
        {
            sb.Append("echo '@@ROLLBACK sudo'\n");
        }

        sb.Append("date > \"$DT_BK/rolled-back\"\n");
        return sb.ToString();
    }

    /// <summary>Run through the open session after a failed fresh login.</summary>
    public static string BuildRollbackNow(string runId) =>
        $"systemctl stop {DeadManUnit(runId)}.timer >/dev/null 2>&1; sh {Quote($"{BackupRoot}/{runId}/rollback.sh")}\n";

    /// <summary>Run after a successful fresh login: disarms the dead-man rollback.</summary>
    public static string BuildCommit(string runId) =>
        $"rm -f {Quote($"{BackupRoot}/{runId}/pending")}; systemctl stop {DeadManUnit(runId)}.timer >/dev/null 2>&1; true\n";
}
