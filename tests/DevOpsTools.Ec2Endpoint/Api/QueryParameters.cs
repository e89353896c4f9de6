using System.Globalization;
using System.Text;

namespace DevOpsTools.Ec2Endpoint.Api;

/// <summary>
/// The flat name/value parameters of an EC2 Query API request (form body or query string), with helpers for
/// the Query protocol's list encoding (<c>Name.N</c>, <c>Name.N.Member</c>).
/// </summary>
internal sealed class QueryParameters
{
    private readonly List<KeyValuePair<string, string>> _ordered;
    private readonly Dictionary<string, string> _values;

    public QueryParameters(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        _ordered = [];
        _values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            if (_values.TryAdd(k, v))
            {
                _ordered.Add(new KeyValuePair<string, string>(k, v));
            }
        }
    }

    public IReadOnlyList<KeyValuePair<string, string>> All => _ordered;

    public static QueryParameters Parse(string formOrQuery)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in formOrQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            pairs.Add(new KeyValuePair<string, string>(Decode(name), Decode(value)));
        }

        return new QueryParameters(pairs);
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public bool Has(string name) => _values.ContainsKey(name);

    public string Required(string name) =>
        Get(name) is { Length: > 0 } v ? v : throw Ec2Error.MissingParameter(name);

    public bool? GetBool(string name)
    {
        var v = Get(name);
        if (v is null)
        {
            return null;
        }

        return v.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Ec2Error.InvalidParameterValue($"Invalid value '{v}' for {name}. Expected a boolean."),
        };
    }

    public int? GetInt(string name)
    {
        var v = Get(name);
        if (v is null)
        {
            return null;
        }

        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw Ec2Error.InvalidParameterValue($"Invalid value '{v}' for {name}. Expected an integer.");
    }

    /// <summary>Values of <c>prefix.1</c>, <c>prefix.2</c>, ... in index order.</summary>
    public List<string> List(string prefix)
    {
        var found = new SortedDictionary<int, string>();
        var p = prefix + ".";
        foreach (var (k, v) in _ordered)
        {
            if (k.StartsWith(p, StringComparison.Ordinal) && int.TryParse(k.AsSpan(p.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            {
                found[i] = v;
            }
        }

        return [.. found.Values];
    }

    /// <summary>The structures <c>prefix.N.*</c>, each as its own parameter set with <c>prefix.N.</c> removed.</summary>
    public List<QueryParameters> Structs(string prefix)
    {
        var groups = new SortedDictionary<int, List<KeyValuePair<string, string>>>();
        var p = prefix + ".";
        foreach (var (k, v) in _ordered)
        {
            if (!k.StartsWith(p, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = k.AsSpan(p.Length);
            var dot = rest.IndexOf('.');
            if (dot <= 0 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            {
                continue;
            }

            if (!groups.TryGetValue(i, out var list))
            {
                groups[i] = list = [];
            }

            list.Add(new KeyValuePair<string, string>(rest[(dot + 1)..].ToString(), v));
        }

        return [.. groups.Values.Select(g => new QueryParameters(g))];
    }

    /// <summary>The members <c>prefix.*</c> of a nested structure, with <c>prefix.</c> removed; null when absent.</summary>
    public QueryParameters? Struct(string prefix)
    {
        var p = prefix + ".";
        var pairs = _ordered.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, string>(kv.Key[p.Length..], kv.Value))
            .ToList();
        return pairs.Count == 0 ? null : new QueryParameters(pairs);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in _ordered)
        {
            sb.Append(k).Append('=').Append(v).Append(' ');
        }

        return sb.ToString();
    }
}
