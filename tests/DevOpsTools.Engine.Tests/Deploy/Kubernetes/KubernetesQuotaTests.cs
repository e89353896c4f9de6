using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Tests.Deploy.Kubernetes;

/// <summary>A namespace's ResourceQuota refusing the deploy: KubernetesQuotaExceeded with the API's message, and nothing left half-applied.</summary>
public sealed class KubernetesQuotaTests(KubeFixture fx) : IClassFixture<KubeFixture>
{
    private async Task QuotaAsync(string ns, string name, Dictionary<string, string> hard)
    {
        await fx.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await fx.Client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ResourceQuotaSpec { Hard = hard.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)) },
        }, ns);
    }

    [Fact]
    public async Task A_Deployment_the_quota_does_not_allow_is_refused_by_the_dry_run_before_anything_is_written()
    {
        var env = KubeFixture.NewEnvironment();
        await QuotaAsync(env, "objects", new() { ["count/deployments.apps"] = "0" });
        await using var factory = fx.Factory();

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesQuotaExceeded, ex.ErrorId);
        Assert.Equal(ErrorKind.QuotaExceeded, ex.Kind);
        Assert.Contains("deployments.apps \"hello\" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=0, limited: count/deployments.apps=0", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.RecommendedAction);
        // The ConfigMap, Service and PVC passed their dry runs, but none was written.
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedConfigMapAsync(env, labelSelector: "app.kubernetes.io/name=hello")).Items);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedServiceAsync(env)).Items);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(env)).Items);
    }

    [Fact]
    public async Task A_migration_Job_whose_pod_the_quota_does_not_allow_is_KubernetesQuotaExceeded_and_nothing_rolls_out()
    {
        var env = KubeFixture.NewEnvironment();
        await QuotaAsync(env, "pods-only", new() { ["pods"] = "1" });
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context());
        var app = KubeFixture.App(env, "localhost/hello:2") with { MigrationCommand = ["python3", "server.py", "--migrate"] };

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(app, [target], KubeFixture.Options(timeoutSeconds: 120), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesQuotaExceeded, ex.ErrorId);
        Assert.Matches("Error creating: pods \"hello-migrate-[0-9]+-[a-z0-9]{5}\" is forbidden: exceeded quota: pods-only, requested: pods=1, used: pods=1, limited: pods=1", ex.Message);
        Assert.Equal("localhost/hello:1", (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env)).Spec.Template.Spec.Containers[0].Image);
        Assert.Empty((await fx.Client.BatchV1.ListNamespacedJobAsync(env)).Items);
    }

    [Fact]
    public async Task Pods_the_quota_does_not_allow_end_the_rollout_at_once_and_the_previous_revision_is_restored()
    {
        var env = KubeFixture.NewEnvironment();
        // One pod: the running revision's. The rolling update's surge pod is one too many.
        await QuotaAsync(env, "pods-only", new() { ["pods"] = "1" });
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var first = await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context());
        Assert.Equal(DeploymentStatus.Healthy, first.Status);

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.ApplyAsync(KubeFixture.App(env, "localhost/hello:2"), KubeFixture.Options(timeoutSeconds: 120), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesQuotaExceeded, ex.ErrorId);
        Assert.Matches("pods \"hello-[a-z0-9]+-[a-z0-9]{5}\" is forbidden: exceeded quota: pods-only, requested: pods=1, used: pods=1, limited: pods=1", ex.Message);
        Assert.True(ex.Message.Contains("rolled back to revision 1", StringComparison.Ordinal), ex.Message);
        // The refusal ended the wait, not the 120 s progress deadline.
        Assert.Contains("ReplicaFailure (FailedCreate)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ProgressDeadlineExceeded", ex.Message, StringComparison.Ordinal);
        var live = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        Assert.Equal("localhost/hello:1", live.Spec.Template.Spec.Containers[0].Image);
        var pods = (await fx.Client.CoreV1.ListNamespacedPodAsync(env, labelSelector: "app.kubernetes.io/name=hello")).Items;
        Assert.Equal("localhost/hello:1", Assert.Single(pods).Spec.Containers[0].Image);
        var after = await target.GetAsync("hello", env, KubeFixture.Context());
        Assert.Equal(DeploymentStatus.Healthy, after!.Status);
        Assert.Contains(after.History, r => r.Image == "localhost/hello:2" && r.Status == DeploymentStatus.RolledBack && r.Reason!.Contains("exceeded quota", StringComparison.Ordinal));
    }
}
