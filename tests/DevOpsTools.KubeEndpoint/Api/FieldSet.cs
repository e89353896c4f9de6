using System.Text.Json;
using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// A set of field paths, read from and written as managedFields' FieldsV1 (<c>f:name</c> for a field,
/// <c>k:{"name":"app"}</c> for an item of a keyed list, <c>.</c> for the item itself). A path is a
/// list of those tokens; a leaf is a primitive, an atomic list or an empty object.
/// </summary>
public sealed class FieldSet
{
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

    private const char Separator = '\u0001';

    public IEnumerable<string[]> Paths => _paths.Select(p => p.Split(Separator));

    public int Count => _paths.Count;

    public bool Contains(string[] path) => _paths.Contains(string.Join(Separator, path));

    public void Add(string[] path) => _paths.Add(string.Join(Separator, path));

    public bool Remove(string[] path) => _paths.Remove(string.Join(Separator, path));

    public FieldSet Clone()
    {
        var copy = new FieldSet();
        copy._paths.UnionWith(_paths);
        return copy;
    }

    /// <summary>The fields an object sets, as server-side apply counts them (identity and server-owned metadata excluded).</summary>
    public static FieldSet Of(JsonObject obj, bool includeStatus)
    {
        var set = new FieldSet();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" || (key == "status" && !includeStatus))
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject meta)
            {
                var kept = new JsonObject();
                foreach (var (mk, mv) in meta)
                {
                    if (mk is "labels" or "annotations" or "finalizers" or "ownerReferences")
                    {
                        kept[mk] = mv?.DeepClone();
                    }
                }

                if (kept.Count > 0)
                {
                    Walk(set, ["f:metadata"], kept, "metadata");
                }

                continue;
            }

            Walk(set, ["f:" + key], value, key);
        }

        return set;
    }

    private static void Walk(FieldSet set, List<string> path, JsonNode? value, string field)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o)
                {
                    path.Add("f:" + k);
                    Walk(set, path, v, k);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray a when a.Count > 0 && a.All(i => i is JsonObject) && Patches.MergeKey(field, a) is { } key:
                foreach (var item in a.OfType<JsonObject>())
                {
                    path.Add(ItemToken(key, item));
                    path.Add(".");
                    set.Add([.. path]);
                    path.RemoveAt(path.Count - 1);
                    Walk(set, path, item, field);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                set.Add([.. path]);
                break;
        }
    }

    public static string ItemToken(string key, JsonObject item) =>
        "k:" + new JsonObject { [key] = item[key]?.DeepClone() }.ToJsonString();

    /// <summary>The value a path points at in <paramref name="obj"/>, or null when it is absent.</summary>
    public static JsonNode? Resolve(JsonNode? obj, string[] path)
    {
        var node = obj;
        foreach (var token in path)
        {
            if (token == ".")
            {
                continue;
            }

            node = token.StartsWith("f:", StringComparison.Ordinal)
                ? (node as JsonObject)?[token[2..]]
                : FindItem(node as JsonArray, token);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    public static JsonObject? FindItem(JsonArray? list, string token)
    {
        if (list is null || !token.StartsWith("k:", StringComparison.Ordinal))
        {
            return null;
        }

        var key = JsonNode.Parse(token[2..]) as JsonObject;
        var (name, value) = key!.First();
        return list.OfType<JsonObject>().FirstOrDefault(i => JsonNode.DeepEquals(i[name], value));
    }

    /// <summary>Removes what a path points at (a field, or a whole list item for a <c>.</c> path).</summary>
    public static void Erase(JsonObject obj, string[] path)
    {
        var tokens = path[^1] == "." ? path[..^1] : path;
        if (tokens.Length == 0)
        {
            return;
        }

        var parent = Resolve(obj, tokens[..^1]);
        var last = tokens[^1];
        if (last.StartsWith("f:", StringComparison.Ordinal) && parent is JsonObject po)
        {
            po.Remove(last[2..]);
        }
        else if (parent is JsonArray pa && FindItem(pa, last) is { } item)
        {
            pa.Remove(item);
        }
    }

    /// <summary>".spec.template.spec.containers[name=\"app\"].image", the form conflict messages use.</summary>
    public static string Describe(string[] path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var token in path)
        {
            if (token.StartsWith("f:", StringComparison.Ordinal))
            {
                text.Append('.').Append(token[2..]);
            }
            else if (token.StartsWith("k:", StringComparison.Ordinal) && JsonNode.Parse(token[2..]) is JsonObject key)
            {
                text.Append('[').Append(string.Join(',', key.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"))).Append(']');
            }
        }

        return text.ToString();
    }

    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in _paths.OrderBy(p => p, StringComparer.Ordinal).Select(p => p.Split(Separator)))
        {
            var node = root;
            foreach (var token in path)
            {
                if (node[token] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[token] = child;
                }

                node = child;
            }
        }

        return root;
    }

    public static FieldSet FromFieldsV1(JsonNode? fields)
    {
        var set = new FieldSet();
        if (fields is JsonObject o)
        {
            Read(set, [], o);
        }

        return set;
    }

    private static void Read(FieldSet set, List<string> path, JsonObject node)
    {
        foreach (var (token, child) in node)
        {
            path.Add(token);
            if (child is JsonObject c && c.Count > 0 && token != ".")
            {
                Read(set, path, c);
            }
            else
            {
                set.Add([.. path]);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    public static string Canonical(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "null";
}
