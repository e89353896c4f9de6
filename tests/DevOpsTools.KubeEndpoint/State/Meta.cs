using System.Globalization;
using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.State;

/// <summary>Small accessors for the metadata of an object held as JSON.</summary>
public static class Meta
{
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string Name(JsonObject obj) => (string?)Of(obj)["name"] ?? string.Empty;

    public static string? Namespace(JsonObject obj) => (string?)Of(obj)["namespace"];

    public static string Uid(JsonObject obj) => (string?)Of(obj)["uid"] ?? string.Empty;

    public static JsonObject Labels(JsonObject obj) => Child(Of(obj), "labels");

    public static JsonObject Annotations(JsonObject obj) => Child(Of(obj), "annotations");

    public static string? Label(JsonObject obj, string key) => (string?)Of(obj)["labels"]?[key];

    public static string? Annotation(JsonObject obj, string key) => (string?)Of(obj)["annotations"]?[key];

    /// <summary>RFC 3339 in UTC with whole seconds, the API server's metav1.Time form.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(JsonNode? node) =>
        node is not null && DateTimeOffset.TryParse((string?)node, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject o)
        {
            return o;
        }

        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    public static JsonArray ChildArray(JsonObject parent, string key)
    {
        if (parent[key] is JsonArray a)
        {
            return a;
        }

        var created = new JsonArray();
        parent[key] = created;
        return created;
    }

    /// <summary>Whether <paramref name="obj"/> has a controller ownerReference to the object with <paramref name="ownerUid"/>.</summary>
    public static bool IsControlledBy(JsonObject obj, string ownerUid) =>
        Of(obj)["ownerReferences"] is JsonArray refs
        && refs.OfType<JsonObject>().Any(r => (string?)r["uid"] == ownerUid && (bool?)r["controller"] == true);

    public static JsonObject OwnerReference(JsonObject owner, string apiVersion, string kind) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = Name(owner),
        ["uid"] = Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}
