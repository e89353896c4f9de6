using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// A failed request, carried up to the HTTP layer, which writes it as the API server's
/// <c>Status</c> object (kind Status, status Failure, reason, details, code).
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedPlural} \"{name}\" not found", Describe(type, name));

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedPlural} \"{name}\" already exists", Describe(type, name));

    public static ApiException Conflict(ResourceType type, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedPlural} \"{name}\": {why}", Describe(type, name));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    /// <summary>422 with one cause per field, the shape <c>kubectl</c> prints as "The X "y" is invalid: ...".</summary>
    public static ApiException Invalid(ResourceType type, string name, IReadOnlyList<(string Field, string Type, string Message)> causes)
    {
        var details = Describe(type, name);
        var list = new JsonArray();
        foreach (var (field, kind, text0) in causes)
        {
            list.Add(new JsonObject { ["reason"] = kind, ["message"] = text0, ["field"] = field });
        }

        details["causes"] = list;
        var text = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var message = causes.Count == 1 ? text : $"[{text}]";
        return new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {message}", details);
    }

    public static JsonObject Describe(ResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }

    public JsonObject ToStatus() => StatusObject(Code, Reason, Message, Details);

    public static JsonObject StatusObject(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details.DeepClone();
        }

        status["code"] = code;
        return status;
    }
}
