using k8s;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Tests.Deploy.Kubernetes;

/// <summary>The app's host names as a networking.k8s.io/v1 Ingress: applied, planned, dropped with the hosts, removed with the app.</summary>
public sealed class KubernetesIngressTests(KubeFixture fx) : IClassFixture<KubeFixture>
{
    [Fact]
    public async Task Host_names_become_an_Ingress_to_the_Service_that_follows_the_spec_and_goes_with_the_app()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        var app = KubeFixture.App(env, "localhost/hello:1") with { HostNames = ["hello.example.test", "*.hello.example.test"] };

        var deployed = await target.ApplyAsync(app, KubeFixture.Options(), KubeFixture.Context());

        var ingress = await fx.Client.NetworkingV1.ReadNamespacedIngressAsync("hello", env);
        Assert.Equal(["hello.example.test", "*.hello.example.test"], ingress.Spec.Rules.Select(r => r.Host));
        var path = Assert.Single(ingress.Spec.Rules[0].Http.Paths);
        Assert.Equal(("/", "Prefix", "hello", 8080), (path.Path, path.PathType, path.Backend.Service.Name, path.Backend.Service.Port.Number));
        Assert.Contains(ingress.Metadata.ManagedFields, m => m.Manager == "devopstools" && m.Operation == "Apply");
        Assert.Equal("devopstools", ingress.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Contains(deployed.Endpoints, e => e.Name == "ingress" && e.Address == "hello.example.test" && e.Port == 80);

        // A plan of other host names is a diff of the Ingress alone, and changes nothing.
        var moved = app with { HostNames = ["www.example.test"] };
        var plan = await target.PlanAsync(moved, KubeFixture.Context());
        Assert.Equal("1 object(s) would change: Ingress/hello", plan.Summary);
        Assert.Matches("(?m)^\\+ +\"host\": \"www.example.test\"", plan.Diff);
        Assert.Matches("(?m)^- +\"host\": \"hello.example.test\"", plan.Diff);
        Assert.Equal(2, (await fx.Client.NetworkingV1.ReadNamespacedIngressAsync("hello", env)).Spec.Rules.Count);

        // Without host names the module's Ingress goes (planned first as a removal).
        var none = app with { HostNames = [] };
        Assert.Equal("1 object(s) would change: Ingress/hello (removed)", (await target.PlanAsync(none, KubeFixture.Context())).Summary);
        await target.ApplyAsync(none, KubeFixture.Options(), KubeFixture.Context());
        Assert.Empty((await fx.Client.NetworkingV1.ListNamespacedIngressAsync(env)).Items);

        await target.ApplyAsync(moved, KubeFixture.Options(), KubeFixture.Context());
        Assert.Single((await fx.Client.NetworkingV1.ListNamespacedIngressAsync(env)).Items);
        var removed = await target.RemoveAsync("hello", env, removeVolumes: true, KubeFixture.Context());
        Assert.Equal(DeploymentStatus.Removed, removed.Status);
        Assert.Empty((await fx.Client.NetworkingV1.ListNamespacedIngressAsync(env)).Items);
    }
}
