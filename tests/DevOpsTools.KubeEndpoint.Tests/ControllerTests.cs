using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>The simulated deployment controller, kubelet and logs, seen through KubernetesClient.</summary>
public sealed class ControllerTests(EndpointFixture fx) : IClassFixture<EndpointFixture>
{
    private Task<V1Deployment> RolledOutAsync(string ns, string name) => Wait.ForAsync(
        () => fx.Client.AppsV1.ReadNamespacedDeploymentAsync(name, ns),
        d => d.Status is { } s && s.ObservedGeneration == d.Metadata.Generation && s.UpdatedReplicas == d.Spec.Replicas
            && s.AvailableReplicas == d.Spec.Replicas && s.Replicas == d.Spec.Replicas,
        $"deployment {name} to roll out");

    [Fact]
    public async Task A_deployment_rolls_out_through_a_replica_set_and_ready_pods()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("web", "nginx:1.27"), ns);
        var d = await RolledOutAsync(ns, "web");

        var rs = Assert.Single((await fx.Client.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items);
        var hash = rs.Metadata.Labels["pod-template-hash"];
        Assert.Equal($"web-{hash}", rs.Metadata.Name);
        Assert.Equal("1", rs.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.Equal("1", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        var owner = Assert.Single(rs.Metadata.OwnerReferences);
        Assert.Equal((d.Metadata.Uid, "Deployment", true), (owner.Uid, owner.Kind, owner.Controller == true));

        var pods = (await fx.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app=web,pod-template-hash={hash}")).Items;
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p => Assert.Equal("Running", p.Status.Phase));
        Assert.All(pods, p => Assert.Contains(p.Status.Conditions, c => c.Type == "Ready" && c.Status == "True"));

        var progressing = d.Status.Conditions.Single(c => c.Type == "Progressing");
        Assert.Equal(("True", "NewReplicaSetAvailable"), (progressing.Status, progressing.Reason));
        Assert.Equal("True", d.Status.Conditions.Single(c => c.Type == "Available").Status);
    }

    [Fact]
    public async Task A_rolling_update_keeps_within_surge_and_unavailability_and_bumps_the_revision()
    {
        var ns = await fx.NewNamespaceAsync();
        var spec = Objects.Deployment("roll", "nginx:1.27", replicas: 4);
        spec.Spec.Strategy = new V1DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" } };
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(spec, ns);
        await RolledOutAsync(ns, "roll");

        var maxPods = 0;
        var minReady = int.MaxValue;
        using var cts = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                var pods = (await fx.Client.CoreV1.ListNamespacedPodAsync(ns)).Items;
                maxPods = Math.Max(maxPods, pods.Count);
                minReady = Math.Min(minReady, pods.Count(p => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true));
                await Task.Delay(20);
            }
        });
        await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.28\"}]}}}}", V1Patch.PatchType.StrategicMergePatch), "roll", ns);
        var d = await RolledOutAsync(ns, "roll");
        await cts.CancelAsync();
        await sampler;

        Assert.Equal("2", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.True(maxPods <= 5, $"maxSurge 1 over 4 replicas allows 5 pods, saw {maxPods}");
        Assert.True(minReady >= 4, $"maxUnavailable 0 keeps 4 ready pods, saw {minReady}");
        var sets = (await fx.Client.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items;
        Assert.Equal(2, sets.Count);
        Assert.Equal(0, sets.Single(s => s.Metadata.Annotations["deployment.kubernetes.io/revision"] == "1").Spec.Replicas);
        Assert.All((await fx.Client.CoreV1.ListNamespacedPodAsync(ns)).Items, p => Assert.Equal("nginx:1.28", p.Spec.Containers[0].Image));
    }

    [Fact]
    public async Task A_broken_image_crash_loops_with_events_and_logs_and_exceeds_the_progress_deadline()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("bad", "registry.example/app:broken-1", replicas: 1, progressDeadline: 2), ns);
        var d = await Wait.ForAsync(
            () => fx.Client.AppsV1.ReadNamespacedDeploymentAsync("bad", ns),
            d => d.Status?.Conditions?.Any(c => c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded") == true,
            "ProgressDeadlineExceeded");
        Assert.Equal("False", d.Status.Conditions.Single(c => c.Type == "Progressing").Status);
        Assert.Null(d.Status.AvailableReplicas);

        var pod = Assert.Single((await fx.Client.CoreV1.ListNamespacedPodAsync(ns)).Items);
        var container = Assert.Single(pod.Status.ContainerStatuses);
        Assert.Equal("CrashLoopBackOff", container.State.Waiting.Reason);
        Assert.True(container.RestartCount >= 1, $"restartCount {container.RestartCount}");
        Assert.Equal(1, container.LastState.Terminated.ExitCode);

        var events = (await fx.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={pod.Metadata.Name},reason=BackOff")).Items;
        var backoff = Assert.Single(events);
        Assert.Equal("Warning", backoff.Type);
        Assert.StartsWith("Back-off restarting failed container app", backoff.Message, StringComparison.Ordinal);

        using var log = new StreamReader(await fx.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns));
        var text = await log.ReadToEndAsync();
        Assert.Contains("fatal: this image is marked broken", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_honour_tail_lines_and_follow_streams_new_lines()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("logs", "nginx:1.27", replicas: 1), ns);
        await RolledOutAsync(ns, "logs");
        var pod = Assert.Single((await fx.Client.CoreV1.ListNamespacedPodAsync(ns)).Items);
        await Wait.ForAsync(async () => fx.Endpoint.Logs.Read(ns, pod.Metadata.Name, "app").Count, n => n >= 3, "three log lines", 10);

        using (var tail = new StreamReader(await fx.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, tailLines: 1)))
        {
            var lines = (await tail.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("app: heartbeat", lines[0], StringComparison.Ordinal);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var follow = new StreamReader(await fx.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, follow: true, tailLines: 0, cancellationToken: cts.Token));
        var next = await follow.ReadLineAsync(cts.Token);
        Assert.StartsWith("app: heartbeat", next, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_deployment_cascades_or_orphans()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("gone", "nginx:1.27", replicas: 2), ns);
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("kept", "nginx:1.27", replicas: 1), ns);
        await RolledOutAsync(ns, "gone");
        await RolledOutAsync(ns, "kept");

        await fx.Client.AppsV1.DeleteNamespacedDeploymentAsync("gone", ns, propagationPolicy: "Background");
        await fx.Client.AppsV1.DeleteNamespacedDeploymentAsync("kept", ns, propagationPolicy: "Orphan");
        var sets = (await fx.Client.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items;
        var orphan = Assert.Single(sets);
        Assert.StartsWith("kept-", orphan.Metadata.Name, StringComparison.Ordinal);
        Assert.Empty(orphan.Metadata.OwnerReferences ?? []);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=gone")).Items);
        Assert.Single((await fx.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=kept")).Items);
    }

    [Fact]
    public async Task A_job_runs_its_pod_to_completion()
    {
        var ns = await fx.NewNamespaceAsync();
        var job = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "migrate" },
            Spec = new V1JobSpec
            {
                Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "m", Image = "app:migrate" }] } },
            },
        };
        await fx.Client.BatchV1.CreateNamespacedJobAsync(job, ns);
        var done = await Wait.ForAsync(() => fx.Client.BatchV1.ReadNamespacedJobAsync("migrate", ns), j => j.Status?.Succeeded == 1, "the job to succeed");
        Assert.Contains(done.Status.Conditions, c => c.Type == "Complete" && c.Status == "True");
        var pod = Assert.Single((await fx.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "job-name=migrate")).Items);
        Assert.Equal("Succeeded", pod.Status.Phase);
        var node = JsonNode.Parse(KubernetesJson.Serialize(done))!;
        Assert.NotNull(node["status"]!["completionTime"]);
    }
}
