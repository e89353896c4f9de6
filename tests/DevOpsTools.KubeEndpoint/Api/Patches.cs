using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>The three non-apply PATCH content types.</summary>
public static class Patches
{
    /// <summary>
    /// Lists merged item by item under strategic merge patch, with the key the API's schema gives
    /// them (patchMergeKey). Every other list is replaced whole, as with a JSON merge patch. Server-side
    /// apply uses the same table for its list-map keys.
    /// </summary>
    public static string? MergeKey(string listField) => listField switch
    {
        "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => null, // keyed per parent below: containerPort for containers, port for services
        "conditions" => "type",
        "ownerReferences" => "uid",
        _ => null,
    };

    /// <summary>The merge key of a list in context: container ports and service ports differ.</summary>
    public static string? MergeKey(string listField, JsonArray list)
    {
        if (listField == "ports")
        {
            var first = list.OfType<JsonObject>().FirstOrDefault();
            return first is null ? null : first.ContainsKey("containerPort") ? "containerPort" : "port";
        }

        return MergeKey(listField);
    }

    /// <summary>RFC 7386: objects merge, null deletes, everything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }

    /// <summary>
    /// Strategic merge patch, the part clients use: a merge patch whose keyed lists (containers by
    /// name, ports by number, ...) merge item by item, with <c>$patch: delete</c> on an item and
    /// <c>$patch: replace</c> on a list. Other directives (<c>$setElementOrder</c>, <c>$retainKeys</c>,
    /// <c>$deleteFromPrimitiveList</c>) are accepted and ignored, order being kept as the live list has it.
    /// </summary>
    public static JsonNode? StrategicMerge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        if ((string?)p["$patch"] == "replace")
        {
            var replaced = (JsonObject)p.DeepClone();
            replaced.Remove("$patch");
            return replaced;
        }

        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (key.StartsWith('$') || key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                continue;
            }

            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonArray patchList && result[key] is JsonArray liveList && MergeKey(key, patchList.Count > 0 ? patchList : liveList) is { } mergeKey)
            {
                result[key] = MergeList(liveList, patchList, mergeKey);
            }
            else
            {
                result[key] = StrategicMerge(result[key], value);
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray live, JsonArray patch, string mergeKey)
    {
        if (patch.OfType<JsonObject>().Any(i => (string?)i["$patch"] == "replace"))
        {
            return new JsonArray(patch.OfType<JsonObject>().Where(i => (string?)i["$patch"] != "replace").Select(i => i.DeepClone()).ToArray());
        }

        var result = new JsonArray(live.Select(i => i?.DeepClone()).ToArray());
        foreach (var item in patch.OfType<JsonObject>())
        {
            var key = item[mergeKey]?.ToJsonString();
            var existing = result.OfType<JsonObject>().FirstOrDefault(i => i[mergeKey]?.ToJsonString() == key);
            if ((string?)item["$patch"] == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }
            }
            else if (existing is not null)
            {
                var index = result.IndexOf(existing);
                result[index] = StrategicMerge(existing, item);
            }
            else
            {
                result.Add(item.DeepClone());
            }
        }

        return result;
    }

    /// <summary>RFC 6902 JSON Patch: add, remove, replace, move, copy, test.</summary>
    public static JsonNode JsonPatch(JsonNode target, JsonArray operations)
    {
        var doc = target.DeepClone();
        foreach (var op in operations.OfType<JsonObject>())
        {
            var path = (string?)op["path"] ?? throw ApiException.BadRequest("json patch operation without a path");
            switch ((string?)op["op"])
            {
                case "add":
                    doc = Set(doc, path, op["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    _ = Get(doc, path) ?? throw ApiException.BadRequest($"replace operation does not apply: doc is missing path: {path}");
                    doc = Set(doc, path, op["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    Remove(doc, path);
                    break;
                case "move":
                {
                    var from = (string?)op["from"] ?? throw ApiException.BadRequest("move without from");
                    var value = Get(doc, from)?.DeepClone();
                    Remove(doc, from);
                    doc = Set(doc, path, value, insert: true);
                    break;
                }

                case "copy":
                    doc = Set(doc, path, Get(doc, (string?)op["from"] ?? string.Empty)?.DeepClone(), insert: true);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(doc, path), op["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"testing value {path} failed");
                    }

                    break;
                default:
                    throw ApiException.BadRequest($"Unexpected kind: {(string?)op["op"]}");
            }
        }

        return doc;
    }

    private static string[] Tokens(string pointer) =>
        pointer.Length == 0 ? [] : pointer.TrimStart('/').Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Get(JsonNode doc, string pointer)
    {
        JsonNode? node = doc;
        foreach (var token in Tokens(pointer))
        {
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static JsonNode Set(JsonNode doc, string pointer, JsonNode? value, bool insert)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            return value ?? throw ApiException.BadRequest("cannot replace the document with null");
        }

        var parent = Get(doc, "/" + string.Join('/', tokens[..^1].Select(Escape))) ?? throw ApiException.BadRequest($"doc is missing path: {pointer}");
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw ApiException.BadRequest($"doc is missing path: {pointer}");
        }

        return doc;
    }

    private static void Remove(JsonNode doc, string pointer)
    {
        var tokens = Tokens(pointer);
        var parent = tokens.Length == 0 ? null : Get(doc, "/" + string.Join('/', tokens[..^1].Select(Escape)));
        var ok = parent switch
        {
            JsonObject o => o.Remove(tokens[^1]),
            JsonArray a when int.TryParse(tokens[^1], out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!ok)
        {
            throw ApiException.BadRequest($"remove operation does not apply: doc is missing path: {pointer}");
        }
    }

    private static bool RemoveAt(JsonArray a, int i)
    {
        a.RemoveAt(i);
        return true;
    }

    private static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
