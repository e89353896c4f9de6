using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>FW-001's allowedSources: validated as IP addresses/CIDRs, rendered by firewall.sh as saddr rules.</summary>
public class FirewallSourceTests
{
    private static readonly HardeningRuleParameter Sources = HardeningCatalog.Find("FW-001")!.Parameters.Single(p => p.Name == "allowedSources");

    [Theory]
    [InlineData("5432=10.88.0.5")]
    [InlineData("5432=10.88.0.5,10.0.0.0/24 8080=fd00::/64")]
    [InlineData("443=2001:db8::1,192.168.1.0/24,::1")]
    [InlineData("")]
    public void Accepts_ports_with_ipv4_and_ipv6_addresses_and_networks(string value) =>
        Assert.Null(HardeningParameterValidator.Problem(Sources, value));

    [Theory]
    [InlineData("5432", "expected port=address")]
    [InlineData("=10.0.0.1", "expected port=address")]
    [InlineData("0=10.0.0.1", "expected port=address")]
    [InlineData("70000=10.0.0.1", "expected port=address")]
    [InlineData("5432=10.0.0", "not an IPv4 or IPv6")]
    [InlineData("5432=10", "not an IPv4 or IPv6")]
    [InlineData("5432=300.0.0.1", "not an IPv4 or IPv6")]
    [InlineData("5432=10.0.0.5/24", "not an IPv4 or IPv6")]
    [InlineData("5432=10.0.0.0/33", "not an IPv4 or IPv6")]
    [InlineData("5432=fe80::1%eth0", "not an IPv4 or IPv6")]
    [InlineData("5432=10.0.0.1,", "not an IPv4 or IPv6")]
    [InlineData("5432=10.0.0.1;reboot", "not an IPv4 or IPv6")]
    [InlineData("5432=$(id)", "not an IPv4 or IPv6")]
    [InlineData("5432=any", "not an IPv4 or IPv6")]
    [InlineData("5432=10.0.0.1 } tcp dport 1-65535 accept", "expected port=address")]
    [InlineData("5432=10.0.0.1\naccept", "control character")]
    public void Rejects_what_is_not_a_port_and_addresses(string value, string expected)
    {
        var problem = HardeningParameterValidator.Problem(Sources, value);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_sets_the_sources_and_an_invalid_source_fails_the_profile_with_its_place()
    {
        var profile = HardeningProfileLoader.Load("db.yaml", """
            apiVersion: devopstools/v1
            kind: HardeningProfile
            name: db
            extends: Baseline
            parameters:
              FW-001:
                allowedSources: ["5432=10.88.0.7,fd00::/64"]
            """);
        var server = new Server { Name = "db", Environment = "e", Provider = "Podman", Ports = [5432] };
        var values = profile.ValuesFor(HardeningCatalog.Find("FW-001")!, server);
        Assert.Equal("5432", values["allowedPorts"]);
        Assert.Equal("5432=10.88.0.7,fd00::/64", values["allowedSources"]);

        var ex = Assert.Throws<DevOpsToolsException>(() => HardeningProfileLoader.Load("bad.yaml",
            "name: bad\nextends: Baseline\nparameters:\n  FW-001:\n    allowedSources: [\"5432=10.88.0.7/8\"]\n"));
        Assert.StartsWith("bad.yaml:5:21: $.parameters.FW-001.allowedSources: '5432=10.88.0.7/8': '10.88.0.7/8' is not an IPv4 or IPv6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recorded_port_sources_join_allowedSources_for_ports_the_profile_does_not_restrict()
    {
        var root = Path.Combine(Path.GetTempPath(), "dfw-xunit-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var store = new DevOpsTools.Engine.Servers.PortSources(new ModuleData(root));
            Assert.True(store.Record("e", "db", 5432, ["10.88.0.7"], apply: false)); // a plan: would change, writes nothing
            Assert.Empty(store.Read("e", "db"));
            Assert.Empty(store.Read(string.Empty, "bastion.example.net"));
            Assert.False(Directory.Exists(root));
            Assert.True(store.Record("e", "db", 5432, ["10.88.0.9", "10.88.0.7"], apply: true));
            Assert.True(store.Record("e", "db", 9000, ["fd00::/64"], apply: true));
            Assert.False(store.Record("e", "db", 5432, ["10.88.0.7", "10.88.0.9"], apply: true));
            Assert.Throws<DevOpsToolsException>(() => store.Record("e", "db", 5432, ["10.88.0.7;reboot"], apply: true));

            var server = new Server { Name = "db", Environment = "e", Provider = "Podman", Ports = [5432] };
            var rule = HardeningCatalog.Find("FW-001")!;
            var recorded = store.Read("e", "db");
            Assert.Equal("5432=10.88.0.7,10.88.0.9 9000=fd00::/64", HardeningProfile.BuiltIn("Baseline").ValuesFor(rule, server, recorded)["allowedSources"]);
            Assert.Equal(string.Empty, HardeningProfile.BuiltIn("Baseline").ValuesFor(rule, server)["allowedSources"]);

            var profile = HardeningProfileLoader.Load("p.yaml", "name: p\nextends: Baseline\nparameters:\n  FW-001:\n    allowedSources: [\"5432=10.0.0.0/8\"]\n");
            Assert.Equal("5432=10.0.0.0/8 9000=fd00::/64", profile.ValuesFor(rule, server, recorded)["allowedSources"]);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public void Firewall_sh_opens_a_restricted_port_only_to_its_sources_per_family_and_others_to_all()
    {
        var script = HardeningScripts.Read("firewall.sh") + """

            DT_SSH_PORTS=22
            P_allowedPorts='5432 8080'
            P_allowedSources='5432=10.88.0.7,fd00::/64,10.0.0.0/24 9000=::1'
            fw_render
            """;
        var lines = LocalSh.Run(script).Split('\n').Select(l => l.Trim()).Where(l => l.Contains("dport", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "tcp dport 22 accept",
            "ip saddr { 10.0.0.0/24, 10.88.0.7 } tcp dport 5432 accept",
            "ip6 saddr { fd00::/64 } tcp dport 5432 accept",
            "tcp dport 8080 accept",
            "ip6 saddr { ::1 } tcp dport 9000 accept",
        ], lines);
    }
}
