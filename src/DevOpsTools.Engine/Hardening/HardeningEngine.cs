using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Hardening;

public enum HardeningMode
{
    /// <summary>Set-Hardening: check, fix, verify, lockout probe.</summary>
    Apply,

    /// <summary>Set-Hardening -WhatIf: check, then compute every change without making it.</summary>
    Plan,

    /// <summary>Test-Hardening: check only.</summary>
    Test,
}

public sealed class HardeningRunOptions
{
    public int ThrottleLimit { get; init; } = 16;

    /// <summary>Where the servers' port sources are recorded (FW-001 applies them); null: none.</summary>
    public DevOpsTools.Engine.Servers.PortSources? PortSources { get; init; }

    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromMinutes(3);

    public TimeSpan FixTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>When nobody confirms a lockout-sensitive change, the server restores it by itself after this.</summary>
    public TimeSpan DeadManDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Fresh-login attempts before a change counts as a lockout.</summary>
    public int LoginProbeAttempts { get; init; } = 3;

    public TimeSpan LoginProbeDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>A server that could not be checked at all (unreachable, sudo refused...).</summary>
public sealed record HardeningServerFailure(Server Server, DevOpsToolsException Error);

public sealed class HardeningRunResult
{
    public List<HardeningReport> Reports { get; } = [];

    public List<HardeningServerFailure> Failures { get; } = [];
}

/// <summary>
/// Runs a profile on servers in parallel: per server one connection, one batched check script,
/// at most one batched fix script, then a fresh-login probe (rolled back through the still open
/// session if it fails). An unreachable server fails alone.
/// </summary>
public sealed class HardeningEngine
{
    private readonly IRemoteShellFactory _shells;
    private readonly IFreshLoginProbe _loginProbe;
    private readonly HardeningRunOptions _options;

    public HardeningEngine(IRemoteShellFactory shells, IFreshLoginProbe loginProbe, HardeningRunOptions? options = null)
    {
        _shells = shells;
        _loginProbe = loginProbe;
        _options = options ?? new HardeningRunOptions();
    }

    public async Task<HardeningRunResult> RunAsync(EngineContext context, IReadOnlyList<Server> servers, HardeningProfile profile, HardeningMode mode)
    {
        var activity = mode switch { HardeningMode.Test => "Test-Hardening", HardeningMode.Plan => "Set-Hardening -WhatIf", _ => "Set-Hardening" };
        var options = new FanOutOptions
        {
            Activity = activity,
            DoneWord = "servers",
            ThrottleLimit = _options.ThrottleLimit,
            Detail = $"{profile.Name}, {profile.Rules.Count} rules",
        };
        var run = await FanOut.RunAsync(context, servers, options, s => s.Name,
            (server, _) => RunServerAsync(context, server, profile, mode),
            (server, ex) => FanOut.DescribeError(server, server.Name, ex as DevOpsToolsException
                ?? new DevOpsToolsException(ErrorIds.HardeningServerFailed, ErrorKind.ConnectionError, $"hardening failed: {ex.Message}", null, ex))).ConfigureAwait(false);

        var result = new HardeningRunResult();
        result.Reports.AddRange(run.Results);
        result.Failures.AddRange(run.Failures.Select(f => new HardeningServerFailure(f.Item, f.Error!)));
        return result;
    }

    public async Task<HardeningReport> RunServerAsync(EngineContext context, Server server, HardeningProfile profile, HardeningMode mode)
    {
        var cancellationToken = context.CancellationToken;
        var clock = Stopwatch.StartNew();
        // Every parameter is validated before the server is even contacted.
        var recorded = _options.PortSources?.Read(server.Environment, server.Name);
        var resolved = profile.Rules.Select(r => new ResolvedRule(r, profile.ValuesFor(r, server, recorded))).ToList();
        await using var shell = await _shells.OpenAsync(server, cancellationToken).ConfigureAwait(false);

        var checkRun = await shell.RunAsync(ScriptBuilder.BuildCheckScript(resolved), sudo: true, _options.CheckTimeout, cancellationToken).ConfigureAwait(false);
        var check = ResultParser.Parse(checkRun.StdOut);
        if (check.Fatal is not null || (check.Checks.Count == 0 && resolved.Count > 0))
        {
            throw new DevOpsToolsException(ErrorIds.HardeningCheckFailed, ErrorKind.InvalidOperation,
                $"{server.Name}: the check script did not run (exit {checkRun.ExitCode}): {Tail(check.Fatal ?? checkRun.StdErr)}", server)
            {
                RecommendedAction = $"Make sure {server.User} can run 'sudo -n sh' on the server.",
            };
        }

        var report = new HardeningReport { Server = server, Profile = profile.Name, Mode = mode.ToString() };
        foreach (var (k, v) in check.Facts)
        {
            report.Facts[k] = v;
        }

        var byId = new Dictionary<string, HardeningRuleResult>(StringComparer.Ordinal);
        foreach (var r in resolved)
        {
            var item = new HardeningRuleResult
            {
                Server = server.Name, RuleId = r.Rule.Id, Title = r.Rule.Title, Category = r.Rule.Category, Severity = r.Rule.Severity,
            };
            var notApplicable = Applicability.Reason(r.Rule, check.Facts);
            if (notApplicable is not null)
            {
                item.Status = HardeningRuleStatus.NotApplicable;
                item.Reason = notApplicable;
            }
            else if (!check.Checks.TryGetValue(r.Rule.Id, out var outcome))
            {
                item.Status = HardeningRuleStatus.Failed;
                item.Reason = "the check printed no result (the script was cut short?)";
            }
            else
            {
                item.Detail = outcome.Detail;
                (item.Status, item.Reason) = outcome.Status switch
                {
                    "PASS" => (HardeningRuleStatus.Compliant, null),
                    "NA" => (HardeningRuleStatus.NotApplicable, outcome.Detail),
                    "FAIL" => (HardeningRuleStatus.NonCompliant, r.Rule.HasFix ? null : "no automatic fix: a person must act"),
                    _ => (HardeningRuleStatus.Failed, "the check failed: " + outcome.Detail),
                };
            }

            report.Rules.Add(item);
            byId[r.Rule.Id] = item;
        }

        var toFix = resolved.Where(r => r.Rule.HasFix && byId[r.Rule.Id].Status == HardeningRuleStatus.NonCompliant).ToList();
        if (mode == HardeningMode.Test || toFix.Count == 0)
        {
            report.Duration = clock.Elapsed;
            return report;
        }

        var runId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var plan = mode == HardeningMode.Plan;
        var script = ScriptBuilder.BuildFixScript(toFix, plan, runId, _options.DeadManDelay);
        var fixRun = await shell.RunAsync(script, sudo: true, _options.FixTimeout, cancellationToken).ConfigureAwait(false);
        var fix = ResultParser.Parse(fixRun.StdOut);
        Attach(fix, byId);
        if (!fix.Ended && !plan && fix.Fatal is null)
        {
            context.Output.WriteWarning($"{server.Name}: the fix script ended early (exit {fixRun.ExitCode}): {Tail(fixRun.StdErr)}");
        }

        foreach (var r in toFix)
        {
            var item = byId[r.Rule.Id];
            if (fix.Fatal is not null)
            {
                item.Status = HardeningRuleStatus.Failed;
                item.Reason = "the fix script did not run: " + fix.Fatal;
            }
            else if (fix.FixFailures.TryGetValue(r.Rule.Id, out var failure))
            {
                item.Status = HardeningRuleStatus.Failed;
                item.Reason = "the fix failed: " + failure;
            }
            else if (plan)
            {
                item.Status = HardeningRuleStatus.WouldChange;
            }
            else if (r.Rule.LockoutGroup is { } g && fix.RolledBack.TryGetValue(g, out var why))
            {
                item.Status = HardeningRuleStatus.Failed;
                item.RolledBack = true;
                item.Reason = why;
                report.RolledBack.Add(r.Rule.Id);
            }
            else if (fix.Verify.TryGetValue(r.Rule.Id, out var after) && after.Status == "PASS")
            {
                item.Status = HardeningRuleStatus.Changed;
            }
            else
            {
                item.Status = HardeningRuleStatus.Failed;
                item.Reason = "still non-compliant after the fix: " + (fix.Verify.TryGetValue(r.Rule.Id, out var v) ? v.Detail : "no verification result");
            }
        }

        if (!plan && fix.ArmedUnit is not null)
        {
            await ConfirmOrRollBackAsync(context, server, shell, runId, toFix, byId, report).ConfigureAwait(false);
        }

        report.Duration = clock.Elapsed;
        return report;
    }

    /// <summary>Fresh login with the module's key; on failure, restore through the open session.</summary>
    private async Task ConfirmOrRollBackAsync(EngineContext context, Server server, IRemoteShell shell, string runId, List<ResolvedRule> toFix,
        Dictionary<string, HardeningRuleResult> byId, HardeningReport report)
    {
        var cancellationToken = context.CancellationToken;
        if (await ProbeAsync(server, cancellationToken).ConfigureAwait(false))
        {
            await shell.RunAsync(ScriptBuilder.BuildCommit(runId), sudo: true, _options.CheckTimeout, cancellationToken).ConfigureAwait(false);
            return;
        }

        context.Output.WriteWarning($"{server.Name}: a fresh SSH login as {server.User} failed after the change; rolling back sshd, sudo and firewall changes through the open session.");
        var rollback = await shell.RunAsync(ScriptBuilder.BuildRollbackNow(runId), sudo: true, _options.CheckTimeout, cancellationToken).ConfigureAwait(false);
        var restored = ResultParser.Parse(rollback.StdOut).RolledBack.Keys.ToList();
        var reachable = await ProbeAsync(server, cancellationToken).ConfigureAwait(false);
        var reason = $"rolled back: a fresh SSH login as {server.User} (key, then sudo -n) failed after the change; restored the previous {string.Join(", ", restored.DefaultIfEmpty("files"))} configuration through the open session"
                     + (reachable ? "; the server is reachable again." : "; the server is STILL NOT reachable with a fresh login.");
        foreach (var r in toFix.Where(r => r.Rule.LockoutGroup is not null))
        {
            var item = byId[r.Rule.Id];
            if (item.Status is HardeningRuleStatus.Changed or HardeningRuleStatus.Failed && !item.RolledBack)
            {
                item.Status = HardeningRuleStatus.Failed;
                item.RolledBack = true;
                item.Reason = reason;
                report.RolledBack.Add(r.Rule.Id);
            }
        }

        context.Output.WriteError(new DevOpsToolsException(ErrorIds.HardeningRolledBack, ErrorKind.SecurityError,
            $"{server.Name}: {reason} Rolled back: {string.Join(", ", report.RolledBack)}.", server)
        {
            RecommendedAction = "Check the profile's SSH parameters (AllowUsers, forwarding, ports) and the admin user's key.",
        });
    }

    private async Task<bool> ProbeAsync(Server server, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= Math.Max(1, _options.LoginProbeAttempts); attempt++)
        {
            if (await _loginProbe.CanLoginAsync(server, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            if (attempt < _options.LoginProbeAttempts)
            {
                await Task.Delay(_options.LoginProbeDelay, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    private static void Attach(ScriptOutput fix, Dictionary<string, HardeningRuleResult> byId)
    {
        foreach (var (ruleId, text) in fix.Notes)
        {
            if (byId.TryGetValue(ruleId, out var item))
            {
                item.Changes.Add(new HardeningChange { Description = text });
            }
        }

        foreach (var file in fix.Files)
        {
            if (byId.TryGetValue(file.RuleId, out var item))
            {
                var hidden = file.Before == "*" || file.After == "*";
                item.Changes.Add(new HardeningChange
                {
                    Path = file.Path,
                    Description = LineDiff.Describe(file),
                    Before = hidden ? null : file.Before,
                    After = hidden ? null : file.After,
                    ModeBefore = file.ModeBefore,
                    ModeAfter = file.ModeAfter,
                    Diff = hidden ? [] : LineDiff.Compute(file.Before, file.After),
                });
            }
        }
    }

    private static string Tail(string? text)
    {
        text = (text ?? string.Empty).Trim();
        return text.Length <= 400 ? text : "..." + text[^400..];
    }
}
