using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;
using Microsoft.AspNetCore.Http;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>The verbs on resources: get, list, create, update, patch (four types), delete, deletecollection, and the scale subresource.</summary>
public sealed class ResourceApi(ObjectStore store, Writes writes, WatchStreamer watches, PodLogStreamer logs)
{
    public async Task HandleAsync(HttpContext ctx, ResourcePath rp)
    {
        var method = ctx.Request.Method;
        var q = ctx.Request.Query;
        var dryRun = q["dryRun"].Any(v => v == "All");
        if (q["dryRun"].Any(v => v != "All"))
        {
            throw ApiException.BadRequest($"Invalid dry run value: {q["dryRun"]}; supported values: All");
        }

        switch (method)
        {
            case "GET" when rp.Name is null && IsTrue(q["watch"]):
                await watches.StreamAsync(ctx, rp).ConfigureAwait(false);
                return;
            case "GET" when rp.Name is null:
                var list = List(rp, q);
                await Http.WriteJsonAsync(ctx, 200, Tables.Wanted(ctx.Request.Headers.Accept)
                    ? Tables.Of(rp.Type, list["items"]!.AsArray().OfType<JsonObject>(), (JsonObject)list["metadata"]!.DeepClone(), q["includeObject"].FirstOrDefault())
                    : list).ConfigureAwait(false);
                return;
            case "GET" when rp.Subresource == "log":
                await logs.ServeAsync(ctx, rp).ConfigureAwait(false);
                return;
            case "GET":
                var found = store.Get(rp.Type, rp.Namespace, rp.Name!) ?? throw ApiException.NotFound(rp.Type, rp.Name!);
                var outward = Writes.Outward(rp.Type, found);
                await Http.WriteJsonAsync(ctx, 200, rp.Subresource == "scale" ? Scale(rp.Type, found)
                    : Tables.Wanted(ctx.Request.Headers.Accept) ? Tables.Of(rp.Type, [outward], new JsonObject { ["resourceVersion"] = (string?)outward["metadata"]?["resourceVersion"] }, q["includeObject"].FirstOrDefault())
                    : outward).ConfigureAwait(false);
                return;
            case "POST" when rp.Name is null:
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                await Http.WriteJsonAsync(ctx, dryRun ? 200 : 201, writes.Create(rp, body, Manager(ctx), dryRun)).ConfigureAwait(false);
                return;
            case "PUT" when rp.Name is not null && rp.Subresource != "log":
                var replacement = await ReadObjectAsync(ctx).ConfigureAwait(false);
                if (rp.Subresource == "scale")
                {
                    replacement = FromScale(rp, replacement);
                }

                await Http.WriteJsonAsync(ctx, 200, writes.Replace(rp, replacement, Manager(ctx), dryRun)).ConfigureAwait(false);
                return;
            case "PATCH" when rp.Name is not null && rp.Subresource != "log":
                var text = await Http.ReadBodyAsync(ctx).ConfigureAwait(false);
                var contentType = (ctx.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
                var force = IsTrue(q["force"]);
                var (status, result) = writes.Patch(rp, contentType, text, q["fieldManager"].FirstOrDefault(), Manager(ctx), force, dryRun);
                await Http.WriteJsonAsync(ctx, status, rp.Subresource == "scale" ? Scale(rp.Type, result) : result).ConfigureAwait(false);
                return;
            case "DELETE" when rp.Name is not null && rp.Subresource is null:
                var options = await ReadDeleteOptionsAsync(ctx).ConfigureAwait(false);
                dryRun |= options["dryRun"] is JsonArray dr && dr.Any(v => (string?)v == "All");
                await Http.WriteJsonAsync(ctx, 200, writes.Delete(rp.Type, rp.Namespace, rp.Name, PropagationPolicy(rp.Type, q, options), options, dryRun)).ConfigureAwait(false);
                return;
            case "DELETE" when rp.Name is null:
                var collectionOptions = await ReadDeleteOptionsAsync(ctx).ConfigureAwait(false);
                await Http.WriteJsonAsync(ctx, 200, DeleteCollection(rp, q, PropagationPolicy(rp.Type, q, collectionOptions), dryRun)).ConfigureAwait(false);
                return;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    public static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.Any(s => s is "true" or "1" or "True");

    private JsonObject List(ResourcePath rp, IQueryCollection q)
    {
        var labels = Selector.ParseLabels(q["labelSelector"]);
        var fields = Selector.ParseFields(q["fieldSelector"], rp.Type);
        var (items, rv) = store.List(rp.Type, rp.Namespace);
        var matching = items.Where(o => labels.Matches(o) && fields.Matches(o)).ToList();

        // limit/continue: the token is the snapshot's version and an offset; a stale one is 410 as on a real server.
        var offset = 0;
        if (q["continue"].FirstOrDefault() is { Length: > 0 } token)
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            offset = int.Parse(parts[1], CultureInfo.InvariantCulture);
        }

        var limit = int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : int.MaxValue;
        var page = matching.Skip(offset).Take(limit).ToList();
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (offset + page.Count < matching.Count)
        {
            meta["continue"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rv}:{offset + page.Count}"));
            meta["remainingItemCount"] = matching.Count - offset - page.Count;
        }

        var array = new JsonArray();
        foreach (var item in page)
        {
            var o = Writes.Outward(rp.Type, item);
            o.Remove("kind");
            o.Remove("apiVersion");
            array.Add(o);
        }

        return new JsonObject
        {
            ["kind"] = rp.Type.ListKind,
            ["apiVersion"] = rp.Type.GroupVersion,
            ["metadata"] = meta,
            ["items"] = array,
        };
    }

    private JsonObject DeleteCollection(ResourcePath rp, IQueryCollection q, string policy, bool dryRun)
    {
        var labels = Selector.ParseLabels(q["labelSelector"]);
        var fields = Selector.ParseFields(q["fieldSelector"], rp.Type);
        var (items, rv) = store.List(rp.Type, rp.Namespace);
        var deleted = new JsonArray();
        foreach (var item in items.Where(o => labels.Matches(o) && fields.Matches(o)))
        {
            writes.Delete(rp.Type, Meta.Namespace(item), Meta.Name(item), policy, new JsonObject(), dryRun);
            deleted.Add(Writes.Outward(rp.Type, item));
        }

        return new JsonObject
        {
            ["kind"] = rp.Type.ListKind,
            ["apiVersion"] = rp.Type.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
    }

    /// <summary>The manager of a non-apply write: the fieldManager parameter, else the User-Agent's program name, as a real server does.</summary>
    private static string Manager(HttpContext ctx)
    {
        if (ctx.Request.Query["fieldManager"].FirstOrDefault() is { Length: > 0 } m)
        {
            return m;
        }

        var ua = ctx.Request.Headers.UserAgent.ToString();
        var name = ua.Split('/')[0].Trim();
        return name.Length == 0 ? "unknown" : name;
    }

    private static string PropagationPolicy(ResourceType type, IQueryCollection q, JsonObject options)
    {
        var policy = (string?)options["propagationPolicy"] ?? q["propagationPolicy"].FirstOrDefault();
        if (policy is null && (bool?)options["orphanDependents"] == true)
        {
            policy = "Orphan";
        }

        // batch/v1 Jobs orphan their pods by default, for compatibility; everything else cascades in the background.
        policy ??= type == ResourceCatalog.Jobs ? "Orphan" : "Background";
        return policy is "Orphan" or "Background" or "Foreground"
            ? policy
            : throw ApiException.BadRequest($"DeleteOptions.propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var text = await Http.ReadBodyAsync(ctx).ConfigureAwait(false);
        var contentType = ctx.Request.ContentType ?? "application/json";
        if (contentType.Contains("protobuf", StringComparison.Ordinal) || contentType.Contains("cbor", StringComparison.Ordinal))
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
        }

        var node = contentType.Contains("yaml", StringComparison.Ordinal) ? Yaml.Parse(text) : Http.ParseJson(text);
        return node as JsonObject ?? throw ApiException.BadRequest("the body of the request is not an object");
    }

    private static async Task<JsonObject> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var text = await Http.ReadBodyAsync(ctx).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : Http.ParseJson(text) as JsonObject ?? new JsonObject();
    }

    private static JsonObject Scale(ResourceType type, JsonObject obj) => new()
    {
        ["kind"] = "Scale",
        ["apiVersion"] = "autoscaling/v1",
        ["metadata"] = new JsonObject
        {
            ["name"] = Meta.Name(obj),
            ["namespace"] = Meta.Namespace(obj),
            ["uid"] = Meta.Uid(obj),
            ["resourceVersion"] = Meta.Of(obj)["resourceVersion"]?.DeepClone(),
            ["creationTimestamp"] = Meta.Of(obj)["creationTimestamp"]?.DeepClone(),
        },
        ["spec"] = new JsonObject { ["replicas"] = obj["spec"]?["replicas"]?.DeepClone() ?? 0 },
        ["status"] = new JsonObject
        {
            ["replicas"] = obj["status"]?["replicas"]?.DeepClone() ?? 0,
            ["selector"] = string.Join(',', (obj["spec"]?["selector"]?["matchLabels"] as JsonObject ?? []).Select(p => $"{p.Key}={p.Value}")),
        },
    };

    private JsonObject FromScale(ResourcePath rp, JsonObject scale)
    {
        var current = store.Get(rp.Type, rp.Namespace, rp.Name!) ?? throw ApiException.NotFound(rp.Type, rp.Name!);
        Meta.Child(current, "spec")["replicas"] = scale["spec"]?["replicas"]?.DeepClone() ?? 0;
        return current;
    }
}
