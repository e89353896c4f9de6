using k8s;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>ResourceQuota admission and the controllers' FailedCreate, as a real API server and its controllers give them.</summary>
public sealed class QuotaTests(EndpointFixture fx) : IClassFixture<EndpointFixture>
{
    private static V1ResourceQuota QuotaOf(string name, Dictionary<string, string> hard) => new()
    {
        ApiVersion = "v1",
        Kind = "ResourceQuota",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ResourceQuotaSpec { Hard = hard.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)) },
    };

    private static V1Deployment WithResources(V1Deployment d, string cpu, string memory)
    {
        var amounts = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) };
        d.Spec.Template.Spec.Containers[0].Resources = new V1ResourceRequirements { Requests = amounts, Limits = new Dictionary<string, ResourceQuantity>(amounts) };
        return d;
    }

    [Fact]
    public async Task A_deployment_over_its_count_quota_is_403_with_the_quota_admission_message_also_in_a_dry_run()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.CoreV1.CreateNamespacedResourceQuotaAsync(QuotaOf("objects", new() { ["count/deployments.apps"] = "1" }), ns);
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("one", "nginx:1.27", replicas: 1), ns);

        foreach (var dryRun in new[] { "All", null })
        {
            var ex = await Wait.FailureAsync(() => fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("two", "nginx:1.27", replicas: 1), ns, dryRun: dryRun));
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.Response.StatusCode);
            var status = KubernetesJson.Deserialize<V1Status>(ex.Response.Content);
            Assert.Equal(("Forbidden", 403), (status.Reason, status.Code));
            Assert.Equal("deployments.apps \"two\" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1", status.Message);
            Assert.Equal(("two", "apps", "deployments"), (status.Details.Name, status.Details.Group, status.Details.Kind));
        }

        // Server-side apply of a new object is a create, admitted the same way.
        var patch = new V1Patch(KubernetesJson.Serialize(Objects.Deployment("three", "nginx:1.27", replicas: 1)), V1Patch.PatchType.ApplyPatch);
        var applied = await Wait.FailureAsync(() => fx.Client.AppsV1.PatchNamespacedDeploymentAsync(patch, "three", ns, fieldManager: "test"));
        Assert.Contains("exceeded quota: objects", KubernetesJson.Deserialize<V1Status>(applied.Response.Content).Message);
        Assert.Single((await fx.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);

        var quota = await Wait.ForAsync(() => fx.Client.CoreV1.ReadNamespacedResourceQuotaAsync("objects", ns), q => q.Status?.Used is not null, "the quota's status");
        Assert.Equal("1", quota.Status.Used["count/deployments.apps"].ToString());
        Assert.Equal("1", quota.Status.Hard["count/deployments.apps"].ToString());
    }

    [Fact]
    public async Task Pods_over_a_compute_quota_are_not_created_and_the_replica_set_and_deployment_say_why()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.CoreV1.CreateNamespacedResourceQuotaAsync(QuotaOf("compute", new() { ["requests.cpu"] = "1", ["limits.memory"] = "1Gi", ["pods"] = "10" }), ns);
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(WithResources(Objects.Deployment("big", "nginx:1.27", replicas: 3), "500m", "128Mi"), ns);

        var d = await Wait.ForAsync(() => fx.Client.AppsV1.ReadNamespacedDeploymentAsync("big", ns),
            d => d.Status?.Conditions?.Any(c => c.Type == "ReplicaFailure") == true && d.Status.AvailableReplicas == 2, "the deployment's ReplicaFailure with 2 pods available");
        var failure = d.Status.Conditions.Single(c => c.Type == "ReplicaFailure");
        Assert.Equal(("True", "FailedCreate"), (failure.Status, failure.Reason));
        Assert.Matches("^pods \"big-[a-z0-9]+-[a-z0-9]{5}\" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1, limited: requests.cpu=1$", failure.Message);
        Assert.Equal(2, (await fx.Client.CoreV1.ListNamespacedPodAsync(ns)).Items.Count);

        var rs = Assert.Single((await fx.Client.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items);
        Assert.Equal("FailedCreate", rs.Status.Conditions.Single(c => c.Type == "ReplicaFailure").Reason);
        var events = (await fx.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={rs.Metadata.Name},reason=FailedCreate")).Items;
        Assert.NotEmpty(events);
        var ev = events[0];
        Assert.Equal("Warning", ev.Type);
        Assert.StartsWith("Error creating: pods \"big-", ev.Message);
        Assert.Contains("exceeded quota: compute", ev.Message);

        // A quota that lets the last pod in ends the failure, as the real controller's next sync does.
        await fx.Client.CoreV1.PatchNamespacedResourceQuotaAsync(new V1Patch("{\"spec\":{\"hard\":{\"requests.cpu\":\"2\"}}}", V1Patch.PatchType.MergePatch), "compute", ns);
        d = await Wait.ForAsync(() => fx.Client.AppsV1.ReadNamespacedDeploymentAsync("big", ns),
            d => d.Status?.AvailableReplicas == 3 && d.Status.Conditions.All(c => c.Type != "ReplicaFailure"), "the deployment to roll out once the quota allows it");
        var quota = await Wait.ForAsync(() => fx.Client.CoreV1.ReadNamespacedResourceQuotaAsync("compute", ns), q => q.Status?.Used?["requests.cpu"].ToString() == "1500m", "the quota's usage");
        Assert.Equal(("384Mi", "3"), (quota.Status.Used["limits.memory"].ToString(), quota.Status.Used["pods"].ToString()));
    }

    [Fact]
    public async Task A_pod_without_the_requests_a_compute_quota_tracks_is_refused_by_name()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.CoreV1.CreateNamespacedResourceQuotaAsync(QuotaOf("compute", new() { ["requests.memory"] = "1Gi" }), ns);
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "bare" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx:1.27" }] },
        };
        var ex = await Wait.FailureAsync(() => fx.Client.CoreV1.CreateNamespacedPodAsync(pod, ns));
        Assert.Equal("pods \"bare\" is forbidden: failed quota: compute: must specify requests.memory for: app", KubernetesJson.Deserialize<V1Status>(ex.Response.Content).Message);
    }
}
