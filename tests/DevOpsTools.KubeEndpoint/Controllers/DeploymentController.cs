using System.Globalization;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Controllers;

/// <summary>
/// The deployment controller: one ReplicaSet per pod template (<c>{name}-{pod-template-hash}</c>),
/// revisions in <c>deployment.kubernetes.io/revision</c>, rolling updates bounded by maxSurge and
/// maxUnavailable (or Recreate), and the status and conditions <c>kubectl rollout status</c> reads.
/// </summary>
public sealed class DeploymentController(ObjectStore store, EventRecorder events)
{
    public const string HashLabel = "pod-template-hash";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    public void Tick()
    {
        foreach (var d in store.List(ResourceCatalog.Deployments, null).Items)
        {
            Reconcile(d);
        }
    }

    private void Reconcile(JsonObject d)
    {
        var ns = Meta.Namespace(d)!;
        var spec = (JsonObject)d["spec"]!;
        var desired = (int?)spec["replicas"] ?? 1;
        var template = (JsonObject)spec["template"]!.DeepClone();
        var hash = Names.Hash(Canonical(template));
        var owned = store.List(ResourceCatalog.ReplicaSets, ns).Items.Where(rs => Meta.IsControlledBy(rs, Meta.Uid(d))).ToList();
        var maxRevision = owned.Select(Revision).DefaultIfEmpty(0).Max();
        var newRs = owned.FirstOrDefault(rs => Meta.Label(rs, HashLabel) == hash);
        string? progressReason = null;

        if (newRs is null)
        {
            newRs = CreateReplicaSet(d, template, hash, maxRevision + 1, desired);
            owned.Add(newRs);
            progressReason = "NewReplicaSetCreated";
        }
        else if (Revision(newRs) < maxRevision)
        {
            // A rollback to an old template: its ReplicaSet becomes the newest revision again.
            newRs = store.Mutate(ResourceCatalog.ReplicaSets, ns, Meta.Name(newRs), rs =>
            {
                Meta.Annotations(rs)[RevisionAnnotation] = (maxRevision + 1).ToString(CultureInfo.InvariantCulture);
                return true;
            })!;
            owned[owned.FindIndex(rs => Meta.Uid(rs) == Meta.Uid(newRs))] = newRs;
            progressReason = "FoundNewReplicaSet";
        }

        var newName = Meta.Name(newRs);
        var old = owned.Where(rs => Meta.Uid(rs) != Meta.Uid(newRs)).OrderBy(rs => (string?)Meta.Of(rs)["creationTimestamp"]).ThenBy(Revision).ToList();
        var (maxSurge, maxUnavailable) = Bounds(spec, desired);

        if ((string?)spec["strategy"]?["type"] == "Recreate")
        {
            foreach (var rs in old.Where(rs => Replicas(rs) > 0))
            {
                Scale(d, rs, 0);
            }

            if (old.All(rs => ((int?)rs["status"]?["replicas"] ?? 0) == 0) && Replicas(newRs) != desired)
            {
                Scale(d, newRs, desired);
            }
        }
        else
        {
            var total = owned.Sum(Replicas);
            var newReplicas = Replicas(newRs);
            if (newReplicas > desired)
            {
                Scale(d, newRs, desired);
            }
            else if (newReplicas < desired && desired + maxSurge - total > 0)
            {
                Scale(d, newRs, Math.Min(desired, newReplicas + desired + maxSurge - total));
            }

            ScaleDownOld(d, old, newRs, desired, maxUnavailable);
        }

        PruneHistory(d, old, (int?)spec["revisionHistoryLimit"] ?? 10);
        UpdateStatus(d, newName, desired, maxUnavailable, progressReason);
    }

    private void ScaleDownOld(JsonObject d, List<JsonObject> old, JsonObject newRs, int desired, int maxUnavailable)
    {
        var current = store.List(ResourceCatalog.ReplicaSets, Meta.Namespace(d)).Items.Where(rs => Meta.IsControlledBy(rs, Meta.Uid(d))).ToList();
        var fresh = current.First(rs => Meta.Uid(rs) == Meta.Uid(newRs));
        var olds = old.Select(o => current.FirstOrDefault(c => Meta.Uid(c) == Meta.Uid(o))).OfType<JsonObject>().ToList();
        var minAvailable = desired - maxUnavailable;
        var newUnavailable = Replicas(fresh) - Available(fresh);
        var maxScaledDown = current.Sum(Replicas) - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return;
        }

        // Unhealthy old pods go first: removing them costs no availability.
        foreach (var rs in olds)
        {
            var unhealthy = Replicas(rs) - Available(rs);
            var take = Math.Min(unhealthy, maxScaledDown);
            if (take > 0)
            {
                Scale(d, rs, Replicas(rs) - take);
                maxScaledDown -= take;
            }
        }

        current = store.List(ResourceCatalog.ReplicaSets, Meta.Namespace(d)).Items.Where(rs => Meta.IsControlledBy(rs, Meta.Uid(d))).ToList();
        var available = current.Sum(Available);
        var budget = available - minAvailable;
        foreach (var rs in current.Where(rs => Meta.Uid(rs) != Meta.Uid(newRs)).OrderBy(rs => (string?)Meta.Of(rs)["creationTimestamp"]))
        {
            var take = Math.Min(Replicas(rs), budget);
            if (take > 0)
            {
                Scale(d, rs, Replicas(rs) - take);
                budget -= take;
            }
        }
    }

    private JsonObject CreateReplicaSet(JsonObject d, JsonObject template, string hash, int revision, int desired)
    {
        Meta.Labels(template)[HashLabel] = hash;
        var selector = (JsonObject)d["spec"]!["selector"]!.DeepClone();
        Meta.Child(selector, "matchLabels")[HashLabel] = hash;
        var labels = (JsonObject)Meta.Labels(template).DeepClone();
        var rs = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{Meta.Name(d)}-{hash}",
                ["namespace"] = Meta.Namespace(d),
                ["labels"] = labels,
                ["annotations"] = new JsonObject
                {
                    [RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/desired-replicas"] = desired.ToString(CultureInfo.InvariantCulture),
                    ["deployment.kubernetes.io/max-replicas"] = (desired + Bounds((JsonObject)d["spec"]!, desired).Surge).ToString(CultureInfo.InvariantCulture),
                },
                ["ownerReferences"] = new JsonArray(Meta.OwnerReference(d, "apps/v1", "Deployment")),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 0,
                ["minReadySeconds"] = d["spec"]!["minReadySeconds"]?.DeepClone() ?? 0,
                ["selector"] = selector,
                ["template"] = template,
            },
        };
        var created = store.Create(ResourceCatalog.ReplicaSets, rs);
        return created;
    }

    private void Scale(JsonObject d, JsonObject rs, int replicas)
    {
        var from = Replicas(rs);
        if (from == replicas)
        {
            return;
        }

        store.Mutate(ResourceCatalog.ReplicaSets, Meta.Namespace(rs), Meta.Name(rs), r =>
        {
            r["spec"]!["replicas"] = replicas;
            Meta.Annotations(r)["deployment.kubernetes.io/desired-replicas"] = ((int?)d["spec"]!["replicas"] ?? 1).ToString(CultureInfo.InvariantCulture);
            return true;
        });
        rs["spec"]!["replicas"] = replicas;
        var verb = replicas > from ? "up" : "down";
        events.Record(ResourceCatalog.Deployments, d, "Normal", "ScalingReplicaSet", $"Scaled {verb} replica set {Meta.Name(rs)} from {from} to {replicas}", "deployment-controller");
    }

    private void PruneHistory(JsonObject d, List<JsonObject> old, int limit)
    {
        var idle = old.Where(rs => Replicas(rs) == 0 && ((int?)rs["status"]?["replicas"] ?? 0) == 0).OrderBy(Revision).ToList();
        foreach (var rs in idle.Take(Math.Max(0, idle.Count - limit)))
        {
            store.Delete(ResourceCatalog.ReplicaSets, Meta.Namespace(d), Meta.Name(rs));
        }
    }

    private void UpdateStatus(JsonObject d, string newName, int desired, int maxUnavailable, string? progressReason)
    {
        var owned = store.List(ResourceCatalog.ReplicaSets, Meta.Namespace(d)).Items.Where(rs => Meta.IsControlledBy(rs, Meta.Uid(d))).ToList();
        var newRs = owned.FirstOrDefault(rs => Meta.Name(rs) == newName);
        int Sum(string field) => owned.Sum(rs => (int?)rs["status"]?[field] ?? 0);
        var replicas = Sum("replicas");
        var updated = (int?)newRs?["status"]?["replicas"] ?? 0;
        var ready = Sum("readyReplicas");
        var available = Sum("availableReplicas");
        var now = store.Now;
        var stamp = Meta.Timestamp(now);
        var deadline = (int?)d["spec"]!["progressDeadlineSeconds"] ?? 600;

        store.Mutate(ResourceCatalog.Deployments, Meta.Namespace(d), Meta.Name(d), live =>
        {
            if (Meta.Uid(live) != Meta.Uid(d))
            {
                return false;
            }

            var before = live["status"]?.DeepClone() as JsonObject ?? new JsonObject();
            var revision = newRs is null ? null : Meta.Annotation(newRs, RevisionAnnotation);
            if (revision is not null)
            {
                Meta.Annotations(live)[RevisionAnnotation] = revision;
            }

            var status = new JsonObject
            {
                // The generation this pass reconciled, not the live one: a spec written while the pass
                // ran is not observed yet, and claiming it would end a rollout wait on the old template.
                ["observedGeneration"] = Meta.Of(d)["generation"]?.DeepClone(),
                ["replicas"] = replicas,
                ["updatedReplicas"] = updated,
                ["readyReplicas"] = ready,
                ["availableReplicas"] = available,
            };
            if (replicas - available > 0)
            {
                status["unavailableReplicas"] = replicas - available;
            }

            foreach (var zero in new[] { "replicas", "updatedReplicas", "readyReplicas", "availableReplicas" })
            {
                if ((int?)status[zero] == 0 && zero != "replicas")
                {
                    status.Remove(zero);
                }
            }

            var conditions = before["conditions"]?.DeepClone() as JsonArray ?? [];
            var availableOk = available >= desired - maxUnavailable;
            SetCondition(conditions, "Available", availableOk ? "True" : "False",
                availableOk ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                availableOk ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", stamp, touch: false);

            var progressing = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Progressing");
            var complete = updated == desired && replicas == desired && available == desired;
            var progressed = updated > ((int?)before["updatedReplicas"] ?? 0)
                || ready > ((int?)before["readyReplicas"] ?? 0)
                || available > ((int?)before["availableReplicas"] ?? 0)
                || replicas - updated < ((int?)before["replicas"] ?? 0) - ((int?)before["updatedReplicas"] ?? 0);
            if (progressReason == "NewReplicaSetCreated")
            {
                SetCondition(conditions, "Progressing", "True", progressReason, $"Created new replica set \"{newName}\"", stamp, touch: true);
            }
            else if (progressReason == "FoundNewReplicaSet")
            {
                SetCondition(conditions, "Progressing", "True", progressReason, $"Found new replica set \"{newName}\"", stamp, touch: true);
            }
            else if (complete)
            {
                SetCondition(conditions, "Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{newName}\" has successfully progressed.", stamp, touch: (string?)progressing?["reason"] != "NewReplicaSetAvailable");
            }
            else if (progressed || progressing is null || ((string?)progressing["reason"] == "NewReplicaSetAvailable" && Meta.Of(live)["generation"]?.ToJsonString() != before["observedGeneration"]?.ToJsonString()))
            {
                SetCondition(conditions, "Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{newName}\" is progressing.", stamp, touch: true);
            }
            else if ((string?)progressing["status"] == "True" && Meta.ParseTime(progressing["lastUpdateTime"]) is { } last && now - last > TimeSpan.FromSeconds(deadline))
            {
                SetCondition(conditions, "Progressing", "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{newName}\" has timed out progressing.", stamp, touch: true);
            }

            // The ReplicaSets' create failures (a quota) show on the Deployment, the new one's first.
            var failure = owned.OrderBy(rs => Meta.Name(rs) == newName ? 0 : 1)
                .Select(rs => (rs["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "ReplicaFailure"))
                .FirstOrDefault(c => c is not null);
            foreach (var stale in conditions.OfType<JsonObject>().Where(c => (string?)c["type"] == "ReplicaFailure").ToList())
            {
                conditions.Remove(stale);
            }

            if (failure is not null)
            {
                conditions.Add(new JsonObject
                {
                    ["type"] = "ReplicaFailure",
                    ["status"] = failure["status"]?.DeepClone(),
                    ["lastUpdateTime"] = failure["lastTransitionTime"]?.DeepClone(),
                    ["lastTransitionTime"] = failure["lastTransitionTime"]?.DeepClone(),
                    ["reason"] = failure["reason"]?.DeepClone(),
                    ["message"] = failure["message"]?.DeepClone(),
                });
            }

            status["conditions"] = conditions;
            if (JsonNode.DeepEquals(before, status) && revision == Meta.Annotation(d, RevisionAnnotation))
            {
                return false;
            }

            live["status"] = status;
            return true;
        });
    }

    private static void SetCondition(JsonArray conditions, string type, string status, string reason, string message, string stamp, bool touch)
    {
        var c = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        if (c is null)
        {
            c = new JsonObject { ["type"] = type, ["lastTransitionTime"] = stamp, ["lastUpdateTime"] = stamp };
            conditions.Add(c);
        }
        else if ((string?)c["status"] != status)
        {
            c["lastTransitionTime"] = stamp;
            c["lastUpdateTime"] = stamp;
        }
        else if (touch)
        {
            c["lastUpdateTime"] = stamp;
        }

        c["status"] = status;
        c["reason"] = reason;
        c["message"] = message;
    }

    public static (int Surge, int Unavailable) Bounds(JsonObject spec, int desired)
    {
        var ru = spec["strategy"]?["rollingUpdate"];
        var surge = Resolve(ru?["maxSurge"], desired, roundUp: true);
        var unavailable = Resolve(ru?["maxUnavailable"], desired, roundUp: false);
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, Math.Min(unavailable, desired));
    }

    private static int Resolve(JsonNode? value, int total, bool roundUp)
    {
        if (value is null)
        {
            return roundUp ? (int)Math.Ceiling(total * 0.25) : (int)Math.Floor(total * 0.25);
        }

        var text = value.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)value! : null;
        if (text is null)
        {
            return (int)value;
        }

        var pct = double.Parse(text.TrimEnd('%'), CultureInfo.InvariantCulture) / 100.0;
        return roundUp ? (int)Math.Ceiling(total * pct) : (int)Math.Floor(total * pct);
    }

    private static int Replicas(JsonObject rs) => (int?)rs["spec"]?["replicas"] ?? 0;

    private static int Available(JsonObject rs) => (int?)rs["status"]?["availableReplicas"] ?? 0;

    private static int Revision(JsonObject rs) =>
        int.TryParse(Meta.Annotation(rs, RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;

    /// <summary>Key-sorted JSON, so the same template hashes the same whichever order its fields came in.</summary>
    public static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(',', o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonValue.Create(p.Key).ToJsonString() + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(',', a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
