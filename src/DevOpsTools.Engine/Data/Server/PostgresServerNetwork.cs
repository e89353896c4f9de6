using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data;

/// <summary>One address of a server's interface with its prefix length, as `ip -o addr` reports it.</summary>
public sealed record InterfaceAddress(IPAddress Address, int PrefixLength)
{
    /// <summary>Whether <paramref name="other"/> is on this address's subnet (same family, same first PrefixLength bits).</summary>
    public bool Contains(IPAddress other)
    {
        if (other.AddressFamily != Address.AddressFamily)
        {
            return false;
        }

        var a = Address.GetAddressBytes();
        var b = other.GetAddressBytes();
        for (var bit = 0; bit < PrefixLength; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The network side of PostgreSQL on a server of the environment, as pure logic so it is tested
/// without a server: which of the server's addresses it listens on, and the pg_hba.conf that
/// admits the app servers' addresses only. Every address is parsed here (never passed on as text
/// it was given), so what reaches the configuration files is an address and nothing else.
/// </summary>
public static class PostgresServerNetwork
{
    /// <summary>
    /// The server's global addresses from `ip -o addr show scope global` ("2: eth0    inet
    /// 10.88.0.5/16 brd ..."), in the order reported (the first is the primary one). Lines that are
    /// not an inet/inet6 address with a prefix are skipped.
    /// </summary>
    public static IReadOnlyList<InterfaceAddress> ParseIpAddr(string output)
    {
        var addresses = new List<InterfaceAddress>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var at = Array.FindIndex(words, w => w is "inet" or "inet6");
            if (at < 0 || at + 1 >= words.Length)
            {
                continue;
            }

            var parts = words[at + 1].Split('/');
            if (parts.Length == 2 && IPAddress.TryParse(parts[0], out var address)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
                && prefix >= 0 && prefix <= Bits(address) && IsUnicast(address))
            {
                addresses.Add(new InterfaceAddress(address, prefix));
            }
        }

        return addresses;
    }

    /// <summary>
    /// The client addresses, parsed, checked and in a stable order (sorted, no duplicates) so that the
    /// same environment always renders the same files. The unspecified address, broadcast, multicast
    /// or anything that is not an address is refused: a data service is never opened to everyone.
    /// </summary>
    public static IReadOnlyList<IPAddress> Clients(IEnumerable<string> clients)
    {
        var parsed = new List<IPAddress>();
        foreach (var text in clients)
        {
            // IPv4 only in its canonical text: IPAddress.TryParse also takes "10.1" and "010.0.0.1".
            if (!IPAddress.TryParse(text, out var address) || !IsUnicast(address)
                || address.AddressFamily == AddressFamily.InterNetwork && address.ToString() != text)
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"'{text}' is not a unicast IP address; a data service admits app servers by their own address only.", text);
            }

            parsed.Add(address);
        }

        return parsed.DistinctBy(a => a.ToString()).OrderBy(a => a.AddressFamily).ThenBy(a => a.GetAddressBytes(), ByteOrder.Instance).ToList();
    }

    /// <summary>
    /// The addresses PostgreSQL listens on: each of the server's own addresses on a subnet of some
    /// client, the primary address when a client is on none of them (it is routed, as between the
    /// subnets of a VPC), and 127.0.0.1 always (the superuser's tools and SSH tunnels). Never a
    /// wildcard: an address that is not on the environment's network is not listened on.
    /// </summary>
    public static IReadOnlyList<IPAddress> ListenAddresses(IReadOnlyList<InterfaceAddress> own, IReadOnlyList<IPAddress> clients)
    {
        var listen = new List<IPAddress>();
        foreach (var client in clients.Where(c => !IPAddress.IsLoopback(c)))
        {
            var on = own.FirstOrDefault(o => o.Contains(client)) ?? own.FirstOrDefault(o => o.Address.AddressFamily == client.AddressFamily);
            if (on is null)
            {
                throw new DevOpsToolsException(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
                    $"The server has no {(client.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address that app server {client} can reach; it has {(own.Count == 0 ? "none" : string.Join(", ", own.Select(o => $"{o.Address}/{o.PrefixLength}")))}.", client.ToString());
            }

            if (!listen.Contains(on.Address))
            {
                listen.Add(on.Address);
            }
        }

        listen.Sort((a, b) => ByteOrder.Instance.Compare(a.GetAddressBytes(), b.GetAddressBytes()));
        listen.Add(IPAddress.Loopback);
        return listen;
    }

    /// <summary>The conf.d snippet: where it listens, its port, scram-sha-256 for new passwords.</summary>
    public static string RenderConfig(IReadOnlyList<IPAddress> listen, int port)
    {
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 1-65535.");
        }

        return "# Written by DevOpsTools; changed on the next Deploy-DataService.\n" +
            $"listen_addresses = '{string.Join(',', listen.Select(a => a.ToString()))}'\n" +
            $"port = {port.ToString(CultureInfo.InvariantCulture)}\n" +
            "password_encryption = scram-sha-256\n";
    }

    /// <summary>
    /// pg_hba.conf: the superuser by socket (peer) only and refused over TCP from anywhere; users
    /// with scram-sha-256 passwords from 127.0.0.1 and from each client's own address (/32, /128);
    /// everything else refused by the last lines. No line admits a network wider than one host.
    /// </summary>
    public static string RenderHba(IReadOnlyList<IPAddress> clients)
    {
        var hba = new StringBuilder()
            .Append("# Written by DevOpsTools: the superuser by socket, users by password from the app servers only.\n")
            .Append("local all postgres peer\n")
            .Append("local all all reject\n")
            .Append("host all postgres 0.0.0.0/0 reject\n")
            .Append("host all postgres ::/0 reject\n")
            .Append("host all all 127.0.0.1/32 scram-sha-256\n");
        foreach (var client in clients.Where(c => !c.Equals(IPAddress.Loopback)))
        {
            hba.Append("host all all ").Append(client).Append('/').Append(Bits(client).ToString(CultureInfo.InvariantCulture)).Append(" scram-sha-256\n");
        }

        return hba.Append("host all all 0.0.0.0/0 reject\n").Append("host all all ::/0 reject\n").ToString();
    }

    private static int Bits(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;

    private static bool IsUnicast(IPAddress address) =>
        address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
        && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.Broadcast)
        && !address.IsIPv6Multicast && !(address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes()[0] >= 224)
        && (address.AddressFamily == AddressFamily.InterNetwork || address.ScopeId == 0);

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y)
        {
            for (var i = 0; i < Math.Min(x!.Length, y!.Length); i++)
            {
                if (x[i] != y[i])
                {
                    return x[i].CompareTo(y[i]);
                }
            }

            return x.Length.CompareTo(y.Length);
        }
    }
}
