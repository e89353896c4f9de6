using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// managedFields bookkeeping and server-side apply. Each manager owns a set of fields; an apply
/// sets exactly the fields in its configuration, takes the ones it newly sets, drops the ones it
/// no longer sets (removing them from the object unless another manager also owns them), and fails
/// with a 409 when another manager owns a field it would change, unless forced. Updates (PUT, other
/// PATCH types, POST) make their manager the owner of what they changed.
/// </summary>
public static class FieldManagement
{
    private sealed record Entry(string Manager, string Operation, string ApiVersion, string? Subresource, string Time, FieldSet Fields);

    /// <summary>Server-side apply of <paramref name="applied"/> onto <paramref name="live"/> (null: the object is created).</summary>
    public static JsonObject Apply(JsonObject? live, JsonObject applied, string manager, bool force, ResourceType type, string? subresource, DateTimeOffset now)
    {
        var includeStatus = subresource == "status";
        var entries = live is null ? [] : Read(live);
        var newSet = FieldSet.Of(applied, includeStatus);
        if (!includeStatus)
        {
            RemoveStatusPaths(newSet);
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);
        var oldSet = mine?.Fields ?? new FieldSet();

        var conflicts = new List<(string Manager, string[] Path)>();
        foreach (var path in newSet.Paths.Where(p => p[^1] != "."))
        {
            foreach (var other in entries.Where(e => e.Manager != manager && e.Fields.Contains(path)))
            {
                if (!JsonNode.DeepEquals(FieldSet.Resolve(live, path), FieldSet.Resolve(applied, path)))
                {
                    conflicts.Add((other.Manager, path));
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw ConflictError(type, Meta.Name(applied), conflicts);
        }

        foreach (var (owner, path) in conflicts)
        {
            entries.Where(e => e.Manager == owner).ToList().ForEach(e => e.Fields.Remove(path));
        }

        var result = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        var appliedBody = (JsonObject)applied.DeepClone();
        appliedBody.Remove("status");
        if (includeStatus)
        {
            result["status"] = Merge(result["status"], applied["status"], "status");
        }
        else
        {
            result = (JsonObject)Merge(result, appliedBody, string.Empty)!;
        }

        // Fields this manager stopped applying go away unless someone else still owns them.
        foreach (var dropped in oldSet.Paths.Where(p => !newSet.Contains(p)).OrderByDescending(p => p.Length))
        {
            if (!entries.Any(e => e.Manager != manager && e.Fields.Contains(dropped)))
            {
                FieldSet.Erase(result, dropped);
            }
        }

        entries.RemoveAll(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);
        entries.Add(new Entry(manager, "Apply", type.GroupVersion, subresource, Meta.Timestamp(now), newSet));
        Write(result, entries);
        return result;
    }

    /// <summary>Records a non-apply write: <paramref name="manager"/> owns what changed; nobody owns what was removed.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, ResourceType type, string? subresource, DateTimeOffset now)
    {
        var includeStatus = subresource == "status";
        var entries = before is null ? [] : Read(before);
        var afterSet = FieldSet.Of(after, includeStatus);
        var changed = afterSet.Paths
            .Where(p => includeStatus == (p[0] == "f:status"))
            .Where(p => before is null || !JsonNode.DeepEquals(FieldSet.Resolve(before, p), FieldSet.Resolve(after, p)))
            .ToList();
        var removed = before is null
            ? []
            : FieldSet.Of(before, includeStatus).Paths.Where(p => !afterSet.Contains(p)).ToList();

        foreach (var e in entries)
        {
            foreach (var p in changed.Concat(removed))
            {
                if (e.Manager != manager)
                {
                    e.Fields.Remove(p);
                }
            }
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
        var fields = mine?.Fields ?? new FieldSet();
        removed.ForEach(p => fields.Remove(p));
        changed.ForEach(fields.Add);
        if (mine is not null)
        {
            entries.Remove(mine);
        }

        if (changed.Count > 0 || mine is not null)
        {
            entries.Add(new Entry(manager, "Update", type.GroupVersion, subresource, Meta.Timestamp(now), fields));
        }

        Write(after, entries);
    }

    /// <summary>Carries the stored managedFields over to a replacement body (clients' copies are not trusted).</summary>
    public static void Carry(JsonObject? from, JsonObject to)
    {
        var managed = from is null ? null : Meta.Of(from)["managedFields"]?.DeepClone();
        if (managed is null)
        {
            Meta.Of(to).Remove("managedFields");
        }
        else
        {
            Meta.Of(to)["managedFields"] = managed;
        }
    }

    /// <summary>Apply's merge: maps merge, keyed lists merge item by item, anything else is replaced.</summary>
    private static JsonNode? Merge(JsonNode? live, JsonNode? applied, string field)
    {
        switch (applied)
        {
            case JsonObject a when live is JsonObject l:
                var result = (JsonObject)l.DeepClone();
                foreach (var (k, v) in a)
                {
                    result[k] = Merge(result[k], v, k);
                }

                return result;
            case JsonArray a when live is JsonArray l && a.Count > 0 && a.All(i => i is JsonObject) && Patches.MergeKey(field, a) is { } key:
                var merged = new JsonArray();
                foreach (var item in a.OfType<JsonObject>())
                {
                    var token = FieldSet.ItemToken(key, item);
                    merged.Add(Merge(FieldSet.FindItem(l, token), item, field));
                }

                // Items others applied stay, after the applier's own, as the real server orders them.
                foreach (var item in l.OfType<JsonObject>())
                {
                    if (FieldSet.FindItem(a, FieldSet.ItemToken(key, item)) is null)
                    {
                        merged.Add(item.DeepClone());
                    }
                }

                return merged;
            default:
                return applied?.DeepClone();
        }
    }

    private static void RemoveStatusPaths(FieldSet set)
    {
        foreach (var p in set.Paths.Where(p => p[0] == "f:status").ToList())
        {
            set.Remove(p);
        }
    }

    private static ApiException ConflictError(ResourceType type, string name, List<(string Manager, string[] Path)> conflicts)
    {
        var causes = new JsonArray();
        foreach (var (manager, path) in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{manager}\" using {type.GroupVersion}",
                ["field"] = FieldSet.Describe(path),
            });
        }

        var byManager = conflicts.GroupBy(c => c.Manager).ToList();
        var noun = conflicts.Count == 1 ? "conflict" : "conflicts";
        var parts = byManager.Select(g => g.Count() == 1
            ? $"conflict with \"{g.Key}\" using {type.GroupVersion}: {FieldSet.Describe(g.First().Path)}"
            : $"conflicts with \"{g.Key}\" using {type.GroupVersion}:\n" + string.Join('\n', g.Select(c => "- " + FieldSet.Describe(c.Path))));
        var details = ApiException.Describe(type, name);
        details["causes"] = causes;
        return new ApiException(409, "Conflict", $"Apply failed with {conflicts.Count} {noun}: {string.Join('\n', parts)}", details);
    }

    private static List<Entry> Read(JsonObject obj)
    {
        var list = new List<Entry>();
        if (Meta.Of(obj)["managedFields"] is JsonArray entries)
        {
            foreach (var e in entries.OfType<JsonObject>())
            {
                list.Add(new Entry(
                    (string?)e["manager"] ?? string.Empty,
                    (string?)e["operation"] ?? "Update",
                    (string?)e["apiVersion"] ?? string.Empty,
                    (string?)e["subresource"],
                    (string?)e["time"] ?? string.Empty,
                    FieldSet.FromFieldsV1(e["fieldsV1"])));
            }
        }

        return list;
    }

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var array = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var o = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = e.Fields.ToFieldsV1(),
            };
            if (e.Subresource is not null)
            {
                o["subresource"] = e.Subresource;
            }

            array.Add(o);
        }

        if (array.Count == 0)
        {
            Meta.Of(obj).Remove("managedFields");
        }
        else
        {
            Meta.Of(obj)["managedFields"] = array;
        }
    }
}
