using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Controllers;

/// <summary>
/// Runs the simulated control plane: one pass of every controller per tick, in the order a change
/// flows (namespace cleanup, deployments, replica sets, jobs, the kubelet). Level-triggered like the
/// real controllers: each pass reads the current state and moves it one step towards the spec.
/// </summary>
public sealed class ControllerLoop(ObjectStore store, LogBook logs, KubeEndpointOptions options)
{
    private readonly CancellationTokenSource _stop = new();
    private readonly DeploymentController _deployments = new(store, new EventRecorder(store));
    private readonly ReplicaSetController _replicaSets = new(store, new EventRecorder(store));
    private readonly JobController _jobs = new(store, new EventRecorder(store));
    private readonly Kubelet _kubelet = new(store, logs, new EventRecorder(store), options);
    private Task? _loop;

    public void Start() => _loop = Task.Run(RunAsync);

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                Tick();
            }
            catch (ApiException)
            {
                // A concurrent client write won the race (409, 404): the next tick starts from the new state.
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"kube-endpoint: controller error: {ex}").ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(options.ControllerInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Tick()
    {
        FinalizeNamespaces();
        _deployments.Tick();
        _replicaSets.Tick();
        _jobs.Tick();
        _kubelet.Tick();
        UpdateQuotas();
    }

    /// <summary>The resource quota controller: status.hard from spec.hard, status.used counted from the namespace.</summary>
    private void UpdateQuotas()
    {
        foreach (var quota in store.List(ResourceCatalog.ResourceQuotas, null).Items)
        {
            var status = Quota.Status(store, quota);
            if (!JsonNode.DeepEquals(quota["status"], status))
            {
                store.Mutate(ResourceCatalog.ResourceQuotas, Meta.Namespace(quota), Meta.Name(quota), q =>
                {
                    q["status"] = status;
                    return true;
                });
            }
        }
    }

    /// <summary>A terminating namespace loses its content, then goes away itself.</summary>
    private void FinalizeNamespaces()
    {
        foreach (var ns in store.List(ResourceCatalog.Namespaces, null).Items.Where(n => Meta.Of(n)["deletionTimestamp"] is not null))
        {
            var name = Meta.Name(ns);
            foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
            {
                foreach (var obj in store.List(type, name).Items)
                {
                    store.Delete(type, name, Meta.Name(obj));
                    if (type == ResourceCatalog.Pods)
                    {
                        logs.Forget(name, Meta.Name(obj));
                    }
                }
            }

            store.Delete(ResourceCatalog.Namespaces, null, name);
        }
    }
}

/// <summary>Writes core/v1 Events the way controllers and the kubelet do, folding repeats into a count.</summary>
public sealed class EventRecorder(ObjectStore store)
{
    public void Record(ResourceType type, JsonObject involved, string eventType, string reason, string message, string component)
    {
        var ns = Meta.Namespace(involved) ?? "default";
        if (!store.NamespaceExists(ns))
        {
            return;
        }

        var now = Meta.Timestamp(store.Now);
        var existing = store.List(ResourceCatalog.Events, ns).Items.FirstOrDefault(e =>
            (string?)e["involvedObject"]?["uid"] == Meta.Uid(involved) && (string?)e["reason"] == reason && (string?)e["message"] == message);
        if (existing is not null)
        {
            store.Mutate(ResourceCatalog.Events, ns, Meta.Name(existing), e =>
            {
                e["count"] = ((int?)e["count"] ?? 1) + 1;
                e["lastTimestamp"] = now;
                return true;
            });
            return;
        }

        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = $"{Meta.Name(involved)}.{Guid.NewGuid():N}"[..Math.Min(253, Meta.Name(involved).Length + 17)], ["namespace"] = ns },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = type.Kind,
                ["namespace"] = ns,
                ["name"] = Meta.Name(involved),
                ["uid"] = Meta.Uid(involved),
                ["apiVersion"] = type.GroupVersion,
                ["resourceVersion"] = Meta.Of(involved)["resourceVersion"]?.DeepClone(),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
            ["type"] = eventType,
            ["reportingComponent"] = component,
            ["reportingInstance"] = string.Empty,
        };
        store.Create(ResourceCatalog.Events, ev);
    }
}
