using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// labelSelector (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>)
/// and fieldSelector (<c>metadata.name</c>, <c>metadata.namespace</c> with = == !=), ANDed across commas.
/// </summary>
public sealed class Selector
{
    private readonly List<Func<JsonObject, bool>> _terms = [];

    public static readonly Selector Everything = new();

    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(JsonObject obj) => _terms.All(t => t(obj));

    public static Selector ParseLabels(string? text)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            selector._terms.Add(ParseLabelTerm(term));
        }

        return selector;
    }

    public static Selector ParseFields(string? text, ResourceType type)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            var (field, op, value) = SplitOperator(term) ?? throw ApiException.BadRequest($"invalid field selector: '{term}'");
            Func<JsonObject, string?> read = field switch
            {
                "metadata.name" => o => Meta.Name(o),
                "metadata.namespace" => o => Meta.Namespace(o) ?? string.Empty,
                "status.phase" when type == ResourceCatalog.Pods => o => (string?)o["status"]?["phase"],
                "spec.nodeName" when type == ResourceCatalog.Pods => o => (string?)o["spec"]?["nodeName"] ?? string.Empty,
                "involvedObject.name" when type == ResourceCatalog.Events => o => (string?)o["involvedObject"]?["name"],
                "involvedObject.kind" when type == ResourceCatalog.Events => o => (string?)o["involvedObject"]?["kind"],
                "involvedObject.uid" when type == ResourceCatalog.Events => o => (string?)o["involvedObject"]?["uid"],
                "involvedObject.namespace" when type == ResourceCatalog.Events => o => (string?)o["involvedObject"]?["namespace"],
                "reason" when type == ResourceCatalog.Events => o => (string?)o["reason"],
                "type" when type == ResourceCatalog.Events => o => (string?)o["type"],
                "source" when type == ResourceCatalog.Events => o => (string?)o["source"]?["component"],
                _ => throw ApiException.BadRequest($"field label not supported: {field}"),
            };
            selector._terms.Add(op == "!=" ? o => read(o) != value : o => read(o) == value);
        }

        return selector;
    }

    /// <summary>A workload's <c>spec.selector</c> (matchLabels and matchExpressions) as a selector.</summary>
    public static Selector FromLabelSelector(JsonNode? node)
    {
        var selector = new Selector();
        if (node?["matchLabels"] is JsonObject ml)
        {
            foreach (var (key, value) in ml)
            {
                var v = (string?)value;
                selector._terms.Add(o => Meta.Label(o, key) == v);
            }
        }

        if (node?["matchExpressions"] is JsonArray exprs)
        {
            foreach (var e in exprs.OfType<JsonObject>())
            {
                var key = (string?)e["key"] ?? string.Empty;
                var values = e["values"] is JsonArray vs ? vs.Select(v => (string?)v).ToHashSet() : [];
                selector._terms.Add((string?)e["operator"] switch
                {
                    "In" => o => Meta.Label(o, key) is { } l && values.Contains(l),
                    "NotIn" => o => Meta.Label(o, key) is not { } l || !values.Contains(l),
                    "Exists" => o => Meta.Label(o, key) is not null,
                    "DoesNotExist" => o => Meta.Label(o, key) is null,
                    var op => throw ApiException.BadRequest($"invalid label selector operator '{op}'"),
                });
            }
        }

        return selector;
    }

    private static Func<JsonObject, bool> ParseLabelTerm(string term)
    {
        var t = term.Trim();
        var setMatch = System.Text.RegularExpressions.Regex.Match(t, @"^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$");
        if (setMatch.Success)
        {
            var key = setMatch.Groups[1].Value;
            var values = setMatch.Groups[3].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            return setMatch.Groups[2].Value == "in"
                ? o => Meta.Label(o, key) is { } l && values.Contains(l)
                : o => Meta.Label(o, key) is not { } l || !values.Contains(l);
        }

        if (SplitOperator(t) is var (k, op, v))
        {
            ValidateKey(k, term);
            return op == "!=" ? o => Meta.Label(o, k) != v : o => Meta.Label(o, k) == v;
        }

        if (t.StartsWith('!'))
        {
            var key = t[1..].Trim();
            ValidateKey(key, term);
            return o => Meta.Label(o, key) is null;
        }

        ValidateKey(t, term);
        return o => Meta.Label(o, t) is not null;
    }

    private static void ValidateKey(string key, string term)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
        {
            throw ApiException.BadRequest($"unable to parse requirement: invalid label selector '{term}'");
        }
    }

    private static (string Key, string Op, string Value)? SplitOperator(string term)
    {
        foreach (var op in new[] { "!=", "==", "=" })
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                return (term[..at].Trim(), op, term[(at + op.Length)..].Trim());
            }
        }

        return null;
    }

    /// <summary>Splits on commas that are not inside a parenthesised value set.</summary>
    private static IEnumerable<string> SplitTerms(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                if (i > start)
                {
                    yield return text[start..i];
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }
}
