using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Controllers;

/// <summary>
/// The simulated node. A container starts on the first tick after its pod is created and passes its
/// readiness check <see cref="KubeEndpointOptions.PodReadyDelay"/> later. An image whose reference
/// contains "broken" exits with code 1 at once, every time: the container goes into CrashLoopBackOff
/// with a rising restartCount, a Warning BackOff event per restart, and its log lines. Pods with
/// restartPolicy Never or OnFailure (Jobs) run for <see cref="KubeEndpointOptions.JobRunDuration"/>
/// and succeed, or fail for a broken image.
/// </summary>
public sealed class Kubelet(ObjectStore store, LogBook logs, EventRecorder events, KubeEndpointOptions options)
{
    public const string NodeName = "kube-endpoint-node";

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, RunState> _runs = [];

    private sealed class RunState
    {
        public DateTimeOffset Started { get; set; }

        public DateTimeOffset LastBeat { get; set; }

        public int Beats { get; set; }

        public int Restarts { get; set; }
    }

    public static bool IsBroken(string? image) => image?.Contains("broken", StringComparison.Ordinal) == true;

    public static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == "Ready" && (string?)c["status"] == "True") == true;

    public void Tick()
    {
        var now = store.Now;
        var seen = new HashSet<string>();
        foreach (var pod in store.List(ResourceCatalog.Pods, null).Items)
        {
            var uid = Meta.Uid(pod);
            seen.Add(uid);
            if ((string?)pod["status"]?["phase"] is "Succeeded" or "Failed")
            {
                continue;
            }

            var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var restartAlways = ((string?)pod["spec"]?["restartPolicy"] ?? "Always") == "Always";
            var broken = containers.Any(c => IsBroken((string?)c["image"]));
            if (!_runs.TryGetValue(uid, out var run))
            {
                run = new RunState { Started = now, LastBeat = now };
                _runs[uid] = run;
                foreach (var c in containers)
                {
                    Print(pod, c, run, $"starting: image {(string?)c["image"]}");
                    if (IsBroken((string?)c["image"]))
                    {
                        Print(pod, c, run, "fatal: this image is marked broken; exiting with code 1");
                    }
                }
            }

            var elapsed = now - run.Started;
            string phase;
            var ready = false;
            if (broken && restartAlways)
            {
                if (now - run.LastBeat >= options.CrashBackoff)
                {
                    run.Restarts++;
                    run.LastBeat = now;
                    foreach (var c in containers.Where(c => IsBroken((string?)c["image"])))
                    {
                        Print(pod, c, run, $"starting: image {(string?)c["image"]}");
                        Print(pod, c, run, "fatal: this image is marked broken; exiting with code 1");
                        events.Record(ResourceCatalog.Pods, pod, "Warning", "BackOff", $"Back-off restarting failed container {(string?)c["name"]} in pod {Meta.Name(pod)}_{Meta.Namespace(pod)}({uid})", "kubelet");
                    }
                }

                phase = "Running";
            }
            else if (!restartAlways && elapsed >= options.JobRunDuration)
            {
                foreach (var c in containers)
                {
                    Print(pod, c, run, broken ? "exited with code 1" : "completed");
                }

                phase = broken ? "Failed" : "Succeeded";
            }
            else
            {
                phase = "Running";
                ready = elapsed >= options.PodReadyDelay && !broken;
                if (ready && now - run.LastBeat >= HeartbeatInterval)
                {
                    run.Beats++;
                    run.LastBeat = now;
                    foreach (var c in containers)
                    {
                        Print(pod, c, run, run.Beats == 1 ? $"ready: listening on port {Port(c)}" : $"heartbeat {run.Beats - 1}");
                    }
                }
            }

            var status = Status(pod, containers, run, phase, ready, broken, now);
            store.Mutate(ResourceCatalog.Pods, Meta.Namespace(pod), Meta.Name(pod), live =>
            {
                if (Meta.Uid(live) != uid || JsonNode.DeepEquals(live["status"], status))
                {
                    return false;
                }

                live["status"] = status;
                return true;
            });
        }

        foreach (var gone in _runs.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _runs.Remove(gone);
        }
    }

    private JsonObject Status(JsonObject pod, List<JsonObject> containers, RunState run, string phase, bool ready, bool broken, DateTimeOffset now)
    {
        var started = Meta.Timestamp(run.Started);
        var readyAt = Meta.Timestamp(run.Started + options.PodReadyDelay);
        var statuses = new JsonArray();
        var unready = new List<string>();
        foreach (var c in containers)
        {
            var name = (string?)c["name"] ?? string.Empty;
            var cBroken = IsBroken((string?)c["image"]);
            var cs = new JsonObject
            {
                ["name"] = name,
                ["image"] = c["image"]?.DeepClone(),
                ["imageID"] = $"docker.io/library/{(string?)c["image"]}@sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes((string?)c["image"] ?? string.Empty)))}",
                ["containerID"] = $"containerd://{Meta.Uid(pod).Replace("-", string.Empty, StringComparison.Ordinal)}{run.Restarts:x4}",
                ["ready"] = ready,
                ["started"] = !cBroken,
                ["restartCount"] = cBroken ? run.Restarts : 0,
            };
            if (phase is "Succeeded" or "Failed")
            {
                cs["state"] = new JsonObject { ["terminated"] = Terminated(cBroken, started, Meta.Timestamp(now)) };
            }
            else if (cBroken)
            {
                cs["state"] = new JsonObject
                {
                    ["waiting"] = new JsonObject
                    {
                        ["reason"] = "CrashLoopBackOff",
                        ["message"] = $"back-off {(int)options.CrashBackoff.TotalSeconds}s restarting failed container={name} pod={Meta.Name(pod)}_{Meta.Namespace(pod)}({Meta.Uid(pod)})",
                    },
                };
                cs["lastState"] = new JsonObject { ["terminated"] = Terminated(true, Meta.Timestamp(run.LastBeat), Meta.Timestamp(run.LastBeat)) };
            }
            else
            {
                cs["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = started } };
            }

            if (!ready)
            {
                unready.Add(name);
            }

            statuses.Add(cs);
        }

        var ok = unready.Count == 0 && phase == "Running";
        JsonObject Condition(string type, bool value) => new()
        {
            ["type"] = type,
            ["status"] = value ? "True" : "False",
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = value && type is "Ready" or "ContainersReady" ? readyAt : started,
        };
        var conditions = new JsonArray(Condition("PodReadyToStartContainers", true), Condition("Initialized", true), Condition("Ready", ok), Condition("ContainersReady", ok), Condition("PodScheduled", true));
        foreach (var c in conditions.OfType<JsonObject>().Where(c => (string?)c["status"] == "False"))
        {
            c["reason"] = phase is "Succeeded" or "Failed" ? "PodCompleted" : "ContainersNotReady";
            c["message"] = phase is "Succeeded" or "Failed" ? null : $"containers with unready status: [{string.Join(' ', unready)}]";
        }

        return new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = conditions,
            ["hostIP"] = "127.10.0.10",
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "127.10.0.10" }),
            ["podIP"] = PodIp(pod),
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = PodIp(pod) }),
            ["startTime"] = started,
            ["containerStatuses"] = statuses,
            ["qosClass"] = "BestEffort",
        };
    }

    private static JsonObject Terminated(bool failed, string started, string finished) => new()
    {
        ["exitCode"] = failed ? 1 : 0,
        ["reason"] = failed ? "Error" : "Completed",
        ["startedAt"] = started,
        ["finishedAt"] = finished,
    };

    private static string PodIp(JsonObject pod)
    {
        var h = Meta.Uid(pod).GetHashCode(StringComparison.Ordinal) & 0xffff;
        return $"127.244.{h >> 8}.{(h & 0xff) | 1}";
    }

    private static string Port(JsonObject c) => (string?)c["ports"]?[0]?["containerPort"]?.ToJsonString() ?? "8080";

    private void Print(JsonObject pod, JsonObject c, RunState run, string text) =>
        logs.Append(Meta.Namespace(pod)!, Meta.Name(pod), (string?)c["name"] ?? string.Empty, new LogLine(store.Now, run.Restarts, $"{(string?)c["name"]}: {text}"));
}
