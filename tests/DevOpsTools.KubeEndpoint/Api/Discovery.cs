using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// /version, /api, /api/v1, /apis, /apis/{group}/{version}, in the legacy (unaggregated) discovery
/// form. Clients that ask for aggregated discovery (apidiscovery.k8s.io/v2) get this form with
/// Content-Type application/json, and client-go falls back to it, as with an older server.
/// </summary>
public static class Discovery
{
    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static JsonObject Version(KubeEndpointOptions options)
    {
        var v = options.GitVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = v[0],
            ["minor"] = v.Length > 1 ? v[1] : "0",
            ["emulationMajor"] = v[0],
            ["emulationMinor"] = v.Length > 1 ? v[1] : "0",
            ["gitVersion"] = options.GitVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.25.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject CoreVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    public static JsonObject Groups()
    {
        var groups = new JsonArray();
        foreach (var (group, version) in ResourceCatalog.Groups)
        {
            groups.Add(Group(group, version));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? GroupOnly(string group) =>
        ResourceCatalog.Groups.Any(g => g.Group == group) ? Group(group, ResourceCatalog.Groups.First(g => g.Group == group).Version) : null;

    private static JsonObject Group(string group, string version)
    {
        var gv = new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(gv),
            ["preferredVersion"] = gv.DeepClone(),
        };
    }

    /// <summary>The APIResourceList of one group version, or null when it is not served.</summary>
    public static JsonObject? Resources(string group, string version)
    {
        var types = ResourceCatalog.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var list = new JsonArray();
        foreach (var t in types)
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(t == ResourceCatalog.Namespaces ? AllVerbs.Where(v => v != "deletecollection") : AllVerbs),
            };
            if (t.ShortNames.Length > 0)
            {
                r["shortNames"] = Strings(t.ShortNames);
            }

            if (t.Kind is "Pod" or "Service" or "Deployment" or "ReplicaSet" or "Job")
            {
                r["categories"] = new JsonArray("all");
            }

            list.Add(r);
            foreach (var sub in t.Subresources)
            {
                var s = new JsonObject
                {
                    ["name"] = $"{t.Plural}/{sub}",
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = sub switch { "scale" => "Scale", "log" => "Pod", _ => t.Kind },
                    ["verbs"] = Strings(sub == "log" ? ["get"] : ["get", "patch", "update"]),
                };
                if (sub == "scale")
                {
                    s["group"] = "autoscaling";
                    s["version"] = "v1";
                }

                list.Add(s);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
