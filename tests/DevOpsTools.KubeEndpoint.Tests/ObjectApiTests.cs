using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>Discovery, authentication and the object verbs, through the real KubernetesClient.</summary>
public sealed class ObjectApiTests(EndpointFixture fx) : IClassFixture<EndpointFixture>
{
    [Fact]
    public async Task Wrong_or_missing_token_is_401_with_a_Status_body()
    {
        foreach (var token in new[] { "wrong", null })
        {
            using var http = fx.RawClient(token);
            using var response = await http.GetAsync("/api/v1/namespaces");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("Status", (string?)status["kind"]);
            Assert.Equal("Failure", (string?)status["status"]);
            Assert.Equal("Unauthorized", (string?)status["reason"]);
            Assert.Equal(401, (int?)status["code"]);
        }
    }

    [Fact]
    public async Task Discovery_lists_the_served_groups_and_resources()
    {
        var version = await fx.Client.Version.GetCodeAsync();
        Assert.Equal("v1.35.0", version.GitVersion);
        var core = await fx.Client.CoreV1.GetAPIResourcesAsync();
        Assert.Equal(
            ["configmaps", "events", "namespaces", "persistentvolumeclaims", "pods", "pods/log", "resourcequotas", "secrets", "services"],
            core.Resources.Select(r => r.Name).Where(n => !n.EndsWith("/status", StringComparison.Ordinal)).Order().ToArray());
        var apps = await fx.Client.AppsV1.GetAPIResourcesAsync();
        Assert.Contains(apps.Resources, r => r.Name == "deployments" && r.Namespaced && r.Kind == "Deployment" && r.Verbs.Contains("watch"));
        var groups = await fx.Client.Apis.GetAPIVersionsAsync();
        Assert.Equal(["apps", "batch", "networking.k8s.io"], groups.Groups.Select(g => g.Name).ToArray());
    }

    [Fact]
    public async Task Create_get_conflicts_and_delete_behave_like_a_cluster()
    {
        var ns = await fx.NewNamespaceAsync();
        var created = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("settings"), ns);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        var rv1 = long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        var again = await Wait.FailureAsync(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("settings"), ns));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Equal("AlreadyExists", (string?)JsonNode.Parse(again.Response.Content)!["reason"]);
        Assert.Equal("configmaps \"settings\" already exists", (string?)JsonNode.Parse(again.Response.Content)!["message"]);

        created.Data["key"] = "changed";
        var updated = await fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "settings", ns);
        Assert.True(long.Parse(updated.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > rv1);

        // The body still carries the first resourceVersion: a lost update, refused.
        created.Data["key"] = "stale";
        var stale = await Wait.FailureAsync(() => fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "settings", ns));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Equal("Conflict", (string?)JsonNode.Parse(stale.Response.Content)!["reason"]);
        Assert.Contains("the object has been modified", stale.Response.Content, StringComparison.Ordinal);

        var patched = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"extra\":\"1\"}}", V1Patch.PatchType.MergePatch), "settings", ns);
        Assert.Equal(new Dictionary<string, string> { ["key"] = "changed", ["extra"] = "1" }, patched.Data);

        await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync("settings", ns);
        var gone = await Wait.FailureAsync(() => fx.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        var status = JsonNode.Parse(gone.Response.Content)!;
        Assert.Equal("NotFound", (string?)status["reason"]);
        Assert.Equal("settings", (string?)status["details"]!["name"]);
        Assert.Equal("configmaps", (string?)status["details"]!["kind"]);

        var noNamespace = await Wait.FailureAsync(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("x"), "no-such-ns"));
        Assert.Equal("namespaces \"no-such-ns\" not found", (string?)JsonNode.Parse(noNamespace.Response.Content)!["message"]);
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("a", new() { ["tier"] = "web", ["env"] = "prod" }), ns);
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("b", new() { ["tier"] = "db", ["env"] = "prod" }), ns);
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("c", new() { ["tier"] = "cache" }), ns);
        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await fx.Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: labels, fieldSelector: fields)).Items.Select(i => i.Metadata.Name).ToArray();

        Assert.Equal(["a"], await Names("tier=web"));
        Assert.Equal(["b", "c"], await Names("tier!=web"));
        Assert.Equal(["a", "c"], await Names("tier in (web,cache)"));
        Assert.Equal(["b"], await Names("tier notin (web,cache)"));
        Assert.Equal(["a", "b"], await Names("env"));
        Assert.Equal(["c"], await Names("!env"));
        Assert.Equal(["b"], await Names("env=prod,tier=db"));
        Assert.Equal(["c"], await Names(fields: "metadata.name=c"));
        Assert.Equal(["a", "b"], await Names(fields: $"metadata.namespace={ns},metadata.name!=c"));
    }

    [Fact]
    public async Task Dry_run_returns_the_result_and_stores_nothing()
    {
        var ns = await fx.NewNamespaceAsync();
        var result = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("dry"), ns, dryRun: "All");
        Assert.Equal("dry", result.Metadata.Name);
        Assert.False(string.IsNullOrEmpty(result.Metadata.Uid));
        var missing = await Wait.FailureAsync(() => fx.Client.CoreV1.ReadNamespacedConfigMapAsync("dry", ns));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);

        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("real", value: "before"), ns);
        var applied = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"real\"},\"data\":{\"key\":\"after\"}}", V1Patch.PatchType.ApplyPatch),
            "real", ns, dryRun: "All", fieldManager: "tester", force: true);
        Assert.Equal("after", applied.Data["key"]);
        Assert.Equal("before", (await fx.Client.CoreV1.ReadNamespacedConfigMapAsync("real", ns)).Data["key"]);
        await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync("real", ns, dryRun: "All");
        Assert.Equal("before", (await fx.Client.CoreV1.ReadNamespacedConfigMapAsync("real", ns)).Data["key"]);
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only()
    {
        var ns = await fx.NewNamespaceAsync();
        var d = await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(Objects.Deployment("gen", "nginx:1.27", replicas: 1), ns);
        Assert.Equal(1, d.Metadata.Generation);
        var labelled = await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.MergePatch), "gen", ns);
        Assert.Equal(1, labelled.Metadata.Generation);
        var scaled = await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"replicas\":2}}", V1Patch.PatchType.StrategicMergePatch), "gen", ns);
        Assert.Equal(2, scaled.Metadata.Generation);
        Assert.Equal(2, scaled.Spec.Replicas);

        // Defaults a real server fills in.
        Assert.Equal("RollingUpdate", scaled.Spec.Strategy.Type);
        Assert.Equal(600, scaled.Spec.ProgressDeadlineSeconds);
        Assert.Equal("IfNotPresent", scaled.Spec.Template.Spec.Containers[0].ImagePullPolicy);

        var invalid = await Wait.FailureAsync(() => fx.Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"other\"}}}}", V1Patch.PatchType.MergePatch), "gen", ns));
        Assert.Equal((HttpStatusCode)422, invalid.Response.StatusCode);
        var status = JsonNode.Parse(invalid.Response.Content)!;
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Contains(status["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == "spec.selector" && ((string?)c["message"])!.Contains("field is immutable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Denied_requests_are_403_with_the_rbac_wording()
    {
        var ns = await fx.NewNamespaceAsync();
        using var http = fx.RawClient();
        using (var deny = await http.PostAsync("/_test/deny", new StringContent($"{{\"verb\":\"create\",\"resource\":\"secrets\",\"namespace\":\"{ns}\"}}")))
        {
            deny.EnsureSuccessStatusCode();
        }

        try
        {
            var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["p"] = "w" } };
            var ex = await Wait.FailureAsync(() => fx.Client.CoreV1.CreateNamespacedSecretAsync(secret, ns));
            Assert.Equal(HttpStatusCode.Forbidden, ex.Response.StatusCode);
            Assert.Equal("Forbidden", (string?)JsonNode.Parse(ex.Response.Content)!["reason"]);
            Assert.Equal(
                $"secrets is forbidden: User \"{TestHooks.User}\" cannot create resource \"secrets\" in API group \"\" in the namespace \"{ns}\"",
                (string?)JsonNode.Parse(ex.Response.Content)!["message"]);
        }
        finally
        {
            using var clear = await http.DeleteAsync("/_test/deny");
        }
    }
}
