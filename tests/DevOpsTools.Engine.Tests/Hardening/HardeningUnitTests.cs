using System.Text;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Tests.Hardening;

public class ResultParserTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Parses_facts_rules_changes_files_and_phases_and_ignores_noise()
    {
        var output = string.Join('\n',
            "garbage before",
            $"@@FACT virt {B64("podman")}",
            $"@@RULE SSH-001 FAIL {B64("PermitRootLogin is 'yes'")}",
            "@@RULE BROKEN",
            $"@@CHANGE SSH-001 {B64("ran: systemctl reload ssh")}",
            $"@@FILE SSH-001 {B64("/etc/ssh/x.conf")} - 600:root:root - {B64("PermitRootLogin no\n")}",
            $"@@FILE FIL-002 {B64("/etc/shadow")} 644:root:shadow 640:root:shadow * *",
            $"@@FIXFAIL ACC-006 100 {B64("E: Unable to locate package")}",
            "@@RELOAD sshd",
            "@@ARMED devopstools-hardening-rollback-r1",
            "@@PHASE verify",
            $"@@RULE SSH-001 PASS {B64("PermitRootLogin no")}\r",
            "@@END");

        var r = ResultParser.Parse(output);

        Assert.Equal("podman", r.Facts["virt"]);
        Assert.Equal("FAIL", r.Checks["SSH-001"].Status);
        Assert.Equal("PermitRootLogin is 'yes'", r.Checks["SSH-001"].Detail);
        Assert.Equal("PASS", r.Verify["SSH-001"].Status);
        Assert.Equal(("SSH-001", "ran: systemctl reload ssh"), Assert.Single(r.Notes));
        var created = r.Files[0];
        Assert.Null(created.Before);
        Assert.Null(created.ModeBefore);
        Assert.Equal("PermitRootLogin no\n", created.After);
        Assert.Equal("*", r.Files[1].Before);
        Assert.Contains("E: Unable to locate package", r.FixFailures["ACC-006"], StringComparison.Ordinal);
        Assert.Contains("sshd", r.Reloaded);
        Assert.Equal("devopstools-hardening-rollback-r1", r.ArmedUnit);
        Assert.True(r.Ended);
    }

    [Fact]
    public void A_truncated_output_is_not_ended_and_bad_base64_is_kept_verbatim()
    {
        var r = ResultParser.Parse("@@RULE X-1 PASS not*base64");
        Assert.False(r.Ended);
        Assert.Equal("not*base64", r.Checks["X-1"].Detail);
    }

    [Fact]
    public void Library_emit_sends_printable_details_as_is_and_everything_else_as_base64()
    {
        // The real library.sh, run by sh: the plain form spares a base64 process per rule.
        var output = LocalSh.Run(HardeningScripts.Library + """

            DT_RULE=X-1; emit PASS 'PermitRootLogin  no ~'
            DT_RULE=X-2; emit FAIL "$(printf 'two\nlines')"
            DT_RULE=X-3; emit FAIL "tab	inside"
            DT_RULE=X-4; emit NA ''
            """);

        Assert.Contains("@@RULE X-1 PASS =PermitRootLogin  no ~", output, StringComparison.Ordinal);
        var r = ResultParser.Parse(output);
        Assert.Equal("PermitRootLogin  no ~", r.Checks["X-1"].Detail);
        Assert.Equal("two\nlines", r.Checks["X-2"].Detail);
        Assert.DoesNotContain("=two", output, StringComparison.Ordinal);
        Assert.Equal("tab\tinside", r.Checks["X-3"].Detail);
        Assert.Equal(string.Empty, r.Checks["X-4"].Detail);
    }

    [Fact]
    public void A_check_that_prints_no_result_is_an_error_with_its_stderr()
    {
        var rule = new ResolvedRule(HardeningCatalog.All.First(r => r.Id == "SSH-001"), new Dictionary<string, string>());
        var script = ScriptBuilder.BuildCheckScript([rule])
            .Replace($"\n{rule.Rule.CheckFunction}\n)", "\necho broken >&2; exit 3\n)", StringComparison.Ordinal);

        var r = ResultParser.Parse(LocalSh.Run(script));

        Assert.Equal("ERROR", r.Checks["SSH-001"].Status);
        Assert.Contains("exit 3", r.Checks["SSH-001"].Detail, StringComparison.Ordinal);
        Assert.Contains("broken", r.Checks["SSH-001"].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_diff_shows_changes_with_context()
    {
        var diff = LineDiff.Compute("a\nb\nUMASK 022\nc\nd\ne\nf\n", "a\nb\nUMASK 027\nc\nd\ne\nf\n", context: 1);
        Assert.Equal([" b", "-UMASK 022", "+UMASK 027", " c"], diff);
        Assert.Equal(["+x"], LineDiff.Compute(null, "x\n"));
        Assert.Equal("/etc/shadow mode 644:root:shadow -> 640:root:shadow",
            LineDiff.Describe(new FileChange("FIL-002", "/etc/shadow", "644:root:shadow", "640:root:shadow", "*", "*")));
    }
}

public class ApplicabilityAndCryptoTests
{
    private static readonly Dictionary<string, string> Container = new() { ["virt"] = "podman", ["nft"] = "yes" };
    private static readonly Dictionary<string, string> Host = new() { ["virt"] = "none", ["nft"] = "yes" };

    [Theory]
    [InlineData("KRN-010")]
    [InlineData("KRN-015")]
    [InlineData("LOG-001")]
    [InlineData("SVC-004")]
    [InlineData("MNT-001")]
    public void Kernel_wide_and_mount_rules_do_not_apply_in_a_container(string id)
    {
        var rule = HardeningCatalog.Find(id)!;
        Assert.Contains("container", Applicability.Reason(rule, Container), StringComparison.Ordinal);
        Assert.Null(Applicability.Reason(rule, Host));
    }

    [Theory]
    [InlineData("MOD-001")]
    [InlineData("MOD-002")]
    [InlineData("MOD-003")]
    public void Module_blacklists_are_written_in_a_container_too(string id) =>
        Assert.Null(Applicability.Reason(HardeningCatalog.Find(id)!, Container));

    [Fact]
    public void Network_sysctls_apply_everywhere_and_the_firewall_needs_nftables()
    {
        Assert.Null(Applicability.Reason(HardeningCatalog.Find("KRN-001")!, Container));
        var fw = HardeningCatalog.Find("FW-001")!;
        Assert.Null(Applicability.Reason(fw, Container));
        Assert.Contains("CAP_NET_ADMIN", Applicability.Reason(fw, new Dictionary<string, string> { ["virt"] = "podman", ["nft"] = "no" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9.2", "sntrup761x25519-sha512@openssh.com,", "chacha20-poly1305@openssh.com,")]
    [InlineData("9.9", "mlkem768x25519-sha256,", "chacha20-poly1305@openssh.com,")]
    [InlineData("8.4", "curve25519-sha256,", "chacha20-poly1305@openssh.com,")]
    [InlineData("6.7", "curve25519-sha256@libssh.org,", "chacha20-poly1305@openssh.com,")]
    [InlineData("5.9", "diffie-hellman-group-exchange-sha256", "aes256-ctr,")]
    [InlineData(null, "diffie-hellman-group-exchange-sha256", "aes256-ctr,")]
    public void Crypto_lists_follow_the_OpenSSH_version(string? version, string kexStart, string cipherStart)
    {
        var choice = SshCrypto.For(SshCrypto.ParseVersion(version));
        Assert.StartsWith(kexStart, choice.Kex, StringComparison.Ordinal);
        Assert.StartsWith(cipherStart, choice.Ciphers, StringComparison.Ordinal);
        Assert.DoesNotContain("sha1", choice.Macs, StringComparison.Ordinal);
        Assert.DoesNotContain("cbc", choice.Ciphers, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shell_selector_is_generated_from_the_same_table()
    {
        var sh = SshCrypto.ShellSelector();
        Assert.Contains("[ \"$v\" -ge 805 ]; then DT_KEX='" + SshCrypto.For(new Version(8, 5)).Kex + "'", sh, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalogue_ids_are_unique_stable_and_every_rule_has_a_check()
    {
        var ids = HardeningCatalog.All.Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(HardeningCatalog.All, r =>
        {
            Assert.Matches("^[A-Z]{2,3}-[0-9]{3}$", r.Id);
            Assert.EndsWith("_check", r.CheckFunction, StringComparison.Ordinal);
            Assert.Contains(r.Category, HardeningCatalog.Categories);
        });
        Assert.True(ids.Count >= 60, $"{ids.Count} rules");
        Assert.True(HardeningProfile.BuiltIn("Strict").Rules.Count > HardeningProfile.BuiltIn("Baseline").Rules.Count);
    }
}

public class HardeningProfileTests
{
    [Fact]
    public void Custom_profile_extends_enables_disables_and_sets_parameters()
    {
        var p = HardeningProfileLoader.Load("bastion.yaml", """
            apiVersion: devopstools/v1
            kind: HardeningProfile
            name: bastion
            extends: Baseline
            enable: [SSH-025]
            disable: [Firewall, ACC-008]
            parameters:
              SSH-009:
                allowForwarding: true
              SSH-025:
                allowUsers: ["{admin}", deploy]
            """);

        Assert.Equal("bastion", p.Name);
        Assert.Contains(p.Rules, r => r.Id == "SSH-025");
        Assert.DoesNotContain(p.Rules, r => r.Id is "FW-001" or "ACC-008");
        var server = new Server { Name = "b", Environment = "e", Provider = "Podman", User = "ops" };
        Assert.Equal("true", p.ValuesFor(HardeningCatalog.Find("SSH-009")!, server)["allowForwarding"]);
        Assert.Equal("ops deploy", p.ValuesFor(HardeningCatalog.Find("SSH-025")!, server)["allowUsers"]);
        Assert.Equal("false", p.ValuesFor(HardeningCatalog.Find("SSH-010")!, server)["allowForwarding"]);
    }

    [Fact]
    public void Errors_name_file_line_column_field_and_suggest()
    {
        var ex = Assert.Throws<DevOpsToolsAggregateException>(() => HardeningProfileLoader.Load("p.yaml", """
            apiVersion: devopstools/v1
            kind: HardeningProfile
            name: p
            enable: [SSH-0001]
            parameters:
              SSH-005:
                maxAuthTry: 2
              FW-001:
                allowedPorts: [80, http]
              NOPE-1:
                x: 1
            """));

        Assert.Equal(ErrorIds.HardeningProfileInvalid, ex.ErrorId);
        var messages = ex.Errors.Select(e => e.Message).ToList();
        Assert.Contains("p.yaml:4:10: $.enable[0]: unknown rule or category 'SSH-0001'; did you mean 'SSH-001'?", messages);
        Assert.Contains("p.yaml:7:5: $.parameters.SSH-005.maxAuthTry: unknown parameter 'maxAuthTry' of SSH-005; did you mean 'maxAuthTries'?", messages);
        Assert.Contains(messages, m => m.StartsWith("p.yaml:9:19: $.parameters.FW-001.allowedPorts: expected port numbers", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("p.yaml:10:3: $.parameters.NOPE-1: unknown rule 'NOPE-1'", StringComparison.Ordinal));
        Assert.Equal([ErrorIds.HardeningUnknownRule, ErrorIds.HardeningUnknownParameter, ErrorIds.YamlWrongType, ErrorIds.HardeningUnknownRule], ex.Errors.Select(e => e.ErrorId));
    }

    [Fact]
    public void Unknown_top_level_keys_use_the_yaml_binder_with_a_suggestion()
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => HardeningProfileLoader.Load("p.yaml", "name: p\nextend: Strict\n"));
        Assert.Equal(ErrorIds.YamlUnknownKey, ex.ErrorId);
        Assert.Equal("p.yaml:2:1: $.extend: unknown key 'extend'; did you mean 'extends'?", ex.Message);
    }

    [Fact]
    public void Rule_filters_reject_unknown_ids_and_accept_categories()
    {
        var baseline = HardeningProfile.BuiltIn("Baseline");
        var ex = Assert.Throws<DevOpsToolsException>(() => baseline.Filter(["SHH-001"], null));
        Assert.Equal(ErrorIds.HardeningUnknownRule, ex.ErrorId);
        Assert.Contains("did you mean 'SSH-001'", ex.Message, StringComparison.Ordinal);
        Assert.All(baseline.Filter(["Ssh"], ["SSH-002"]).Rules, r => Assert.Equal("Ssh", r.Category));
        Assert.DoesNotContain(baseline.Filter(null, ["Firewall"]).Rules, r => r.Id == "FW-001");
    }

    [Fact]
    public void A_missing_profile_file_is_ProfileNotFound()
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => HardeningProfile.Resolve("/nonexistent/profile.yaml"));
        Assert.Equal(ErrorIds.HardeningProfileNotFound, ex.ErrorId);
    }

    [Fact]
    public void Declared_ports_from_the_server_tag_are_added_to_the_firewall()
    {
        var server = new Server { Name = "w", Environment = "e", Provider = "Podman", Ports = [8080, 443] };
        var values = HardeningProfile.BuiltIn("Baseline").ValuesFor(HardeningCatalog.Find("FW-001")!, server);
        Assert.Equal("8080 443", values["allowedPorts"]);
    }
}
