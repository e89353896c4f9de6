using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Controllers;

/// <summary>Keeps each ReplicaSet's pod count at spec.replicas and reports replicas, ready and available pods.</summary>
public sealed class ReplicaSetController(ObjectStore store, EventRecorder events)
{
    private readonly Dictionary<string, (DateTimeOffset At, TimeSpan Delay)> _retryAt = new(StringComparer.Ordinal);

    public void Tick()
    {
        foreach (var rs in store.List(ResourceCatalog.ReplicaSets, null).Items)
        {
            var ns = Meta.Namespace(rs)!;
            var desired = (int?)rs["spec"]?["replicas"] ?? 1;
            var pods = store.List(ResourceCatalog.Pods, ns).Items.Where(p => Meta.IsControlledBy(p, Meta.Uid(rs)) && Meta.Of(p)["deletionTimestamp"] is null).ToList();
            string? failedCreate = null;
            var backingOff = _retryAt.TryGetValue(Meta.Uid(rs), out var retry) && retry.At > store.Now && pods.Count < desired;
            for (var i = pods.Count; i < desired && failedCreate is null && !backingOff; i++)
            {
                try
                {
                    pods.Add(CreatePod(rs));
                    _retryAt.Remove(Meta.Uid(rs));
                }
                catch (ApiException refused) when (refused.Code == 403)
                {
                    // Refused by admission (a quota): the real controller records why and retries with a
                    // growing delay, so the events do not flood the namespace.
                    failedCreate = refused.Message;
                    events.Record(ResourceCatalog.ReplicaSets, rs, "Warning", "FailedCreate", $"Error creating: {refused.Message}", "replicaset-controller");
                    var delay = retry.Delay == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(retry.Delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                    _retryAt[Meta.Uid(rs)] = (store.Now + delay, delay);
                }
            }

            if (pods.Count > desired)
            {
                // Not-ready pods go first, then the youngest, as the real controller ranks them.
                foreach (var pod in pods.OrderBy(Kubelet.IsReady).ThenByDescending(p => (string?)Meta.Of(p)["creationTimestamp"]).ThenByDescending(p => (string?)Meta.Of(p)["resourceVersion"]).Take(pods.Count - desired).ToList())
                {
                    store.Delete(ResourceCatalog.Pods, ns, Meta.Name(pod));
                    pods.Remove(pod);
                    events.Record(ResourceCatalog.ReplicaSets, rs, "Normal", "SuccessfulDelete", $"Deleted pod: {Meta.Name(pod)}", "replicaset-controller");
                }
            }

            var ready = pods.Count(Kubelet.IsReady);
            store.Mutate(ResourceCatalog.ReplicaSets, ns, Meta.Name(rs), live =>
            {
                var status = new JsonObject
                {
                    ["replicas"] = pods.Count,
                    ["fullyLabeledReplicas"] = pods.Count,
                    ["readyReplicas"] = ready,
                    ["availableReplicas"] = ready,
                    ["observedGeneration"] = Meta.Of(live)["generation"]?.DeepClone(),
                };
                foreach (var zero in new[] { "fullyLabeledReplicas", "readyReplicas", "availableReplicas" })
                {
                    if ((int?)status[zero] == 0)
                    {
                        status.Remove(zero);
                    }
                }

                // ReplicaFailure stays while creates fail and goes with the first create that succeeds.
                var failure = (live["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "ReplicaFailure");
                // The first failure's condition stays (message included) until a create succeeds.
                if (failure is not null && (failedCreate is not null || backingOff))
                {
                    status["conditions"] = new JsonArray(failure.DeepClone());
                }
                else if (failedCreate is not null)
                {
                    status["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "ReplicaFailure",
                        ["status"] = "True",
                        ["lastTransitionTime"] = Meta.Timestamp(store.Now),
                        ["reason"] = "FailedCreate",
                        ["message"] = failedCreate,
                    });
                }

                if (JsonNode.DeepEquals(live["status"], status))
                {
                    return false;
                }

                live["status"] = status;
                return true;
            });
        }
    }

    private JsonObject CreatePod(JsonObject rs)
    {
        var template = rs["spec"]!["template"]!;
        var pod = NewPod(rs, template, $"{Meta.Name(rs)}-{Names.RandomSuffix()}", "ReplicaSet");
        Quota.Admit(store, ResourceCatalog.Pods, pod);
        var created = store.Create(ResourceCatalog.Pods, pod);
        events.Record(ResourceCatalog.ReplicaSets, rs, "Normal", "SuccessfulCreate", $"Created pod: {Meta.Name(created)}", "replicaset-controller");
        return created;
    }

    /// <summary>A pod from a template, scheduled to the one simulated node, owned by <paramref name="owner"/>.</summary>
    public static JsonObject NewPod(JsonObject owner, JsonNode template, string name, string ownerKind)
    {
        var meta = (template["metadata"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        meta["name"] = name;
        meta["namespace"] = Meta.Namespace(owner);
        meta["ownerReferences"] = new JsonArray(Meta.OwnerReference(owner, ownerKind == "Job" ? "batch/v1" : "apps/v1", ownerKind));
        var spec = (JsonObject)template["spec"]!.DeepClone();
        spec["nodeName"] = Kubelet.NodeName;
        spec["serviceAccountName"] ??= "default";
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" },
        };
        Defaults.Apply(ResourceCatalog.Pods, pod, () => 0);
        return pod;
    }
}

/// <summary>
/// batch/v1 Jobs: pods up to parallelism until completions succeed (conditions SuccessCriteriaMet and
/// Complete), or Failed with BackoffLimitExceeded once more than backoffLimit pods failed.
/// </summary>
public sealed class JobController(ObjectStore store, EventRecorder events)
{
    // Refused creates are retried after a pause, as the real controller's backoff does, not every tick.
    private readonly Dictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal);

    public void Tick()
    {
        foreach (var job in store.List(ResourceCatalog.Jobs, null).Items)
        {
            var conditions = job["status"]?["conditions"] as JsonArray;
            if (conditions?.OfType<JsonObject>().Any(c => (string?)c["type"] is "Complete" or "Failed" && (string?)c["status"] == "True") == true)
            {
                continue;
            }

            var ns = Meta.Namespace(job)!;
            var spec = job["spec"]!;
            var pods = store.List(ResourceCatalog.Pods, ns).Items.Where(p => Meta.IsControlledBy(p, Meta.Uid(job))).ToList();
            var succeeded = pods.Count(p => (string?)p["status"]?["phase"] == "Succeeded");
            var failed = pods.Count(p => (string?)p["status"]?["phase"] == "Failed");
            var active = pods.Count - succeeded - failed;
            var completions = (int?)spec["completions"] ?? 1;
            var parallelism = (int?)spec["parallelism"] ?? 1;
            var backoffLimit = (int?)spec["backoffLimit"] ?? 6;
            var now = Meta.Timestamp(store.Now);
            string? finished = null;
            if (succeeded >= completions)
            {
                finished = "Complete";
            }
            else if (failed > backoffLimit)
            {
                finished = "Failed";
            }
            else if ((bool?)spec["suspend"] != true && !(_retryAt.TryGetValue(Meta.Uid(job), out var retry) && retry > store.Now))
            {
                for (var i = active; i < Math.Min(parallelism, completions - succeeded); i++)
                {
                    var template = (JsonObject)spec["template"]!.DeepClone();
                    var labels = Meta.Labels(template);
                    labels["batch.kubernetes.io/job-name"] = Meta.Name(job);
                    labels["job-name"] = Meta.Name(job);
                    labels["batch.kubernetes.io/controller-uid"] = Meta.Uid(job);
                    labels["controller-uid"] = Meta.Uid(job);
                    var fresh = ReplicaSetController.NewPod(job, template, $"{Meta.Name(job)}-{Names.RandomSuffix()}", "Job");
                    try
                    {
                        Quota.Admit(store, ResourceCatalog.Pods, fresh);
                    }
                    catch (ApiException refused) when (refused.Code == 403)
                    {
                        events.Record(ResourceCatalog.Jobs, job, "Warning", "FailedCreate", $"Error creating: {refused.Message}", "job-controller");
                        _retryAt[Meta.Uid(job)] = store.Now + TimeSpan.FromSeconds(2);
                        break;
                    }

                    var pod = store.Create(ResourceCatalog.Pods, fresh);
                    events.Record(ResourceCatalog.Jobs, job, "Normal", "SuccessfulCreate", $"Created pod: {Meta.Name(pod)}", "job-controller");
                    active++;
                }
            }

            store.Mutate(ResourceCatalog.Jobs, ns, Meta.Name(job), live =>
            {
                var status = live["status"] as JsonObject ?? new JsonObject();
                var before = status.DeepClone();
                status["startTime"] ??= now;
                status["active"] = finished is null ? active : 0;
                status["succeeded"] = succeeded;
                status["failed"] = failed;
                status["ready"] = pods.Count(Kubelet.IsReady);
                status["terminating"] = 0;
                status["uncountedTerminatedPods"] ??= new JsonObject();
                if (finished is not null)
                {
                    var list = new JsonArray();
                    var (criterion, reason, message) = finished == "Complete"
                        ? ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")
                        : ("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
                    foreach (var type in new[] { criterion, finished })
                    {
                        list.Add(new JsonObject { ["type"] = type, ["status"] = "True", ["lastProbeTime"] = now, ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message });
                    }

                    status["conditions"] = list;
                    if (finished == "Complete")
                    {
                        status["completionTime"] = now;
                    }

                    events.Record(ResourceCatalog.Jobs, live, finished == "Complete" ? "Normal" : "Warning", finished == "Complete" ? "Completed" : "BackoffLimitExceeded", finished == "Complete" ? "Job completed" : message, "job-controller");
                }

                live["status"] = status;
                return !JsonNode.DeepEquals(before, status);
            });
        }
    }
}
