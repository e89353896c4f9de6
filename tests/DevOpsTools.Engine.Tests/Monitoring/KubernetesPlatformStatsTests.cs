using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Kubernetes;
using DevOpsTools.Engine.Monitoring.Platform;
using DevOpsTools.Engine.Tests.Deploy.Kubernetes;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>The Kubernetes platform source against the in-process KubeEndpoint (which serves no metrics API).</summary>
public sealed class KubernetesPlatformStatsTests(KubeFixture fx) : IClassFixture<KubeFixture>
{
    [Fact]
    public async Task A_rolled_out_deployment_reports_its_replicas_and_no_usage_without_a_metrics_API()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var deployment = await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1", replicas: 2), KubeFixture.Options(), KubeFixture.Context());

        var sink = new RecordingSink();
        var figures = await DeployedServices.ReadAsync(target, deployment, KubeFixture.Context(sink));

        Assert.NotNull(figures);
        Assert.Equal(("kubernetes", 2, 2, 0L), (figures.Source, figures.ReplicasReady, figures.ReplicasDesired, figures.Restarts));
        Assert.Null(figures.CpuPercent);
        Assert.Null(figures.MemoryBytes);
        Assert.Contains("metrics API", figures.Unavailable["CpuPercent"], StringComparison.Ordinal);
        Assert.Equal(ServiceStatus.Healthy, PlatformRules.Judge(figures).Status);
        Assert.Equal(["hello"], await target.ListAppsAsync(env, KubeFixture.Context()));
    }

    [Fact]
    public async Task A_crash_looping_deployment_has_no_ready_replica_and_counts_its_restarts()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var failed = await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:broken"), KubeFixture.Options(timeoutSeconds: 2), KubeFixture.Context());

        var figures = await DeployedServices.ReadAsync(target, failed, KubeFixture.Context());

        Assert.NotNull(figures);
        Assert.Equal((0, 1), (figures.ReplicasReady, figures.ReplicasDesired));
        Assert.True(figures.Restarts > 0, $"restarts: {figures.Restarts}");
        var (status, reason) = PlatformRules.Judge(figures);
        Assert.Equal((ServiceStatus.Down, "0 of 1 replicas ready (kubernetes)"), (status, reason));
    }

    [Fact]
    public async Task An_environment_without_a_namespace_lists_no_app_and_AppDeployments_finds_none()
    {
        await using var factory = fx.Factory();
        var target = factory.ForCluster(KubeFixture.NewEnvironment());

        Assert.Empty(await target.ListAppsAsync("nothing-here", KubeFixture.Context()));
        Assert.Empty(await AppDeployments.ListAsync("nothing-here", [target], KubeFixture.Context()));
    }

    [Fact]
    public async Task A_cluster_that_cannot_be_reached_gives_null_figures_with_the_reason_not_an_exception()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory(fx.KubeconfigWith(KubeFixture.Token, "wrong-token"));
        var target = factory.ForCluster(env);
        var deployment = new Deployment { App = "hello", Environment = env, TargetKind = "Kubernetes", Target = target.Name, Image = "localhost/hello:1" };

        var figures = await DeployedServices.ReadAsync(target, deployment, KubeFixture.Context());

        Assert.NotNull(figures);
        Assert.Null(figures.ReplicasReady);
        Assert.All(PlatformRules.Names, n => Assert.False(string.IsNullOrWhiteSpace(figures.Unavailable[n])));
    }
}
