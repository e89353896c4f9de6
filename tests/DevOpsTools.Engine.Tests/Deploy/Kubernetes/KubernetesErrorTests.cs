using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Kubernetes;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Tests.Deploy.Kubernetes;

/// <summary>The errors users meet on a cluster, each a stable ErrorId with the API's own words, and nothing half-applied.</summary>
public sealed class KubernetesErrorTests(KubeFixture fx) : IClassFixture<KubeFixture>
{
    [Fact]
    public async Task A_field_another_manager_owns_is_a_KubernetesConflict_naming_that_manager()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        var target = factory.ForCluster(env);
        await target.ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context());
        // An operator scales by hand with server-side apply (and takes .spec.replicas over).
        var scale = new V1Patch("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"hello\"},\"spec\":{\"replicas\":3}}", V1Patch.PatchType.ApplyPatch);
        await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(scale, "hello", env, fieldManager: "ops-hpa", force: true);
        var before = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.ApplyAsync(KubeFixture.App(env, "localhost/hello:2", replicas: 2), KubeFixture.Options(), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesConflict, ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceExists, ex.Kind);
        Assert.Contains("'ops-hpa'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".spec.replicas", ex.Message, StringComparison.Ordinal);
        var after = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        Assert.Equal((3, "localhost/hello:1"), (after.Spec.Replicas, after.Spec.Template.Spec.Containers[0].Image));
        Assert.Equal(before.Metadata.Generation, after.Metadata.Generation);
    }

    [Fact]
    public async Task An_immutable_selector_change_is_KubernetesInvalid_with_the_APIs_cause_and_nothing_is_applied()
    {
        var env = KubeFixture.NewEnvironment();
        await fx.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = env } });
        // Someone else's Deployment of the same name and image, with another selector (immutable once created).
        var theirs = new V1Patch("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"hello\"},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"legacy\"}},"
            + "\"template\":{\"metadata\":{\"labels\":{\"app\":\"legacy\"}},\"spec\":{\"containers\":[{\"name\":\"hello\",\"image\":\"localhost/hello:1\"}]}}}}", V1Patch.PatchType.ApplyPatch);
        await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(theirs, "hello", env, fieldManager: "legacy-tool");
        await using var factory = fx.Factory();

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesInvalid, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Contains("spec.selector", ex.Message, StringComparison.Ordinal);
        Assert.Contains("immutable", ex.Message, StringComparison.Ordinal);
        // The dry run stopped it before the Service, the PVC or the Deployment were written.
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedServiceAsync(env)).Items);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(env)).Items);
        var after = await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("hello", env);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "legacy" }, after.Spec.Selector.MatchLabels);
        Assert.DoesNotContain(after.Metadata.ManagedFields, m => m.Manager == "devopstools");
    }

    [Fact]
    public async Task A_wrong_token_is_KubernetesUnauthorized()
    {
        await using var factory = fx.Factory(fx.KubeconfigWith(KubeFixture.Token, "expired-token"));
        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster("test").GetAsync("hello", "test", KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesUnauthorized, ex.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, ex.Kind);
        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("expired-token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_KubernetesUnreachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more
        await using var factory = fx.Factory(fx.KubeconfigWith(fx.Endpoint.BaseUri.Authority, $"127.0.0.1:{port}"));
        var env = KubeFixture.NewEnvironment();

        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context()));

        Assert.Equal(ErrorIds.KubernetesUnreachable, ex.ErrorId);
        Assert.Equal(ErrorKind.ConnectionError, ex.Kind);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_RBAC_denial_is_KubernetesForbidden_naming_the_verb_and_resource_and_nothing_is_applied()
    {
        var env = KubeFixture.NewEnvironment();
        using var http = RawClient();
        using var rule = new StringContent($"{{\"verb\":\"patch\",\"resource\":\"deployments\",\"namespace\":\"{env}\"}}", new MediaTypeHeaderValue("application/json"));
        (await http.PostAsync("/_test/deny", rule)).EnsureSuccessStatusCode();
        try
        {
            await using var factory = fx.Factory();
            var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context()));

            Assert.Equal(ErrorIds.KubernetesForbidden, ex.ErrorId);
            Assert.Equal(ErrorKind.PermissionDenied, ex.Kind);
            Assert.Contains("may not patch deployments.apps", ex.Message, StringComparison.Ordinal);
            Assert.Contains("'patch' verb on 'deployments'", ex.RecommendedAction, StringComparison.Ordinal);
            Assert.Empty((await fx.Client.AppsV1.ListNamespacedDeploymentAsync(env)).Items);
        }
        finally
        {
            (await http.DeleteAsync("/_test/deny")).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_missing_namespace_without_the_right_to_create_it_is_KubernetesForbidden()
    {
        var env = KubeFixture.NewEnvironment();
        using var http = RawClient();
        using var rule = new StringContent("{\"verb\":\"create\",\"resource\":\"namespaces\"}", new MediaTypeHeaderValue("application/json"));
        (await http.PostAsync("/_test/deny", rule)).EnsureSuccessStatusCode();
        try
        {
            await using var factory = fx.Factory();
            var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:1"), KubeFixture.Options(), KubeFixture.Context()));

            Assert.Equal(ErrorIds.KubernetesForbidden, ex.ErrorId);
            Assert.Contains("may not create namespaces at the cluster scope", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"create namespace {env}", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            (await http.DeleteAsync("/_test/deny")).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task An_invalid_kubeconfig_context_is_KubernetesConfigInvalid_and_KUBECONFIG_is_the_default()
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => KubernetesTargetFactory.FromKubeconfig(fx.KubeconfigPath, "no-such-context", environment: _ => null));
        Assert.Equal(ErrorIds.KubernetesConfigInvalid, ex.ErrorId);
        Assert.Equal(["kube-endpoint"], KubernetesTargetFactory.ContextsOf(fx.KubeconfigPath, _ => null));
        var missing = Assert.Throws<DevOpsToolsException>(() => KubernetesTargetFactory.FromKubeconfig(Path.Combine(fx.Directory, "none"), null, environment: _ => null));
        Assert.Equal(ErrorIds.KubernetesConfigInvalid, missing.ErrorId);

        // Without -KubeConfig: the first existing file of KUBECONFIG.
        var variable = string.Join(Path.PathSeparator, Path.Combine(fx.Directory, "absent"), fx.KubeconfigPath);
        await using var fromVariable = KubernetesTargetFactory.FromKubeconfig(null, null, environment: name => name == "KUBECONFIG" ? variable : null);
        Assert.Equal(("kube-endpoint", fx.Endpoint.BaseUri.ToString().TrimEnd('/')), (fromVariable.ContextName, fromVariable.Server.TrimEnd('/')));
        Assert.Null(await fromVariable.ForCluster("nothing-here").GetAsync("hello", "nothing-here", KubeFixture.Context()));
    }

    [Fact]
    public void InCluster_outside_a_pod_or_with_a_kubeconfig_is_KubernetesConfigInvalid()
    {
        Assert.False(KubernetesClientConfiguration.IsInCluster(), "this test runs outside a pod");
        var outside = Assert.Throws<DevOpsToolsException>(() => KubernetesTargetFactory.FromKubeconfig(null, null, environment: _ => null, inCluster: true));
        Assert.Equal(ErrorIds.KubernetesConfigInvalid, outside.ErrorId);
        Assert.Contains("not in one", outside.Message, StringComparison.Ordinal);
        var both = Assert.Throws<DevOpsToolsException>(() => KubernetesTargetFactory.FromKubeconfig(fx.KubeconfigPath, null, environment: _ => null, inCluster: true));
        Assert.Contains("excludes -KubeConfig", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_ends_the_rollout_wait_at_once()
    {
        var env = KubeFixture.NewEnvironment();
        await using var factory = fx.Factory();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            factory.ForCluster(env).ApplyAsync(KubeFixture.App(env, "localhost/hello:broken"), KubeFixture.Options(timeoutSeconds: 120), KubeFixture.Context(token: cts.Token)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the wait ended {clock.Elapsed.TotalSeconds:0.0} s after the start");
    }

    [Fact]
    public void A_namespace_that_is_not_an_RFC_1123_label_is_refused_before_any_request()
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => KubernetesManifests.NamespaceFor("Team_A", "prod"));
        Assert.Equal(ErrorIds.InvalidParameter, ex.ErrorId);
        Assert.Equal("team-a-prod", KubernetesManifests.NamespaceFor("team-a", "prod"));
    }

    private HttpClient RawClient()
    {
        var trusted = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(fx.Endpoint.CertificatePem!);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.RawData.AsSpan().SequenceEqual(trusted.RawData) };
        var http = new HttpClient(handler) { BaseAddress = fx.Endpoint.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KubeFixture.Token);
        return http;
    }
}
