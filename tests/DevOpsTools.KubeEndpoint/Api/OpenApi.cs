using System.Text;
using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// The OpenAPI documents clients read. kubectl's apply and diff look in /openapi/v3 for the PATCH
/// operation of the kind they send and for its <c>fieldValidation</c> parameter: finding it, they
/// leave validation to the server (<c>fieldValidation=Strict</c>) and need no schemas. So the v3
/// documents list every served path with its parameters and the GVK extension, and the schemas are
/// bare objects. /openapi/v2 (which kubectl downloads as protobuf before it looks at v3) is a valid
/// Swagger 2.0 document without definitions.
/// </summary>
public static class OpenApi
{
    private const string Hash = "kube-endpoint-1";

    public static JsonObject V3Index()
    {
        var paths = new JsonObject();
        foreach (var gv in ResourceCatalog.All.Select(t => t.GroupVersion).Distinct())
        {
            var key = gv == "v1" ? "api/v1" : $"apis/{gv}";
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={Hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of one group version ("api/v1", "apis/apps/v1"), or null.</summary>
    public static JsonObject? V3GroupVersion(string key)
    {
        var gv = key == "api/v1" ? "v1" : key.StartsWith("apis/", StringComparison.Ordinal) ? key["apis/".Length..] : null;
        var types = ResourceCatalog.All.Where(t => t.GroupVersion == gv).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types)
        {
            var prefix = "/" + key + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
            var gvk = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
            var schemaName = $"io.k8s.api.{(t.Group.Length == 0 ? "core" : t.Group)}.{t.Version}.{t.Kind}";
            paths[prefix] = PathItem(t, gvk, schemaName, collection: true);
            paths[prefix + "/{name}"] = PathItem(t, gvk, schemaName, collection: false);
            schemas[schemaName] = new JsonObject
            {
                ["type"] = "object",
                ["description"] = $"{t.Kind} (schema not modelled by the test endpoint; the server validates)",
                ["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone()),
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.35.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject PathItem(ResourceType t, JsonObject gvk, string schemaName, bool collection)
    {
        var parameters = new JsonArray();
        if (!collection)
        {
            parameters.Add(Param("name", "path", required: true));
        }

        if (t.Namespaced)
        {
            parameters.Add(Param("namespace", "path", required: true));
        }

        parameters.Add(Param("pretty", "query"));
        var item = new JsonObject { ["parameters"] = parameters };
        var response = new JsonObject
        {
            ["200"] = new JsonObject
            {
                ["description"] = "OK",
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" } } },
            },
        };
        JsonObject Operation(string verb, string action) => new()
        {
            ["operationId"] = $"{verb}{t.Kind}",
            ["responses"] = response.DeepClone(),
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (collection)
        {
            item["get"] = Operation("list", "list");
            item["post"] = Operation("create", "post");
            item["delete"] = Operation("deletecollection", "deletecollection");
            return item;
        }

        // The write parameters sit on the path, where kubectl's query-parameter check reads them.
        foreach (var p in new[] { "dryRun", "fieldManager", "fieldValidation", "force" })
        {
            parameters.Add(Param(p, "query"));
        }

        item["get"] = Operation("read", "get");
        item["put"] = Operation("replace", "put");
        item["patch"] = Operation("patch", "patch");
        item["delete"] = Operation("delete", "delete");
        return item;
    }

    private static JsonObject Param(string name, string location, bool required = false) => new()
    {
        ["name"] = name,
        ["in"] = location,
        ["required"] = required,
        ["schema"] = new JsonObject { ["type"] = name == "force" ? "boolean" : "string", ["uniqueItems"] = true },
    };

    public static JsonObject V2Json() => new()
    {
        ["swagger"] = "2.0",
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.35.0" },
        ["paths"] = new JsonObject(),
        ["definitions"] = new JsonObject(),
    };

    /// <summary>
    /// The same Swagger 2.0 document in gnostic's protobuf encoding (openapi_v2.Document: field 1
    /// swagger, field 2 info with title 1 and version 2), which is what kubectl asks /openapi/v2 for.
    /// </summary>
    public static byte[] V2Protobuf()
    {
        static byte[] Str(int field, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            return [(byte)((field << 3) | 2), (byte)bytes.Length, .. bytes];
        }

        byte[] info = [.. Str(1, "Kubernetes"), .. Str(2, "v1.35.0")];
        return [.. Str(1, "2.0"), 0x12, (byte)info.Length, .. info];
    }
}
