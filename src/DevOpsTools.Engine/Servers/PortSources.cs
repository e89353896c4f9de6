using System.Globalization;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers;

/// <summary>
/// Which source addresses may reach a server's port: a neutral record of the server's
/// definition, kept in the module's data directory (port-sources/&lt;environment&gt;/&lt;server&gt;),
/// one "port=address[,address...]" line per port. A capability that places a service on a
/// server (Deploy-DataService: the db port for the app servers) records it; Set-Hardening's
/// firewall (FW-001 allowedSources) applies it. Every address is validated as an IPv4 or IPv6
/// address or CIDR network before it is written or read.
/// </summary>
public sealed partial class PortSources
{
    private readonly ModuleData _data;

    public PortSources(ModuleData data)
    {
        _data = data;
    }

    /// <summary>Null when <paramref name="source"/> is an IPv4/IPv6 address or CIDR network (no zone id, no host bits past the prefix), else why not.</summary>
    public static string? Problem(string source)
    {
        var address = source.Split('/')[0];
        var isV4 = !address.Contains(':', StringComparison.Ordinal);
        if (!SourcePattern().IsMatch(source) || (isV4 && address.Split('.').Length != 4)
            || !System.Net.IPAddress.TryParse(address, out var ip)
            || (source.Contains('/', StringComparison.Ordinal) && !(System.Net.IPNetwork.TryParse(source, out var network) && network.BaseAddress.Equals(ip))))
        {
            return $"'{Show(source)}' is not an IPv4 or IPv6 address or CIDR network (e.g. 10.0.0.5, 10.0.0.0/24, fd00::/64; no host bits past the prefix).";
        }

        return null;
    }

    private static string Show(string value) =>
        string.Concat(value.Take(60).Select(c => char.IsControl(c) || c == '\\' ? $"\\x{(int)c:x2}" : c.ToString()));

    /// <summary>Forgets a removed server's record, so a new server of the same name starts without it.</summary>
    public void Forget(string environment, string server)
    {
        if (NamePattern().IsMatch(environment) && NamePattern().IsMatch(server))
        {
            // File.Delete throws when the directory is missing; no record is nothing to forget.
            var path = Path.Combine(_data.Root, "port-sources", environment, server);
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>The recorded sources per port of one server; empty when nothing is recorded (a server named by -HostName has no environment, so no record).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<string>> Read(string environment, string server)
    {
        var result = new SortedDictionary<int, IReadOnlyList<string>>();
        if (!NamePattern().IsMatch(environment) || !NamePattern().IsMatch(server))
        {
            return result;
        }

        var path = Path.Combine(_data.Root, "port-sources", environment, server);
        if (!File.Exists(path))
        {
            return result;
        }

        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var sources = eq > 0 ? line[(eq + 1)..].Split(',') : [];
            if (eq <= 0 || !int.TryParse(line[..eq], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
                || sources.Length == 0 || sources.Any(s => Problem(s) is not null))
            {
                throw new DevOpsToolsException(ErrorIds.HardeningParameterInvalid, ErrorKind.InvalidData,
                    $"{path}: '{line}' is not port=address[,address...] with IPv4/IPv6 addresses or CIDRs.", path)
                {
                    RecommendedAction = "Delete the file and run the command that records it (Deploy-DataService) again.",
                };
            }

            result[port] = sources;
        }

        return result;
    }

    /// <summary>Records that <paramref name="port"/> of the server is open only to <paramref name="sources"/>; false when that was already so.</summary>
    public bool Record(string environment, string server, int port, IReadOnlyList<string> sources, bool apply)
    {
        var problem = sources.Count == 0 ? "at least one source address is needed." : sources.Select(Problem).FirstOrDefault(p => p is not null);
        if (problem is not null)
        {
            throw new DevOpsToolsException(ErrorIds.HardeningParameterInvalid, ErrorKind.InvalidArgument,
                $"{environment}/{server} port {port.ToString(CultureInfo.InvariantCulture)}: {problem}", server);
        }

        var all = new SortedDictionary<int, IReadOnlyList<string>>(Read(environment, server).ToDictionary());
        var wanted = sources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (all.TryGetValue(port, out var had) && had.SequenceEqual(wanted, StringComparer.Ordinal))
        {
            return false;
        }

        if (apply)
        {
            all[port] = wanted;
            SecureFiles.WritePrivateFile(PathOf(environment, server), string.Concat(all.Select(kv =>
                $"{kv.Key.ToString(CultureInfo.InvariantCulture)}={string.Join(',', kv.Value)}\n")));
        }

        return true;
    }

    /// <summary>The record as FW-001 allowedSources items ("5432=10.0.0.5,10.0.0.6").</summary>
    public static IEnumerable<string> AsItems(IReadOnlyDictionary<int, IReadOnlyList<string>> sources) =>
        sources.Select(kv => $"{kv.Key.ToString(CultureInfo.InvariantCulture)}={string.Join(',', kv.Value)}");

    private string PathOf(string environment, string server) =>
        Path.Combine(_data.Directory("port-sources", Safe(environment)), Safe(server));

    private static string Safe(string name) => NamePattern().IsMatch(name) ? name
        : throw new DevOpsToolsException(ErrorIds.HardeningParameterInvalid, ErrorKind.InvalidArgument, $"'{name}' is not a server or environment name.", name);

    [GeneratedRegex("^[0-9A-Fa-f.:]{2,45}(/[0-9]{1,3})?$")]
    private static partial Regex SourcePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();
}
