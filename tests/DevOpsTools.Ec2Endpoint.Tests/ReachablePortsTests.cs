using System.Net;
using DevOpsTools.Ec2Endpoint.Backing;
using DevOpsTools.Ec2Endpoint.State;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class ReachablePortsTests
{
    private static SecurityGroupRule Rule(string protocol, int? from, int? to, string? cidr, string? group = null) =>
        new() { RuleId = "sgr-" + Guid.NewGuid().ToString("N")[..17], Protocol = protocol, FromPort = from, ToPort = to, CidrIpv4 = cidr, ReferencedGroupId = group };

    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.1", true)]
    [InlineData("127.0.0.1/32", "127.0.0.1", true)]
    [InlineData("0.0.0.0/0", "127.0.0.1", true)]
    [InlineData("10.0.0.0/8", "127.0.0.1", false)]
    [InlineData("127.0.0.2/32", "127.0.0.1", false)]
    [InlineData("127.0.0.0", "127.0.0.1", false)]
    [InlineData("127.0.0.0/33", "127.0.0.1", false)]
    [InlineData("::1/128", "127.0.0.1", false)]
    public void Contains_follows_the_prefix_length(string cidr, string address, bool expected) =>
        Assert.Equal(expected, ReachablePorts.Contains(cidr, IPAddress.Parse(address)));

    [Fact]
    public void Only_tcp_ports_opened_to_this_machine_are_published()
    {
        var (ports, skipped) = ReachablePorts.Of(
        [
            Rule("tcp", 22, 22, "127.0.0.1/32"),
            Rule("tcp", 8080, 8082, "127.0.0.0/8"),
            Rule("tcp", 8080, 8080, "127.0.0.0/8"),
            Rule("tcp", 9090, 9090, "10.0.0.0/8"),
            Rule("udp", 53, 53, "127.0.0.0/8"),
            Rule("-1", null, null, null, group: "sg-0123456789abcdef0"),
        ]);
        Assert.Equal([22, 8080, 8081, 8082], ports);
        Assert.Empty(skipped);
    }

    [Fact]
    public void Rules_too_wide_to_publish_are_reported_not_published()
    {
        var (ports, skipped) = ReachablePorts.Of([Rule("-1", null, null, "0.0.0.0/0"), Rule("tcp", 1000, 2000, "127.0.0.1/32")]);
        Assert.Empty(ports);
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Contains("wider than 64 ports", s, StringComparison.Ordinal));
    }
}
