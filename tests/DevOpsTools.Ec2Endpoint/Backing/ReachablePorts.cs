using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint.Backing;

/// <summary>
/// Which TCP ports of an instance this machine may reach, from its security groups' ingress rules:
/// like a VM's public address, a podman-backed instance answers on the ports a rule opens to a
/// range holding the client address (127.0.0.1), and on no other. Rules that reference groups or
/// prefix lists open nothing to this machine; a rule for every port or a range wider than
/// <see cref="MaxRange"/> ports cannot be published one port at a time and is reported instead.
/// </summary>
internal static class ReachablePorts
{
    /// <summary>The widest port range published (podman holds one socket per published port).</summary>
    public const int MaxRange = 64;

    public static readonly IPAddress Client = IPAddress.Loopback;

    /// <summary>The ports, sorted and distinct, and the rules left out with why.</summary>
    public static (IReadOnlyList<int> Ports, IReadOnlyList<string> Skipped) Of(IEnumerable<SecurityGroupRule> ingress)
    {
        var ports = new SortedSet<int>();
        var skipped = new List<string>();
        foreach (var rule in ingress)
        {
            if (rule.CidrIpv4 is not { } cidr || !Contains(cidr, Client))
            {
                continue;
            }

            if (rule.Protocol is not ("tcp" or "6" or "-1"))
            {
                continue;
            }

            var from = rule.Protocol == "-1" ? 0 : rule.FromPort ?? 0;
            var to = rule.Protocol == "-1" ? 65535 : rule.ToPort ?? 65535;
            if (to - from + 1 > MaxRange)
            {
                skipped.Add($"{rule.RuleId} ({rule.Protocol} {from}-{to} from {cidr}): wider than {MaxRange} ports");
                continue;
            }

            for (var port = Math.Max(from, 1); port <= to; port++)
            {
                ports.Add(port);
            }
        }

        return ([.. ports], skipped);
    }

    /// <summary>Whether an IPv4 CIDR ("127.0.0.0/8") holds the address; a malformed one holds nothing.</summary>
    public static bool Contains(string cidr, IPAddress address)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IPAddress.TryParse(cidr[..slash], out var network)
            || network.AddressFamily != AddressFamily.InterNetwork
            || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
            || bits > 32)
        {
            return false;
        }

        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        return (ToUInt32(network) & mask) == (ToUInt32(address) & mask);
    }

    private static uint ToUInt32(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }
}
