using System.Net;
using System.Net.Http;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// The one place where KubernetesClient's failures become module errors: an HTTP error with the
/// API's Status body (401, 403 with the RBAC verb and resource, 409 with the other field manager,
/// 422 with its causes) or no answer at all (unreachable). Messages carry the API's own words;
/// they never carry request bodies, so no Secret value can reach them.
/// </summary>
public static partial class KubernetesErrors
{
    /// <summary>Runs one API call; a failure is rethrown as a DevOpsToolsException naming <paramref name="what"/>.</summary>
    public static async Task<T> CallAsync<T>(string server, string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or TaskCanceledException { InnerException: TimeoutException })
        {
            throw Classify(ex, server, what);
        }
    }

    public static async Task CallAsync(string server, string what, Func<Task> call) =>
        await CallAsync(server, what, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>True for a 404 answer (the object is not there).</summary>
    public static bool IsNotFound(Exception ex) => ex is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    /// <summary>The API's Status body of an HTTP error, when it sent one.</summary>
    public static V1Status? StatusOf(HttpOperationException ex)
    {
        var content = ex.Response?.Content;
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(content);
            return status?.Kind == "Status" ? status : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static DevOpsToolsException Classify(Exception ex, string server, string what)
    {
        if (ex is HttpOperationException http)
        {
            var status = StatusOf(http);
            var code = (int)http.Response.StatusCode;
            var message = status?.Message ?? http.Response.ReasonPhrase ?? http.Message;
            return code switch
            {
                401 => new DevOpsToolsException(ErrorIds.KubernetesUnauthorized, ErrorKind.AuthenticationError,
                    $"The Kubernetes API server {server} refused the credentials while trying to {what} (401 Unauthorized: {message}).", server, ex)
                {
                    RecommendedAction = "The kubeconfig's token or client certificate is wrong or expired: refresh it (or pick another -Context) and try again.",
                },
                403 when IsQuota(message) => QuotaExceeded(message, server, what, null, ex),
                403 => Forbidden(status, message, server, what, ex),
                409 => Conflict(status, message, server, what, ex),
                422 => new DevOpsToolsException(ErrorIds.KubernetesInvalid, ErrorKind.InvalidData,
                    $"Kubernetes rejected the request to {what} as invalid: {message}{Causes(status)}", what, ex)
                {
                    RecommendedAction = "A field the API cannot change (a Deployment's selector, a PVC's storage class) needs the object removed first (Remove-App); other causes name the value to fix in the app spec.",
                },
                404 => new DevOpsToolsException(ErrorIds.KubernetesNotFound, ErrorKind.ObjectNotFound,
                    $"Kubernetes found nothing to {what}: {message}", what, ex),
                _ => new DevOpsToolsException(ErrorIds.KubernetesApiError, ErrorKind.InvalidOperation,
                    $"The Kubernetes API server {server} failed to {what} ({code} {status?.Reason}: {message}).", what, ex),
            };
        }

        var reason = ex.InnerException?.Message ?? ex.Message;
        return new DevOpsToolsException(ErrorIds.KubernetesUnreachable, ErrorKind.ConnectionError,
            $"The Kubernetes API server {server} cannot be reached to {what}: {reason}", server, ex)
        {
            RecommendedAction = "Check the kubeconfig's server address, that the cluster runs, and that this machine can reach it (VPN, firewall).",
        };
    }

    /// <summary>Whether an API message is ResourceQuota admission's refusal ("exceeded quota: ..." or "failed quota: ...").</summary>
    public static bool IsQuota(string? message) =>
        message is not null && (message.Contains("exceeded quota: ", StringComparison.Ordinal) || message.Contains("failed quota: ", StringComparison.Ordinal));

    /// <summary>A quota refusal: of a write (403 at once), or of the pods a ReplicaSet could not create (<paramref name="outcome"/> says what was done about it).</summary>
    public static DevOpsToolsException QuotaExceeded(string message, string server, string what, string? outcome, Exception? ex = null) =>
        new(ErrorIds.KubernetesQuotaExceeded, ErrorKind.QuotaExceeded,
            $"Kubernetes refused to {what}: a ResourceQuota of the namespace does not allow it{(outcome is null ? string.Empty : "; " + outcome)}. The API said: {message}", server, ex)
        {
            RecommendedAction = "See what the namespace's quotas allow and use (kubectl describe resourcequota -n <namespace>); lower the app's replicas or resources in the app spec, or have the quota raised, then run Deploy-App again.",
        };

    private static DevOpsToolsException Forbidden(V1Status? status, string message, string server, string what, Exception ex)
    {
        // RBAC words it: ... is forbidden: User "u" cannot patch resource "deployments" in API group "apps" in the namespace "prod"
        var match = RbacDenial().Match(message);
        var detail = match.Success
            ? $"{match.Groups["user"].Value} may not {match.Groups["verb"].Value} {match.Groups["resource"].Value}{(match.Groups["group"].Value.Length > 0 ? "." + match.Groups["group"].Value : string.Empty)} {match.Groups["scope"].Value}"
            : $"{status?.Details?.Kind ?? "the resource"} {status?.Details?.Name}".TrimEnd();
        return new DevOpsToolsException(ErrorIds.KubernetesForbidden, ErrorKind.PermissionDenied,
            $"Kubernetes forbids this: {detail} (while trying to {what}). The API said: {message}", server, ex)
        {
            RecommendedAction = match.Success
                ? $"Grant the kubeconfig's user the '{match.Groups["verb"].Value}' verb on '{match.Groups["resource"].Value}' (a Role and RoleBinding), or use a -Context that has it."
                : "Use a -Context whose user the cluster's RBAC allows to do this.",
        };
    }

    private static DevOpsToolsException Conflict(V1Status? status, string message, string server, string what, Exception ex)
    {
        var managers = (status?.Details?.Causes ?? [])
            .Select(c => OtherManager().Match(c.Message ?? string.Empty))
            .Where(m => m.Success)
            .Select(m => m.Groups["manager"].Value)
            .Concat(OtherManager().Matches(message).Select(m => m.Groups["manager"].Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var fields = (status?.Details?.Causes ?? []).Select(c => c.Field).Where(f => !string.IsNullOrEmpty(f)).Distinct(StringComparer.Ordinal).ToList();
        var who = managers.Count > 0 ? $"field manager {string.Join(", ", managers.Select(m => $"'{m}'"))}" : "another writer";
        return new DevOpsToolsException(ErrorIds.KubernetesConflict, ErrorKind.ResourceExists,
            $"Cannot {what}: {who} owns {(fields.Count > 0 ? string.Join(", ", fields) : "fields")} with other values, and Deploy-App does not take fields over. The API said: {message}", server, ex)
        {
            RecommendedAction = managers.Count > 0
                ? $"Stop {string.Join(", ", managers)} from managing those fields (or remove them there), then run Deploy-App again; 'kubectl apply --server-side --force-conflicts --field-manager devopstools' takes them over deliberately."
                : "Read the object again and retry.",
        };
    }

    private static string Causes(V1Status? status)
    {
        var causes = status?.Details?.Causes;
        return causes is { Count: > 0 } ? " (" + string.Join("; ", causes.Select(c => $"{c.Field}: {c.Message}")) + ")" : string.Empty;
    }

    [GeneratedRegex("User \"(?<user>[^\"]*)\" cannot (?<verb>[a-z]+) resource \"(?<resource>[^\"]+)\" in API group \"(?<group>[^\"]*)\"\\s*(?<scope>.*)$")]
    private static partial Regex RbacDenial();

    [GeneratedRegex("conflict with \"(?<manager>[^\"]+)\"")]
    private static partial Regex OtherManager();
}
