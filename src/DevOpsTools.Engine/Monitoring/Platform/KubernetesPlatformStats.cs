using System.Net;
using System.Text.Json;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Kubernetes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>
/// A Kubernetes deployment's figures through KubernetesClient: ready and desired replicas from
/// the Deployment's status and spec, restarts summed over its pods' container statuses, and CPU
/// and memory from the metrics API (metrics.k8s.io) when the cluster serves it; a cluster without
/// it leaves them null with that reason. The SDK's failures are mapped here, never thrown on.
/// </summary>
internal sealed class KubernetesPlatformStats(KubernetesTarget target) : IPlatformStatsSource
{
    public const string Source = "kubernetes";
    public const string MetricsSource = "kubernetes-metrics";

    public async Task<PlatformFigures> ReadAsync(Deployment deployment, EngineContext context)
    {
        var ns = target.NamespaceOf(deployment.Environment);
        var api = target.Api;
        var ct = context.CancellationToken;
        V1Deployment? live;
        IList<V1Pod> pods;
        try
        {
            live = await api.DeploymentAsync(deployment.App, ns, ct).ConfigureAwait(false);
            if (live is null)
            {
                return PlatformFigures.Unreadable(Source, $"Deployment {deployment.App} is not in namespace {ns}");
            }

            var selector = string.Join(',', (live.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>()).Select(p => $"{p.Key}={p.Value}"));
            pods = await KubernetesErrors.CallAsync(api.Server, $"list the pods of {deployment.App} in namespace {ns}",
                async () => (await api.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items).ConfigureAwait(false);
        }
        catch (DevOpsToolsException ex) when (ex.Kind != ErrorKind.SecurityError)
        {
            return PlatformFigures.Unreadable(Source, ex.Message);
        }

        var (cpu, memory, why) = await UsageAsync(api, ns, pods, ct).ConfigureAwait(false);
        return FromObjects(live, pods, cpu, memory, why);
    }

    /// <summary>The figures of a Deployment and its pods (and their usage, when the metrics API gave it).</summary>
    public static PlatformFigures FromObjects(V1Deployment deployment, IEnumerable<V1Pod> pods, double? cpuPercent, long? memoryBytes, string? usageUnavailable)
    {
        var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
        if (cpuPercent is null)
        {
            unavailable["CpuPercent"] = usageUnavailable ?? "the metrics API has no figures for the pods yet";
        }

        if (memoryBytes is null)
        {
            unavailable["MemoryBytes"] = usageUnavailable ?? "the metrics API has no figures for the pods yet";
        }

        return new PlatformFigures
        {
            Source = Source,
            UsageSource = MetricsSource,
            ReplicasDesired = deployment.Spec?.Replicas ?? 1,
            ReplicasReady = deployment.Status?.ReadyReplicas ?? 0,
            Restarts = pods.Sum(p => (p.Status?.ContainerStatuses ?? []).Sum(c => (long)c.RestartCount)),
            CpuPercent = cpuPercent,
            MemoryBytes = memoryBytes,
            Unavailable = unavailable,
        };
    }

    /// <summary>
    /// The pods' CPU (percent of one core) and memory summed from metrics.k8s.io's PodMetrics; a
    /// cluster without the metrics API (404, 503: no metrics-server) gives nulls and the reason.
    /// </summary>
    private static async Task<(double? Cpu, long? Memory, string? Why)> UsageAsync(KubernetesObjects api, string ns, IList<V1Pod> pods, CancellationToken ct)
    {
        if (pods.Count == 0)
        {
            return (null, null, "the Deployment has no pods");
        }

        object answer;
        try
        {
            answer = await api.Client.CustomObjects.ListNamespacedCustomObjectAsync("metrics.k8s.io", "v1beta1", ns, "pods", cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)
        {
            return (null, null, "the cluster serves no metrics API (metrics.k8s.io; install metrics-server)");
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException)
        {
            return (null, null, $"the metrics API did not answer: {ex.Message}");
        }

        var names = pods.Select(p => p.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        return ParsePodMetrics(answer is JsonElement e ? e : JsonSerializer.SerializeToElement(answer), names);
    }

    /// <summary>Sums a PodMetricsList's containers' usage ("cpu": "250m", "memory": "64Mi") over the named pods.</summary>
    public static (double? Cpu, long? Memory, string? Why) ParsePodMetrics(JsonElement list, IReadOnlySet<string> pods)
    {
        double cores = 0;
        decimal bytes = 0;
        var seen = 0;
        if (list.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                var name = item.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("name", out var n) ? n.GetString() : null;
                if (name is null || !pods.Contains(name) || !item.TryGetProperty("containers", out var containers))
                {
                    continue;
                }

                seen++;
                foreach (var container in containers.EnumerateArray())
                {
                    if (container.TryGetProperty("usage", out var usage))
                    {
                        cores += usage.TryGetProperty("cpu", out var c) && c.GetString() is { } cpu ? (double)new ResourceQuantity(cpu).ToDecimal() : 0;
                        bytes += usage.TryGetProperty("memory", out var m) && m.GetString() is { } memory ? new ResourceQuantity(memory).ToDecimal() : 0;
                    }
                }
            }
        }

        return seen == 0 ? (null, null, "the metrics API has no figures for the pods yet") : (Math.Round(cores * 100, 2), (long)bytes, null);
    }
}
