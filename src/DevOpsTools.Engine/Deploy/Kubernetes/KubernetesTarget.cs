using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// Deploys to one namespace of a cluster (the environment's, created and labelled if missing):
/// server-side apply as field manager devopstools, a watch until the rollout completes, and a
/// rollback to the previous ReplicaSet's template when it does not. State lives in the cluster
/// (the Deployment, its ReplicaSets' revision annotations, the managed-by label), so any machine
/// with the kubeconfig sees and continues the same deployment.
/// </summary>
public sealed class KubernetesTarget : IDeployTarget
{
    internal const string ReasonAnnotation = "devopstools.io/rollback-reason";
    private readonly KubernetesObjects _api;
    private readonly KubernetesRollout _rollout;
    private readonly KubernetesDescription _description;
    private readonly SecretResolver _secrets;
    private readonly string _context;
    private readonly string? _prefix;

    /// <param name="context">The kubeconfig context's name (Deployment.Target is "context/namespace").</param>
    /// <param name="environment">The environment whose namespace <see cref="Name"/> names.</param>
    /// <param name="namespacePrefix">Namespaces are "prefix-environment" (default: the environment itself).</param>
    public KubernetesTarget(IKubernetes client, string context, string server, string environment, string? namespacePrefix = null, SecretResolver? secrets = null)
    {
        _api = new KubernetesObjects(client, server);
        _rollout = new KubernetesRollout(_api);
        _description = new KubernetesDescription(_api, _rollout, Kind, TargetOf);
        _secrets = secrets ?? new SecretResolver();
        _context = context;
        _prefix = namespacePrefix;
        Name = $"{context}/{KubernetesManifests.NamespaceFor(namespacePrefix, environment)}";
    }

    public string Kind => "Kubernetes";

    public string Name { get; }

    private string Ns(string environment) => KubernetesManifests.NamespaceFor(_prefix, environment);

    /// <summary>The cluster's API (Get-ServiceStats reads replicas, restarts and metrics through it).</summary>
    internal KubernetesObjects Api => _api;

    /// <summary>The namespace of an environment.</summary>
    internal string NamespaceOf(string environment) => Ns(environment);

    /// <summary>The Deployments the module applied in the environment's namespace (none when the namespace does not exist).</summary>
    public async Task<IReadOnlyList<string>> ListAppsAsync(string environment, EngineContext context)
    {
        var ns = Ns(environment);
        var list = await KubernetesErrors.CallAsync(_api.Server, $"list the Deployments of namespace {ns}", async () =>
        {
            try
            {
                return (await _api.Client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: $"{KubernetesManifests.ManagedByLabel}={KubernetesManifests.ManagedBy}", cancellationToken: context.CancellationToken).ConfigureAwait(false)).Items;
            }
            catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
            {
                return [];
            }
        }).ConfigureAwait(false);
        return list.Where(KubernetesObjects.IsManaged).Select(d => d.Metadata.Name).ToList();
    }

    private string TargetOf(string ns) => $"{_context}/{ns}";

    private List<IKubernetesObject<V1ObjectMeta>> Render(ResolvedApp app, string ns, TimeSpan timeout, IReadOnlyList<SecretValue> values)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>?> { KubernetesManifests.ConfigMap(app, ns), KubernetesManifests.Secret(app, ns, values) };
        objects.AddRange(KubernetesManifests.Claims(app, ns));
        objects.Add(KubernetesManifests.Service(app, ns));
        objects.Add(KubernetesManifests.Ingress(app, ns));
        objects.Add(KubernetesManifests.Deployment(app, ns, (int)Math.Max(1, timeout.TotalSeconds), values));
        return objects.OfType<IKubernetesObject<V1ObjectMeta>>().ToList();
    }

    public async Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context)
    {
        var ns = Ns(app.Environment);
        var ct = context.CancellationToken;
        var values = _secrets.ResolveAll(app);
        var nsExists = await _api.NamespaceExistsAsync(ns, ct).ConfigureAwait(false);
        var diff = new StringBuilder();
        var changed = new List<string>();
        if (!nsExists)
        {
            diff.Append(KubernetesDiff.Unified($"Namespace/{ns}", null, KubernetesDiff.Normalize(KubernetesManifests.Namespace(ns, app.Environment))));
            changed.Add($"Namespace/{ns}");
        }

        // A plan has no -TimeoutSec: a new Deployment shows the default deadline, a live one keeps its own (below).
        foreach (var obj in Render(app, ns, new DeployOptions().Timeout, values))
        {
            var live = await _api.ReadAsync(obj, ct).ConfigureAwait(false);
            // A namespace that does not exist yet cannot take a dry run: the rendered object is the result.
            var after = nsExists ? await _api.ApplyAsync(obj, dryRun: true, ct).ConfigureAwait(false) : obj;
            if (live is V1Deployment liveDeployment && after is V1Deployment afterDeployment)
            {
                // The deadline follows -TimeoutSec, which a plan does not change.
                afterDeployment.Spec.ProgressDeadlineSeconds = liveDeployment.Spec.ProgressDeadlineSeconds;
            }

            var text = KubernetesDiff.Unified(KubernetesObjects.Label(obj), KubernetesDiff.Normalize(live), KubernetesDiff.Normalize(after, KubernetesDiff.Raw(live)));
            if (text.Length > 0)
            {
                changed.Add(KubernetesObjects.Label(obj));
                diff.Append(text);
            }
        }

        if (await StaleIngressAsync(app, ns, ct).ConfigureAwait(false) is { } stale)
        {
            changed.Add(KubernetesObjects.Label(stale) + " (removed)");
            diff.Append(KubernetesDiff.Unified(KubernetesObjects.Label(stale), KubernetesDiff.Normalize(stale), null));
        }

        var summary = changed.Count == 0 ? "no changes" : $"{changed.Count} object(s) would change: {string.Join(", ", changed)}";
        return new DeployPlan(TargetOf(ns), summary, diff.ToString(), changed.Count > 0);
    }

    public async Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        var started = DateTimeOffset.UtcNow;
        var ns = Ns(app.Environment);
        var ct = context.CancellationToken;
        var values = _secrets.ResolveAll(app);
        await _api.EnsureNamespaceAsync(ns, app.Environment, ct).ConfigureAwait(false);
        var before = await _api.DeploymentAsync(app.Name, ns, ct).ConfigureAwait(false);
        var beforeRevision = before is null ? 0 : KubernetesRollout.RevisionOf(before.Metadata);
        var objects = Render(app, ns, options.Timeout, values);
        var applied = (await ApplyAllOrNothingAsync(objects, ns, context).ConfigureAwait(false)).OfType<V1Deployment>().LastOrDefault();

        if (await StaleIngressAsync(app, ns, ct).ConfigureAwait(false) is { } stale)
        {
            await _api.DeleteAsync(stale, ct).ConfigureAwait(false);
            context.Output.WriteVerbose($"{TargetOf(ns)}: deleted {KubernetesObjects.Label(stale)} (the app has no host names any more).");
        }

        var failure = await _rollout.WaitAsync(app.Name, ns, applied!.Metadata.Generation ?? 1, options.Timeout, context).ConfigureAwait(false);
        if (failure is null)
        {
            return await _description.DescribeAsync(app.Name, ns, started, null, false, ct).ConfigureAwait(false)
                ?? throw NotFound(app.Name, ns);
        }

        var live = await _api.DeploymentAsync(app.Name, ns, ct).ConfigureAwait(false) ?? applied;
        // A quota refusal is the API's, not the app's: it ends in KubernetesQuotaExceeded, after the rollback.
        var quota = KubernetesErrors.IsQuota(failure);
        var podsOf = $"create the pods of {app.Name}'s new revision in namespace {ns}";
        var reason = failure + await _rollout.DiagnoseAsync(live, ns, ct).ConfigureAwait(false);
        context.Output.WriteWarning($"{TargetOf(ns)}: {app.Name} did not roll out: {reason}");
        var revisions = await _rollout.RevisionsAsync(live, ns, ct).ConfigureAwait(false);
        var previous = revisions.FirstOrDefault(r => r.Revision == beforeRevision && beforeRevision > 0 && r.Revision != KubernetesRollout.RevisionOf(live.Metadata));
        if (options.NoRollback || previous.Set is null)
        {
            if (quota)
            {
                throw KubernetesErrors.QuotaExceeded(failure, _api.Server, podsOf, options.NoRollback ? "-NoRollback left the Deployment as applied" : "there is no earlier revision to go back to, so the Deployment stays as applied");
            }

            var failed = await _description.DescribeAsync(app.Name, ns, started, reason, false, ct).ConfigureAwait(false) ?? throw NotFound(app.Name, ns);
            failed.Status = DeploymentStatus.Failed;
            return failed;
        }

        await MarkAsync(revisions[0].Set, reason, ct).ConfigureAwait(false);
        context.Output.WriteVerbose($"{TargetOf(ns)}: rolling {app.Name} back to revision {previous.Revision}.");
        var restored = await _rollout.RestoreAsync(live, previous.Set, ct).ConfigureAwait(false);
        var again = await _rollout.WaitAsync(app.Name, ns, restored.Metadata.Generation ?? 1, options.Timeout, context).ConfigureAwait(false);
        if (quota)
        {
            throw KubernetesErrors.QuotaExceeded(failure, _api.Server, podsOf, again is null
                ? $"{app.Name} was rolled back to revision {previous.Revision}, which runs as before"
                : $"the rollback to revision {previous.Revision} did not complete either ({again})");
        }

        var result2 = await _description.DescribeAsync(app.Name, ns, started, reason, true, ct).ConfigureAwait(false) ?? throw NotFound(app.Name, ns);
        result2.Status = again is null ? DeploymentStatus.RolledBack : DeploymentStatus.Failed;
        return result2;
    }

    public async Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        var started = DateTimeOffset.UtcNow;
        var ns = Ns(app.Environment);
        var ct = context.CancellationToken;
        var values = _secrets.ResolveAll(app);
        await _api.EnsureNamespaceAsync(ns, app.Environment, ct).ConfigureAwait(false);
        // What the Job mounts and reads (config, secrets, volumes) must exist first; the Deployment
        // is not applied, so nothing that runs or serves changes before the migration succeeded.
        var objects = Render(app, ns, options.Timeout, values);
        await ApplyAllOrNothingAsync(objects.Where(o => o is not V1Deployment).ToList(), ns, context).ConfigureAwait(false);

        var rendered = objects.OfType<V1Deployment>().Single();
        var (succeeded, output, failure) = await new KubernetesMigration(_api).RunAsync(rendered, app.MigrationCommand ?? [], options.Timeout, context).ConfigureAwait(false);
        if (!succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.DeployMigrationFailed, ErrorKind.InvalidOperation,
                $"{TargetOf(ns)}: the migration of {app.Name} ({KubernetesManifests.ImageReference(app)}) failed: {failure}. Its last output: {string.Join(" | ", output.TakeLast(5))}. Nothing was rolled out.", app.Name)
            {
                RecommendedAction = "Fix the migration (its output above), then run Deploy-App again; the running revision was not touched.",
            };
        }

        return new MigrationRun(TargetOf(ns), app.Image, app.ImageDigest, DateTimeOffset.UtcNow - started, output);
    }

    public async Task<Deployment?> GetAsync(string app, string environment, EngineContext context) =>
        await _description.DescribeAsync(app, Ns(environment), null, null, false, context.CancellationToken).ConfigureAwait(false);

    public async Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context)
    {
        var started = DateTimeOffset.UtcNow;
        var ns = Ns(environment);
        var ct = context.CancellationToken;
        var live = await _api.DeploymentAsync(app, ns, ct).ConfigureAwait(false) ?? throw NotFound(app, ns);
        var current = KubernetesRollout.RevisionOf(live.Metadata);
        var revisions = await _rollout.RevisionsAsync(live, ns, ct).ConfigureAwait(false);
        var target = toRevision is { } wanted
            ? revisions.FirstOrDefault(r => r.Revision == wanted)
            : revisions.FirstOrDefault(r => r.Revision < current && !(r.Set.Metadata.Annotations?.ContainsKey(ReasonAnnotation) ?? false));
        if (target.Set is null)
        {
            throw new DevOpsToolsException(ErrorIds.DeployNotFound, ErrorKind.ObjectNotFound,
                toRevision is { } r
                    ? $"{environment}/{app} has no revision {r} on {TargetOf(ns)} (revisions: {string.Join(", ", revisions.Select(x => x.Revision))})."
                    : $"{environment}/{app} has no healthy revision before {current} on {TargetOf(ns)} to go back to.", app);
        }

        var restored = await _rollout.RestoreAsync(live, target.Set, ct).ConfigureAwait(false);
        var failure = await _rollout.WaitAsync(app, ns, restored.Metadata.Generation ?? 1, options.Timeout, context).ConfigureAwait(false);
        var reason = failure is null ? null : failure + await _rollout.DiagnoseAsync(restored, ns, ct).ConfigureAwait(false);
        var result = await _description.DescribeAsync(app, ns, started, reason, false, ct).ConfigureAwait(false) ?? throw NotFound(app, ns);
        if (failure is not null)
        {
            result.Status = DeploymentStatus.Failed;
        }

        return result;
    }

    public async IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context)
    {
        var ns = Ns(environment);
        var ct = context.CancellationToken;
        var pods = await KubernetesErrors.CallAsync(_api.Server, $"list the pods of {app} in namespace {ns}",
            () => _api.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{KubernetesManifests.NameLabel}={app}", cancellationToken: ct)).ConfigureAwait(false);
        var since = query.Since is { } s ? (int?)Math.Max(1, (int)Math.Ceiling((DateTimeOffset.UtcNow - s).TotalSeconds)) : null;
        var lines = Channel.CreateUnbounded<AppLogLine>();
        var readers = pods.Items.Where(p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null || c.LastState?.Terminated is not null) == true)
            .Select(pod => Task.Run(async () =>
            {
                try
                {
                    await using var stream = await _api.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, container: app, follow: query.Follow, sinceSeconds: since, tailLines: query.Tail, cancellationToken: ct).ConfigureAwait(false);
                    using var reader = new StreamReader(stream);
                    while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                    {
                        await lines.Writer.WriteAsync(new AppLogLine(app, pod.Metadata.Name, null, line), ct).ConfigureAwait(false);
                    }
                }
                catch (k8s.Autorest.HttpOperationException ex)
                {
                    context.Output.WriteWarning($"{TargetOf(ns)}: no log for pod {pod.Metadata.Name}: {KubernetesErrors.StatusOf(ex)?.Message ?? ex.Message}");
                }
                catch (HttpRequestException ex)
                {
                    throw KubernetesErrors.Classify(ex, _api.Server, $"read the log of pod {pod.Metadata.Name}");
                }
            }, ct)).ToList();
        _ = Task.WhenAll(readers).ContinueWith(t => lines.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        await foreach (var line in lines.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    public async Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context)
    {
        var ns = Ns(environment);
        var ct = context.CancellationToken;
        var before = await _description.DescribeAsync(app, ns, null, null, false, ct).ConfigureAwait(false);
        var managed = await _api.ManagedAsync(app, ns, removeVolumes, ct).ConfigureAwait(false);
        if (before is null && managed.Count == 0)
        {
            throw NotFound(app, ns);
        }

        foreach (var obj in managed)
        {
            await _api.DeleteAsync(obj, ct).ConfigureAwait(false);
            context.Output.WriteVerbose($"{TargetOf(ns)}: deleted {KubernetesObjects.Label(obj)}.");
        }

        return new Deployment
        {
            App = app, Environment = environment, TargetKind = Kind, Target = TargetOf(ns), Status = DeploymentStatus.Removed,
            Revision = before?.Revision ?? 0, Image = before?.Image ?? string.Empty, ImageDigest = before?.ImageDigest, ReplicasDesired = 0, StartedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>The Ingress the module applied earlier for host names the app no longer has; null when there is none.</summary>
    private async Task<IKubernetesObject<V1ObjectMeta>?> StaleIngressAsync(ResolvedApp app, string ns, CancellationToken ct)
    {
        if (KubernetesManifests.Ingress(app, ns) is not null)
        {
            return null;
        }

        var live = await _api.ReadAsync(new V1Ingress { Kind = "Ingress", Metadata = new V1ObjectMeta { Name = app.Name, NamespaceProperty = ns } }, ct).ConfigureAwait(false);
        return KubernetesObjects.IsManaged(live) ? live : null;
    }

    private async Task MarkAsync(V1ReplicaSet set, string reason, CancellationToken ct)
    {
        var text = reason.Length > 1000 ? reason[..1000] : reason;
        var patch = new V1Patch(KubernetesJson.Serialize(new { metadata = new { annotations = new Dictionary<string, string> { [ReasonAnnotation] = text } } }), V1Patch.PatchType.MergePatch);
        await KubernetesErrors.CallAsync(_api.Server, $"annotate ReplicaSet/{set.Metadata.Name}",
            () => _api.Client.AppsV1.PatchNamespacedReplicaSetAsync(patch, set.Metadata.Name, set.Metadata.NamespaceProperty, fieldManager: KubernetesManifests.FieldManager, cancellationToken: ct)).ConfigureAwait(false);
    }

    private DevOpsToolsException NotFound(string app, string ns) =>
        new(ErrorIds.DeployNotFound, ErrorKind.ObjectNotFound, $"{app} is not deployed in namespace {ns} on {TargetOf(ns)}.", app);

    /// <summary>
    /// Every object applied as a dry run first: a conflict, an invalid, forbidden or over-quota
    /// change stops the deploy before anything was written, so nothing is ever half-applied.
    /// Then the real applies, in order; their results.
    /// </summary>
    private async Task<List<IKubernetesObject<V1ObjectMeta>>> ApplyAllOrNothingAsync(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects, string ns, EngineContext context)
    {
        var ct = context.CancellationToken;
        foreach (var obj in objects)
        {
            await _api.ApplyAsync(obj, dryRun: true, ct).ConfigureAwait(false);
        }

        var results = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var obj in objects)
        {
            var result = await _api.ApplyAsync(obj, dryRun: false, ct).ConfigureAwait(false);
            context.Output.WriteVerbose($"{TargetOf(ns)}: applied {KubernetesObjects.Label(obj)} (resourceVersion {result.Metadata.ResourceVersion}).");
            results.Add(result);
        }

        return results;
    }
}
