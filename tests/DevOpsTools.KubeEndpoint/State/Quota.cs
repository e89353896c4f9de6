using System.Globalization;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;

namespace DevOpsTools.KubeEndpoint.State;

/// <summary>
/// ResourceQuota admission as the API server's quota plugin does it on every create (dry runs
/// included, which check but charge nothing): for each quota of the namespace that tracks what the
/// new object uses, usage plus the request must stay within spec.hard, or the create is 403
/// Forbidden with "exceeded quota: name, requested: ..., used: ..., limited: ..." listing only the
/// exceeded resources. Usage is counted from the store at that moment, so it is what a quota
/// controller that never lags would have written to status.used.
/// </summary>
public static class Quota
{
    private static readonly string[] Compute = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

    /// <summary>Throws 403 Forbidden when creating <paramref name="obj"/> would exceed a quota of its namespace.</summary>
    public static void Admit(ObjectStore store, ResourceType type, JsonObject obj)
    {
        if (!type.Namespaced || type == ResourceCatalog.ResourceQuotas || type == ResourceCatalog.Events || Meta.Namespace(obj) is not { } ns)
        {
            return;
        }

        var requested = Usage(type, obj);
        foreach (var quota in store.List(ResourceCatalog.ResourceQuotas, ns).Items.OrderBy(Meta.Name, StringComparer.Ordinal))
        {
            var hard = Hard(quota);
            if (type == ResourceCatalog.Pods)
            {
                // A quota on compute resources needs every container to say how much it asks for.
                var missing = Compute.Concat(["cpu", "memory"]).Where(hard.ContainsKey).Select(Canonical).Distinct()
                    .Select(r => (Resource: r, Containers: Containers(obj).Where(c => Amount(c, r) is null).Select(c => (string?)c["name"] ?? string.Empty).ToList()))
                    .Where(m => m.Containers.Count > 0).ToList();
                if (missing.Count > 0)
                {
                    throw Forbidden(type, obj, $"failed quota: {Meta.Name(quota)}: must specify {string.Join("; ", missing.Select(m => $"{m.Resource} for: {string.Join(",", m.Containers)}"))}");
                }
            }

            var tracked = hard.Keys.Where(k => requested.ContainsKey(Canonical(k))).ToList();
            if (tracked.Count == 0)
            {
                continue;
            }

            var used = Used(store, ns, tracked);
            var exceeded = tracked.Where(k => used[k] + requested[Canonical(k)] > hard[k]).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (exceeded.Count > 0)
            {
                string List(Func<string, decimal> value) => string.Join(",", exceeded.Select(k => $"{k}={Format(k, value(k))}"));
                throw Forbidden(type, obj, $"exceeded quota: {Meta.Name(quota)}, requested: {List(k => requested[Canonical(k)])}, used: {List(k => used[k])}, limited: {List(k => hard[k])}");
            }
        }
    }

    /// <summary>status.hard and status.used, as the resource quota controller keeps them.</summary>
    public static JsonObject Status(ObjectStore store, JsonObject quota)
    {
        var hard = Hard(quota);
        var used = Used(store, Meta.Namespace(quota)!, hard.Keys.ToList());
        var h = new JsonObject();
        var u = new JsonObject();
        foreach (var key in hard.Keys.Order(StringComparer.Ordinal))
        {
            h[key] = quota["spec"]?["hard"]?[key]?.DeepClone();
            u[key] = Format(key, used[key]);
        }

        return new JsonObject { ["hard"] = h, ["used"] = u };
    }

    private static ApiException Forbidden(ResourceType type, JsonObject obj, string why) =>
        new(403, "Forbidden", $"{type.QualifiedPlural} \"{Meta.Name(obj)}\" is forbidden: {why}", ApiException.Describe(type, Meta.Name(obj)));

    private static Dictionary<string, decimal> Hard(JsonObject quota)
    {
        var hard = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (key, value) in quota["spec"]?["hard"] as JsonObject ?? [])
        {
            if (Parse((string?)value) is { } amount)
            {
                hard[key] = amount;
            }
        }

        return hard;
    }

    private static Dictionary<string, decimal> Used(ObjectStore store, string ns, IReadOnlyList<string> keys)
    {
        var used = keys.ToDictionary(k => k, _ => 0m, StringComparer.Ordinal);
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
        {
            foreach (var obj in store.List(type, ns).Items)
            {
                var usage = Usage(type, obj);
                foreach (var key in keys)
                {
                    used[key] += usage.GetValueOrDefault(Canonical(key));
                }
            }
        }

        return used;
    }

    /// <summary>What one object charges: its count under every name a quota may use, and a pod's compute, a claim's storage.</summary>
    private static Dictionary<string, decimal> Usage(ResourceType type, JsonObject obj)
    {
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (type == ResourceCatalog.Pods && (string?)obj["status"]?["phase"] is "Succeeded" or "Failed")
        {
            return usage;
        }

        usage[$"count/{type.QualifiedPlural}"] = 1;
        if (type.Group.Length == 0 && type.Kind is "Pod" or "Service" or "ConfigMap" or "Secret" or "PersistentVolumeClaim")
        {
            usage[type.Plural] = 1;
        }

        if (type == ResourceCatalog.Pods)
        {
            foreach (var resource in Compute)
            {
                usage[resource] = Containers(obj).Sum(c => Amount(c, resource) ?? 0m);
            }
        }
        else if (type == ResourceCatalog.Pvcs)
        {
            usage["requests.storage"] = Parse((string?)obj["spec"]?["resources"]?["requests"]?["storage"]) ?? 0m;
        }

        return usage;
    }

    private static IEnumerable<JsonObject> Containers(JsonObject pod) => (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>A container's request or limit ("requests.cpu"); a limit alone is also the request, as defaulting makes it.</summary>
    private static decimal? Amount(JsonObject container, string resource)
    {
        var (kind, name) = (resource[..resource.IndexOf('.')], resource[(resource.IndexOf('.') + 1)..]);
        var resources = container["resources"];
        return Parse((string?)resources?[kind]?[name]) ?? (kind == "requests" ? Parse((string?)resources?["limits"]?[name]) : null);
    }

    /// <summary>"cpu" and "memory" in a quota mean their requests.</summary>
    private static string Canonical(string key) => key is "cpu" or "memory" ? "requests." + key : key;

    /// <summary>A quantity ("500m", "128Mi", "1Gi", "2", "1e3") in base units; null when it is none.</summary>
    public static decimal? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        (string Suffix, decimal Factor)[] suffixes =
        [
            ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
            ("m", 0.001m), ("k", 1e3m), ("M", 1e6m), ("G", 1e9m), ("T", 1e12m),
        ];
        foreach (var (suffix, factor) in suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && decimal.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return n * factor;
            }
        }

        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) ? plain : null;
    }

    /// <summary>The API server's canonical form: memory and storage in binary units when whole, CPU in millicores when fractional.</summary>
    public static string Format(string key, decimal value)
    {
        if ((key.Contains("memory", StringComparison.Ordinal) || key.Contains("storage", StringComparison.Ordinal)) && value > 0 && value == decimal.Truncate(value))
        {
            foreach (var (suffix, factor) in new[] { ("Ti", 1024m * 1024 * 1024 * 1024), ("Gi", 1024m * 1024 * 1024), ("Mi", 1024m * 1024), ("Ki", 1024m) })
            {
                if (value % factor == 0)
                {
                    return (value / factor).ToString("0", CultureInfo.InvariantCulture) + suffix;
                }
            }
        }

        return value == decimal.Truncate(value)
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : (value * 1000m).ToString("0", CultureInfo.InvariantCulture) + "m";
    }
}
