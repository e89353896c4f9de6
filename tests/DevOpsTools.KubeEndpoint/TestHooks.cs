using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.State;
using Microsoft.AspNetCore.Http;

namespace DevOpsTools.KubeEndpoint;

/// <summary>
/// Test-only controls under <c>/_test/</c> (bearer token required like everything else):
/// <c>POST /_test/compact</c> forgets the watch history, so resuming from an older resourceVersion is
/// 410 Expired; <c>POST /_test/deny</c> with <c>{"verb":"patch","resource":"deployments","namespace":"prod"}</c>
/// makes that request 403 Forbidden with RBAC's message (namespace optional); <c>DELETE /_test/deny</c> clears denials.
/// </summary>
public sealed class TestHooks(ObjectStore store)
{
    public const string User = "system:serviceaccount:devopstools:deployer";

    private readonly List<(string Verb, string Resource, string? Namespace)> _denied = [];

    public async Task HandleAsync(HttpContext ctx, string hook)
    {
        switch (ctx.Request.Method, hook)
        {
            case ("POST", "compact"):
                store.Compact();
                await Http.WriteJsonAsync(ctx, 200, new JsonObject { ["resourceVersion"] = store.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ConfigureAwait(false);
                return;
            case ("POST", "deny"):
                var rule = Http.ParseJson(await Http.ReadBodyAsync(ctx).ConfigureAwait(false)) as JsonObject ?? throw ApiException.BadRequest("deny needs an object");
                lock (_denied)
                {
                    _denied.Add(((string?)rule["verb"] ?? "*", (string?)rule["resource"] ?? "*", (string?)rule["namespace"]));
                }

                await Http.WriteJsonAsync(ctx, 200, rule).ConfigureAwait(false);
                return;
            case ("DELETE", "deny"):
                lock (_denied)
                {
                    _denied.Clear();
                }

                await Http.WriteJsonAsync(ctx, 200, new JsonObject()).ConfigureAwait(false);
                return;
            default:
                throw new ApiException(404, "NotFound", $"no test hook {ctx.Request.Method} /_test/{hook}");
        }
    }

    /// <summary>403 for a denied verb on a resource, worded as the RBAC authorizer words it.</summary>
    public void CheckAllowed(HttpContext ctx, ResourcePath rp)
    {
        var q = ctx.Request.Query;
        var verb = ctx.Request.Method switch
        {
            "GET" when rp.Name is null && ResourceApi.IsTrue(q["watch"]) => "watch",
            "GET" when rp.Name is null => "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when rp.Name is null => "deletecollection",
            _ => "delete",
        };
        var resource = rp.Subresource is null ? rp.Type.Plural : $"{rp.Type.Plural}/{rp.Subresource}";
        bool denied;
        lock (_denied)
        {
            denied = _denied.Any(d => (d.Verb == "*" || d.Verb == verb) && (d.Resource == "*" || d.Resource == rp.Type.Plural || d.Resource == resource) && (d.Namespace is null || d.Namespace == rp.Namespace));
        }

        if (!denied)
        {
            return;
        }

        var what = rp.Name is null ? rp.Type.QualifiedPlural : $"{rp.Type.QualifiedPlural} \"{rp.Name}\"";
        var scope = rp.Namespace is null ? "at the cluster scope" : $"in the namespace \"{rp.Namespace}\"";
        var details = rp.Name is null ? new JsonObject { ["kind"] = rp.Type.Plural } : ApiException.Describe(rp.Type, rp.Name);
        if (rp.Type.Group.Length > 0)
        {
            details["group"] = rp.Type.Group;
        }

        throw new ApiException(403, "Forbidden", $"{what} is forbidden: User \"{User}\" cannot {verb} resource \"{resource}\" in API group \"{rp.Type.Group}\" {scope}", details);
    }
}
