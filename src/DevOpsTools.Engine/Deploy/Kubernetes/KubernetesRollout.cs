using System.Globalization;
using System.Text;
using DevOpsTools.Engine.Core;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// What `kubectl rollout status` and `rollout undo` do, on KubernetesClient: waits on a watch of
/// the Deployment until the controller has observed its generation and every replica is updated,
/// ready and available (ProgressDeadlineExceeded is failure), says why the new pods fail (their
/// container state, Warning events and last log lines), and restores an older ReplicaSet's template.
/// </summary>
internal sealed class KubernetesRollout(KubernetesObjects api)
{
    private static int _progressIds = 7300;

    /// <summary>Null when the rollout completed; otherwise why it did not (deadline exceeded, or this module's time-out).</summary>
    public async Task<string?> WaitAsync(string app, string ns, long generation, TimeSpan timeout, EngineContext context)
    {
        var id = Interlocked.Increment(ref _progressIds);
        var activity = $"Rolling out {ns}/{app}";
        // The controller's deadline is the time-out; this one only catches a controller that never answers.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        deadline.CancelAfter(timeout + TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var watch = api.Client.AppsV1.WatchListNamespacedDeploymentAsync(ns, fieldSelector: $"metadata.name={app}", allowWatchBookmarks: true, cancellationToken: deadline.Token);
                await using var events = watch.GetAsyncEnumerator(deadline.Token);
                while (await NextAsync(events, ns).ConfigureAwait(false))
                {
                    var (type, deployment) = events.Current;
                    if (type is WatchEventType.Bookmark)
                    {
                        continue;
                    }

                    if (type is WatchEventType.Deleted)
                    {
                        return $"the Deployment {ns}/{app} was deleted during the rollout";
                    }

                    var state = Evaluate(deployment, generation);
                    context.Output.WriteProgress(new ProgressUpdate(id, activity, state.Status, state.Percent));
                    if (state.Done)
                    {
                        return state.Failure;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            return $"the rollout did not finish within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s and the cluster did not report a progress deadline";
        }
        finally
        {
            context.Output.WriteProgress(new ProgressUpdate(id, activity, "done", 100, Completed: true));
        }
    }

    private async Task<bool> NextAsync(IAsyncEnumerator<(WatchEventType, V1Deployment)> events, string ns)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            throw KubernetesErrors.Classify(ex, api.Server, $"watch the Deployment in namespace {ns}");
        }
    }

    private sealed record RolloutState(bool Done, string? Failure, string Status, int Percent);

    private static RolloutState Evaluate(V1Deployment d, long generation)
    {
        var s = d.Status ?? new V1DeploymentStatus();
        var desired = d.Spec?.Replicas ?? 1;
        var status = $"{s.UpdatedReplicas ?? 0}/{desired} updated, {s.ReadyReplicas ?? 0} ready, {s.AvailableReplicas ?? 0} available";
        var percent = desired == 0 ? 100 : Math.Clamp(100 * Math.Min(s.UpdatedReplicas ?? 0, s.AvailableReplicas ?? 0) / desired, 0, 99);
        if ((s.ObservedGeneration ?? 0) < generation)
        {
            return new RolloutState(false, null, "waiting for the controller", 0);
        }

        var progressing = s.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
        if (progressing is { Reason: "ProgressDeadlineExceeded" })
        {
            return new RolloutState(true, $"ProgressDeadlineExceeded: {progressing.Message}", status, percent);
        }

        var done = (s.UpdatedReplicas ?? 0) == desired && (s.ReadyReplicas ?? 0) == desired
            && (s.AvailableReplicas ?? 0) == desired && (s.Replicas ?? 0) == desired;

        // Pods a ReplicaSet may not create (a quota) will not appear by waiting: an unfinished rollout
        // ends here. A finished one wins, since an old ReplicaSet's failure lingers until it is scaled down.
        var replicaFailure = s.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True");
        if (!done && replicaFailure is not null)
        {
            return new RolloutState(true, $"ReplicaFailure ({replicaFailure.Reason}): {replicaFailure.Message}", status, percent);
        }

        return new RolloutState(done, null, status, done ? 100 : percent);
    }

    /// <summary>The ReplicaSets of the app, newest revision first.</summary>
    public async Task<IReadOnlyList<(int Revision, V1ReplicaSet Set)>> RevisionsAsync(V1Deployment deployment, string ns, CancellationToken ct)
    {
        var app = deployment.Metadata.Name;
        var sets = await KubernetesErrors.CallAsync(api.Server, $"list the ReplicaSets of {app} in namespace {ns}",
            () => api.Client.AppsV1.ListNamespacedReplicaSetAsync(ns, labelSelector: $"{KubernetesManifests.NameLabel}={app}", cancellationToken: ct)).ConfigureAwait(false);
        return sets.Items
            .Where(rs => rs.Metadata.OwnerReferences?.Any(o => o.Uid == deployment.Metadata.Uid) == true)
            .Select(rs => (Revision: RevisionOf(rs.Metadata), Set: rs))
            .Where(r => r.Revision > 0)
            .OrderByDescending(r => r.Revision)
            .ToList();
    }

    public static int RevisionOf(V1ObjectMeta meta) =>
        meta.Annotations is { } a && a.TryGetValue(KubernetesManifests.RevisionAnnotation, out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    /// <summary>
    /// Makes the Deployment's pod template that of <paramref name="set"/> again, as `kubectl rollout undo`
    /// does, but through server-side apply as devopstools, so the module keeps owning the fields it applies.
    /// </summary>
    public async Task<V1Deployment> RestoreAsync(V1Deployment live, V1ReplicaSet set, CancellationToken ct)
    {
        var template = set.Spec.Template;
        template.Metadata.Labels?.Remove("pod-template-hash");
        var body = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta { Name = live.Metadata.Name, NamespaceProperty = live.Metadata.NamespaceProperty, Labels = live.Metadata.Labels },
            Spec = new V1DeploymentSpec
            {
                Replicas = live.Spec.Replicas,
                ProgressDeadlineSeconds = live.Spec.ProgressDeadlineSeconds,
                Selector = live.Spec.Selector,
                Template = template,
            },
        };
        return (V1Deployment)await api.ApplyAsync(body, dryRun: false, ct).ConfigureAwait(false);
    }

    /// <summary>Why the pods of the newest ReplicaSet do not become ready: container state, Warning events, last log lines.</summary>
    public async Task<string> DiagnoseAsync(V1Deployment deployment, string ns, CancellationToken ct)
    {
        var text = new StringBuilder();
        try
        {
            var newest = (await RevisionsAsync(deployment, ns, ct).ConfigureAwait(false)).FirstOrDefault().Set;
            var hash = newest?.Metadata.Labels is { } l && l.TryGetValue("pod-template-hash", out var h) ? h : null;
            var selector = $"{KubernetesManifests.NameLabel}={deployment.Metadata.Name}" + (hash is null ? string.Empty : $",pod-template-hash={hash}");
            var pods = await api.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false);
            foreach (var pod in pods.Items.Where(p => p.Status?.ContainerStatuses?.All(c => c.Ready) != true).Take(1))
            {
                var container = pod.Status?.ContainerStatuses?.FirstOrDefault(c => !c.Ready);
                text.Append(" Pod ").Append(pod.Metadata.Name).Append(": ");
                if (container?.State?.Waiting is { } waiting)
                {
                    text.Append(waiting.Reason);
                }
                else if (container?.State?.Running is not null)
                {
                    text.Append("running, not ready");
                }
                else
                {
                    text.Append(pod.Status?.Phase ?? "Pending");
                }

                if (container?.LastState?.Terminated is { } last)
                {
                    text.Append(CultureInfo.InvariantCulture, $" (last exit code {last.ExitCode}, {last.Reason}; {container.RestartCount} restarts)");
                }

                text.Append('.');
                var events = await api.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={pod.Metadata.Name},type=Warning", cancellationToken: ct).ConfigureAwait(false);
                foreach (var e in events.Items.TakeLast(3))
                {
                    text.Append(" Event ").Append(e.Reason).Append(": ").Append(e.Message).Append(e.Count > 1 ? $" (x{e.Count})" : string.Empty).Append('.');
                }

                var lines = await LastLogLinesAsync(pod, container?.Name, ns, ct).ConfigureAwait(false);
                if (lines.Count > 0)
                {
                    text.Append(" Last log lines: ").Append(string.Join(" | ", lines));
                }
            }
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            text.Append(" (the failing pod could not be read: ").Append(KubernetesErrors.Classify(ex, api.Server, "read the pods").Message).Append(')');
        }

        return text.ToString();
    }

    private async Task<IReadOnlyList<string>> LastLogLinesAsync(V1Pod pod, string? container, string ns, CancellationToken ct)
    {
        foreach (var previous in new[] { false, true })
        {
            try
            {
                await using var stream = await api.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, container: container, previous: previous, tailLines: 3, cancellationToken: ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream);
                var lines = (await reader.ReadToEndAsync(ct).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (lines.Length > 0)
                {
                    return lines;
                }
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // A container waiting to start has no current log; the previous run's is tried next.
            }
        }

        return [];
    }
}
