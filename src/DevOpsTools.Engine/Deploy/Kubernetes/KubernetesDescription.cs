using DevOpsTools.Engine.Core;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// Reads an app's state back from the cluster as a Deployment: revision and history from the
/// ReplicaSets' annotations, the digest the pods run, health from the Deployment's status, and the
/// addresses it is reached at (the Service's cluster IP, the Ingress's host names).
/// </summary>
internal sealed class KubernetesDescription(KubernetesObjects api, KubernetesRollout rollout, string kind, Func<string, string> targetOf)
{
    public async Task<Deployment?> DescribeAsync(string app, string ns, DateTimeOffset? started, string? reason, bool rolledBack, CancellationToken ct)
    {
        var d = await api.DeploymentAsync(app, ns, ct).ConfigureAwait(false);
        if (d is null)
        {
            return null;
        }

        var environment = d.Metadata.Labels is { } l && l.TryGetValue(KubernetesManifests.EnvironmentLabel, out var e) ? e : ns;
        var revisions = await rollout.RevisionsAsync(d, ns, ct).ConfigureAwait(false);
        var current = KubernetesRollout.RevisionOf(d.Metadata);
        var reference = d.Spec.Template.Spec.Containers[0].Image;
        var digest = await DigestAsync(reference, revisions.FirstOrDefault(r => r.Revision == current).Set, ns, ct).ConfigureAwait(false);
        var service = await api.ReadAsync(new V1Service { Kind = "Service", Metadata = new V1ObjectMeta { Name = app, NamespaceProperty = ns } }, ct).ConfigureAwait(false) as V1Service;
        var ingress = await api.ReadAsync(new V1Ingress { Kind = "Ingress", Metadata = new V1ObjectMeta { Name = app, NamespaceProperty = ns } }, ct).ConfigureAwait(false) as V1Ingress;
        var health = d.Spec.Template.Spec.Containers[0].ReadinessProbe?.HttpGet?.Path;
        var s = d.Status ?? new V1DeploymentStatus();
        var desired = d.Spec.Replicas ?? 1;
        var status = s.Conditions?.Any(c => c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded") == true ? DeploymentStatus.Failed
            : (s.ObservedGeneration ?? 0) < (d.Metadata.Generation ?? 0) || (s.UpdatedReplicas ?? 0) < desired ? DeploymentStatus.Progressing
            : (s.AvailableReplicas ?? 0) < desired ? DeploymentStatus.Degraded
            : DeploymentStatus.Healthy;
        return new Deployment
        {
            App = app,
            Environment = environment,
            TargetKind = kind,
            Target = targetOf(ns),
            Revision = current,
            Image = ImageOf(d.Spec.Template),
            ImageDigest = digest,
            Status = status,
            ReplicasDesired = desired,
            ReplicasReady = s.ReadyReplicas ?? 0,
            Endpoints = service?.Spec?.Ports?.Select(p => new AppEndpoint
            {
                Name = p.Name ?? "http", Protocol = "http", Address = service.Spec.ClusterIP ?? $"{app}.{ns}.svc", Port = p.Port, HealthPath = health,
            }).Concat(Hosts(ingress, health)).ToList() ?? [],
            StartedAt = started ?? (revisions.FirstOrDefault(r => r.Revision == current).Set?.Metadata.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : DateTimeOffset.UtcNow),
            Duration = started is { } t ? DateTimeOffset.UtcNow - t : TimeSpan.Zero,
            RolledBack = rolledBack,
            RollbackReason = reason,
            History = revisions.Select(r => new DeploymentRevision
            {
                Revision = r.Revision,
                Image = ImageOf(r.Set.Spec.Template),
                ImageDigest = r.Revision == current ? digest : DigestOf(r.Set.Spec.Template.Spec.Containers[0].Image),
                Status = r.Revision == current ? status : r.Set.Metadata.Annotations?.ContainsKey(KubernetesTarget.ReasonAnnotation) == true ? DeploymentStatus.RolledBack : DeploymentStatus.Healthy,
                DeployedAt = r.Set.Metadata.CreationTimestamp is { } ts ? new DateTimeOffset(DateTime.SpecifyKind(ts, DateTimeKind.Utc)) : default,
                Reason = r.Set.Metadata.Annotations is { } a && a.TryGetValue(KubernetesTarget.ReasonAnnotation, out var why) ? why : null,
            }).ToList(),
        };
    }

    /// <summary>The Ingress's host names (port 80, where the ingress controller listens), when the module applied it.</summary>
    private static IEnumerable<AppEndpoint> Hosts(V1Ingress? ingress, string? health) =>
        !KubernetesObjects.IsManaged(ingress) ? [] : (ingress!.Spec?.Rules ?? []).Where(r => !string.IsNullOrEmpty(r.Host)).Select(r => new AppEndpoint
        {
            Name = "ingress", Protocol = "http", Address = r.Host, Port = 80, HealthPath = health,
        });

    private static string ImageOf(V1PodTemplateSpec template) =>
        template.Metadata?.Annotations is { } a && a.TryGetValue(KubernetesManifests.ImageAnnotation, out var image) ? image : template.Spec.Containers[0].Image;

    private static string? DigestOf(string reference) => reference.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? reference[(at + 1)..] : null;

    /// <summary>The digest in the reference, else the one the kubelet resolved for the current pods (imageID), when they all agree.</summary>
    private async Task<string?> DigestAsync(string reference, V1ReplicaSet? set, string ns, CancellationToken ct)
    {
        if (DigestOf(reference) is { } pinned)
        {
            return pinned;
        }

        if (set?.Metadata.Labels is not { } labels || !labels.TryGetValue("pod-template-hash", out var hash))
        {
            return null;
        }

        var pods = await KubernetesErrors.CallAsync(api.Server, $"list the pods in namespace {ns}",
            () => api.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"pod-template-hash={hash}", cancellationToken: ct)).ConfigureAwait(false);
        var ids = pods.Items.SelectMany(p => p.Status?.ContainerStatuses ?? []).Select(c => c.ImageID).Where(i => !string.IsNullOrEmpty(i)).Select(i => DigestOf(i!)).Distinct(StringComparer.Ordinal).ToList();
        return ids.Count == 1 ? ids[0] : null;
    }
}
