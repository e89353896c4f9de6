using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;
using Xunit.Abstractions;

namespace DevOpsTools.Engine.Tests.Hardening;

[CollectionDefinition("Podman hardening")]
public class PodmanHardeningCollection : ICollectionFixture<PodmanServerFixture>;

/// <summary>Real Debian 12 systemd servers in Podman, reached through podman exec and real ssh.</summary>
[Collection("Podman hardening")]
[Trait("Category", "Podman")]
public class HardeningPodmanTests(PodmanServerFixture fixture, ITestOutputHelper log)
{
    private static readonly string[] KernelWide = ["KRN-010", "KRN-011", "KRN-012", "KRN-013", "KRN-014", "KRN-015", "LOG-001", "LOG-002", "SVC-004"];

    private HardeningEngine Engine(TestServer server) => new(server, server, new HardeningRunOptions { DeadManDelay = TimeSpan.FromMinutes(3) });

    private EngineContext Context(List<DevOpsToolsException>? errors = null) => new(new TestSink(log, errors));

    private void Dump(HardeningReport report)
    {
        log.WriteLine($"{report.Server.Name} {report.Mode}: score {report.Score} changed {report.Changed} compliant {report.Compliant} na {report.NotApplicable} failed {report.Failed} noncompliant {report.NonCompliant} in {report.Duration.TotalSeconds:F2}s");
        foreach (var r in report.Rules.Where(r => r.Status is HardeningRuleStatus.Failed or HardeningRuleStatus.NonCompliant))
        {
            log.WriteLine($"  {r.RuleId} {r.Status}: {r.Detail} | {r.Reason}");
        }
    }

    [SkippableFact]
    public async Task Baseline_is_applied_verified_independently_and_idempotent()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync();
        var profile = HardeningProfile.BuiltIn("Baseline");
        var engine = Engine(server);

        // Before: root key login and password auth are on; the score is below 100.
        Assert.True(await server.SshAsync("root", "true"), "root key login should work before hardening");
        Assert.Contains("password", await server.OfferedAuthMethodsAsync("admin"), StringComparison.Ordinal);
        var before = await engine.RunServerAsync(Context(), server.Server, profile, HardeningMode.Test);
        Dump(before);
        Assert.True(before.Score < 100);

        var applied = await engine.RunServerAsync(Context(), server.Server, profile, HardeningMode.Apply);
        Dump(applied);
        Assert.Equal(0, applied.Failed);
        Assert.Equal(0, applied.NonCompliant);
        Assert.True(applied.Changed > 20, $"changed {applied.Changed}");
        Assert.Equal(100, applied.Score);
        // One check script, one fix script (verify included), one commit after the fresh-login probe.
        Assert.Equal(3, server.LastShell!.Runs);
        var sshd = applied.Rules.Single(r => r.RuleId == "SSH-002");
        Assert.Contains(sshd.Changes, c => c.Path == "/etc/ssh/sshd_config.d/00-devopstools.conf" && c.Diff.Contains("+PasswordAuthentication no"));

        // Kernel-wide rules: NotApplicable with the reason, and really not applied.
        foreach (var id in KernelWide)
        {
            var r = applied.Rules.Single(x => x.RuleId == id);
            Assert.Equal(HardeningRuleStatus.NotApplicable, r.Status);
            Assert.Contains("container", r.Reason, StringComparison.Ordinal);
            Assert.Empty(r.Changes);
        }

        var independent = await server.ExecAsync("""
            echo "sshdT: $(sshd -T | grep -E '^(permitrootlogin|passwordauthentication|kbdinteractiveauthentication|maxauthtries|x11forwarding|allowtcpforwarding|loglevel|banner|ciphers) ' | tr '\n' ';')"
            echo "sysctl: $(sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.all.accept_redirects net.ipv6.conf.all.accept_ra | tr '\n' ' ')"
            echo "kernelfile: $(grep -cE '^(kernel|fs|vm)\.' /etc/sysctl.d/*.conf 2>/dev/null | tr '\n' ' ')"
            echo "modprobe: $(ls /etc/modprobe.d/ | grep -c devopstools) $(grep -c '^install dccp /bin/false$' /etc/modprobe.d/devopstools-protocols.conf)"
            echo "stat: $(stat -c '%n=%a:%U:%G' /etc/ssh/sshd_config /etc/shadow /etc/passwd /etc/gshadow | tr '\n' ' ')"
            echo "nft: $(nft list chain inet devopstools input | tr -s ' \t\n' ' ')"
            echo "logindefs: $(grep -E '^(PASS_MAX_DAYS|PASS_MIN_DAYS|PASS_WARN_AGE|UMASK|ENCRYPT_METHOD|SHA_CRYPT_MIN_ROUNDS)\b' /etc/login.defs | tr -s ' \t' ' ' | tr '\n' ';')"
            echo "pam: $(grep -hoE 'pam_(pwquality|faillock|pwhistory)\.so' /etc/pam.d/common-auth /etc/pam.d/common-password /etc/pam.d/common-account | sort -u | tr '\n' ' ')"
            echo "journald: $(cat /etc/systemd/journald.conf.d/*.conf | grep Storage)"
            echo "sudo: $(visudo -c >/dev/null && echo valid)"
            echo "auditctl: $(command -v auditctl || echo none)"
            """);
        log.WriteLine(independent);
        Assert.Contains("permitrootlogin no;", independent, StringComparison.Ordinal);
        Assert.Contains("passwordauthentication no;", independent, StringComparison.Ordinal);
        Assert.Contains("kbdinteractiveauthentication no;", independent, StringComparison.Ordinal);
        Assert.Contains("maxauthtries 3;", independent, StringComparison.Ordinal);
        Assert.Contains("x11forwarding no;", independent, StringComparison.Ordinal);
        Assert.Contains("allowtcpforwarding no;", independent, StringComparison.Ordinal);
        Assert.Contains("loglevel VERBOSE;", independent, StringComparison.Ordinal);
        Assert.Contains("banner /etc/issue.net;", independent, StringComparison.Ordinal);
        Assert.Contains("ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr;", independent, StringComparison.Ordinal);
        Assert.Contains("sysctl: 1 0 0", independent, StringComparison.Ordinal);
        Assert.DoesNotContain("kernelfile: 1", independent, StringComparison.Ordinal);
        // Module blacklists are written in a container too (documented intent; they take effect on a
        // host that owns its kernel): Baseline's two files, the protocols one with its install lines.
        Assert.Contains("modprobe: 2 1", independent, StringComparison.Ordinal);
        Assert.Contains("/etc/ssh/sshd_config=600:root:root", independent, StringComparison.Ordinal);
        Assert.Contains("/etc/shadow=640:root:shadow", independent, StringComparison.Ordinal);
        Assert.Contains("policy drop;", independent, StringComparison.Ordinal);
        Assert.Contains("tcp dport 22 accept", independent, StringComparison.Ordinal);
        Assert.Contains("PASS_MAX_DAYS 365;", independent, StringComparison.Ordinal);
        Assert.Contains("UMASK 027;", independent, StringComparison.Ordinal);
        Assert.Contains("pam_faillock.so pam_pwhistory.so pam_pwquality.so", independent, StringComparison.Ordinal);
        Assert.Contains("Storage=persistent", independent, StringComparison.Ordinal);
        Assert.Contains("sudo: valid", independent, StringComparison.Ordinal);
        Assert.Contains("auditctl: none", independent, StringComparison.Ordinal); // auditd cannot run in a container: not installed

        // Logins: admin key login with sudo works; root and passwords are refused.
        Assert.True(await server.SshAsync("admin", "sudo -n true"), "admin key login with sudo must keep working");
        Assert.False(await server.SshAsync("root", "true"), "root login must be refused");
        var methods = await server.OfferedAuthMethodsAsync("admin");
        Assert.Contains("publickey", methods, StringComparison.Ordinal);
        Assert.DoesNotContain("password", methods, StringComparison.Ordinal);
        Assert.DoesNotContain("keyboard-interactive", methods, StringComparison.Ordinal);

        // Idempotence: a second run changes nothing and runs one script.
        var again = await engine.RunServerAsync(Context(), server.Server, profile, HardeningMode.Apply);
        Dump(again);
        Assert.Equal(0, again.Changed);
        Assert.Equal(0, again.Failed);
        Assert.Equal(1, server.LastShell!.Runs);

        var after = await engine.RunServerAsync(Context(), server.Server, profile, HardeningMode.Test);
        Assert.Equal(100, after.Score);
        Assert.True(before.Score < after.Score);
    }

    [SkippableFact]
    public async Task WhatIf_plans_every_change_and_changes_nothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync();
        var profile = HardeningProfile.BuiltIn("Baseline");
        var files = profile.Rules.SelectMany(r => r.ManagedFiles).Distinct().ToList();
        var snapshot = $"""
            for f in {string.Join(' ', files)} /etc/pam.d/common-auth /etc/ssh/sshd_config; do
              if [ -e "$f" ]; then echo "$f $(sha256sum < "$f" | cut -c1-16) $(stat -c '%a:%U:%G' "$f")"; else echo "$f absent"; fi
            done
            nft list ruleset | sha256sum
            dpkg -l | sha256sum
            sysctl -a 2>/dev/null | grep '^net\.' | sha256sum
            ls -la /usr/lib/openssh/ssh-keysign
            """;
        var before = await server.ExecAsync(snapshot);

        var plan = await Engine(server).RunServerAsync(Context(), server.Server, profile, HardeningMode.Plan);
        Dump(plan);
        var after = await server.ExecAsync(snapshot);

        Assert.Equal(before, after);
        Assert.Equal(0, plan.Changed);
        Assert.Equal(0, plan.Failed);
        Assert.True(plan.WouldChange > 20, $"would change {plan.WouldChange}");
        var ssh = plan.Rules.Single(r => r.RuleId == "SSH-001");
        Assert.Equal(HardeningRuleStatus.WouldChange, ssh.Status);
        var dropIn = Assert.Single(ssh.Changes, c => c.Path == "/etc/ssh/sshd_config.d/00-devopstools.conf");
        Assert.Null(dropIn.Before);
        Assert.Contains("+PermitRootLogin no", dropIn.Diff);
        var logindefs = plan.Rules.Single(r => r.RuleId == "ACC-001").Changes.Single(c => c.Path == "/etc/login.defs");
        Assert.Contains(logindefs.Diff, l => l.StartsWith("-PASS_MAX_DAYS", StringComparison.Ordinal));
        Assert.Contains(logindefs.Diff, l => l.StartsWith("+PASS_MAX_DAYS", StringComparison.Ordinal) && l.Contains("365", StringComparison.Ordinal));
        var perms = plan.Rules.Single(r => r.RuleId == "SSH-021").Changes.Single(c => c.Path == "/etc/ssh/sshd_config");
        Assert.Equal("644:root:root", perms.ModeBefore);
        Assert.Equal("600:root:root", perms.ModeAfter);
        Assert.Contains(plan.Rules.Single(r => r.RuleId == "SVC-003").Changes, c => c.Description.StartsWith("would run: ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_profile_that_would_lock_the_admin_out_is_rolled_back()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var server = await fixture.CreateAsync();
        var profile = HardeningProfileLoader.Load("lockout.yaml", """
            apiVersion: devopstools/v1
            kind: HardeningProfile
            name: lockout
            extends: None
            enable: [SSH-025, SSH-015]
            parameters:
              SSH-025:
                allowUsers: [nobody]
            """);

        var report = await Engine(server).RunServerAsync(Context(), server.Server, profile, HardeningMode.Apply);
        Dump(report);

        var allow = report.Rules.Single(r => r.RuleId == "SSH-025");
        Assert.Equal(HardeningRuleStatus.Failed, allow.Status);
        Assert.True(allow.RolledBack);
        Assert.Contains("rolled back", allow.Reason, StringComparison.Ordinal);
        Assert.Contains("reachable again", allow.Reason, StringComparison.Ordinal);
        Assert.Contains("SSH-025", report.RolledBack);
        Assert.True(await server.SshAsync("admin", "sudo -n true"), "the admin must still log in with the key");
        var effective = await server.ExecAsync("sshd -T | grep -ciE '^allowusers' || true; sshd -T | grep -i '^loglevel'; ls /var/lib/devopstools/hardening/*/rolled-back | wc -l");
        Assert.StartsWith("0\n", effective, StringComparison.Ordinal);
        Assert.Contains("loglevel INFO", effective, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_unreachable_server_fails_alone_and_nftables_without_NET_ADMIN_is_not_applicable()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var reachable = await fixture.CreateAsync(netAdmin: false);
        var ghost = new Server { Name = "ghost", Environment = "hardening-test", Provider = "Podman", Address = "127.0.0.1", SshPort = 1 };
        var factory = new RoutingFactory(new Dictionary<string, TestServer> { [reachable.Server.Name] = reachable });
        var errors = new List<DevOpsToolsException>();
        var engine = new HardeningEngine(factory, factory);

        var result = await engine.RunAsync(Context(errors), [ghost, reachable.Server], HardeningProfile.BuiltIn("Baseline"), HardeningMode.Test);

        var report = Assert.Single(result.Reports);
        Assert.Equal(reachable.Server.Name, report.Server.Name);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("ghost", failure.Server.Name);
        Assert.Equal(ErrorIds.SshConnectionFailed, failure.Error.ErrorId);
        Assert.Single(errors);
        var fw = report.Rules.Single(r => r.RuleId == "FW-001");
        Assert.Equal(HardeningRuleStatus.NotApplicable, fw.Status);
        Assert.Contains("CAP_NET_ADMIN", fw.Reason, StringComparison.Ordinal);
    }

    private sealed class RoutingFactory(Dictionary<string, TestServer> servers) : IRemoteShellFactory, IFreshLoginProbe
    {
        public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken) =>
            servers.TryGetValue(server.Name, out var f)
                ? f.OpenAsync(server, cancellationToken)
                : throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"cannot connect to {server.Address}:{server.SshPort}", server);

        public Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken) =>
            servers.TryGetValue(server.Name, out var f) ? f.CanLoginAsync(server, cancellationToken) : Task.FromResult(false);
    }
}

/// <summary>Writes engine output to the test log; collects errors.</summary>
public sealed class TestSink(ITestOutputHelper log, List<DevOpsToolsException>? errors = null) : IOutputSink
{
    public void WriteVerbose(string message) => log.WriteLine("VERBOSE: " + message);
    public void WriteWarning(string message) => log.WriteLine("WARNING: " + message);
    public void WriteDebug(string message) { }
    public void WriteProgress(ProgressUpdate progress) { }

    public void WriteError(DevOpsToolsException error)
    {
        log.WriteLine("ERROR: " + error.Message);
        lock (this)
        {
            errors?.Add(error);
        }
    }
}
