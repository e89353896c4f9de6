using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>Server-side apply (managedFields, conflicts, force) and watches (events, bookmarks, 410).</summary>
public sealed class ApplyAndWatchTests(EndpointFixture fx) : IClassFixture<EndpointFixture>
{
    private static V1Patch Apply(string name, int replicas, string image)
    {
        var labels = new JsonObject { ["app"] = name };
        var body = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = image }) },
                },
            },
        };
        return new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch);
    }

    [Fact]
    public async Task Apply_records_managed_fields_and_refuses_to_take_another_managers_field_unless_forced()
    {
        var ns = await fx.NewNamespaceAsync();
        var first = await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(Apply("ssa", 2, "nginx:1.27"), "ssa", ns, fieldManager: "alice");
        var entry = Assert.Single(first.Metadata.ManagedFields);
        Assert.Equal(("alice", "Apply", "FieldsV1"), (entry.Manager, entry.Operation, entry.FieldsType));
        var fields = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(entry.FieldsV1))!;
        Assert.NotNull(fields["f:spec"]!["f:replicas"]);
        Assert.NotNull(fields["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"app\"}"]!["f:image"]);

        // Same values from another manager: shared ownership, no conflict.
        await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(Apply("ssa", 2, "nginx:1.27"), "ssa", ns, fieldManager: "bob");

        var conflict = await Wait.FailureAsync(() => fx.Client.AppsV1.PatchNamespacedDeploymentAsync(Apply("ssa", 5, "nginx:1.27"), "ssa", ns, fieldManager: "carol"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var status = JsonNode.Parse(conflict.Response.Content)!;
        Assert.Equal("Conflict", (string?)status["reason"]);
        var causes = status["details"]!["causes"]!.AsArray();
        Assert.Contains(causes, c => (string?)c!["field"] == ".spec.replicas" && ((string?)c["message"])!.Contains("\"alice\"", StringComparison.Ordinal));
        Assert.Contains(causes, c => (string?)c!["field"] == ".spec.replicas" && ((string?)c["message"])!.Contains("\"bob\"", StringComparison.Ordinal));
        Assert.Equal(2, (await fx.Client.AppsV1.ReadNamespacedDeploymentAsync("ssa", ns)).Spec.Replicas);

        var forced = await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(Apply("ssa", 5, "nginx:1.27"), "ssa", ns, fieldManager: "carol", force: true);
        Assert.Equal(5, forced.Spec.Replicas);
        var alice = forced.Metadata.ManagedFields.Single(m => m.Manager == "alice");
        Assert.Null(JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(alice.FieldsV1))!["f:spec"]!["f:replicas"]);

        var noManager = await Wait.FailureAsync(() => fx.Client.AppsV1.PatchNamespacedDeploymentAsync(Apply("ssa", 1, "nginx:1.27"), "ssa", ns));
        Assert.Equal(HttpStatusCode.BadRequest, noManager.Response.StatusCode);
    }

    [Fact]
    public async Task A_field_no_longer_applied_is_removed()
    {
        var ns = await fx.NewNamespaceAsync();
        var body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"1","b":"2"}},"data":{"x":"1","y":"2"}}""";
        await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(body, V1Patch.PatchType.ApplyPatch), "cm", ns, fieldManager: "me");
        var smaller = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"1"}},"data":{"x":"1"}}""";
        var result = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(smaller, V1Patch.PatchType.ApplyPatch), "cm", ns, fieldManager: "me");
        Assert.Equal(new Dictionary<string, string> { ["x"] = "1" }, result.Data);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, result.Metadata.Labels);
    }

    [Fact]
    public async Task Watch_streams_added_modified_deleted_and_bookmarks_from_a_resource_version()
    {
        var ns = await fx.NewNamespaceAsync();
        var list = await fx.Client.CoreV1.ListNamespacedConfigMapAsync(ns);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType Type, string Name, string? Data)>();
        var watch = Task.Run(async () =>
        {
            var stream = fx.Client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, allowWatchBookmarks: true, cancellationToken: cts.Token);
            await foreach (var (type, cm) in stream)
            {
                lock (seen)
                {
                    seen.Add((type, cm.Metadata.Name ?? string.Empty, cm.Data is { } data && data.TryGetValue("key", out var v) ? v : null));
                    if (type == WatchEventType.Deleted)
                    {
                        return;
                    }
                }
            }
        });

        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("w", value: "1"), ns);
        await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"key\":\"2\"}}", V1Patch.PatchType.MergePatch), "w", ns);
        await Task.Delay(700); // long enough for a bookmark between the change and the deletion
        await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync("w", ns);
        await watch.WaitAsync(cts.Token);

        var changes = seen.Where(e => e.Type != WatchEventType.Bookmark).ToList();
        Assert.Equal([(WatchEventType.Added, "w", "1"), (WatchEventType.Modified, "w", "2"), (WatchEventType.Deleted, "w", "2")], changes);
        Assert.Contains(seen, e => e.Type == WatchEventType.Bookmark);
    }

    [Fact]
    public async Task Resuming_from_a_compacted_resource_version_is_410_Expired()
    {
        var ns = await fx.NewNamespaceAsync();
        var old = (await fx.Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("c1"), ns);
        using var http = fx.RawClient();
        (await http.PostAsync("/_test/compact", null)).EnsureSuccessStatusCode();

        using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={old}", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var ev = JsonNode.Parse(line!)!;
        Assert.Equal("ERROR", (string?)ev["type"]);
        Assert.Equal(410, (int?)ev["object"]!["code"]);
        Assert.Equal("Expired", (string?)ev["object"]!["reason"]);
        Assert.StartsWith($"too old resource version: {old}", (string?)ev["object"]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_what_it_holds()
    {
        var ns = await fx.NewNamespaceAsync();
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(Objects.ConfigMap("inside"), ns);
        var deleting = await fx.Client.CoreV1.DeleteNamespaceAsync(ns);
        Assert.NotNull(deleting);
        await Wait.ForAsync(
            async () => (await fx.Client.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={ns}")).Items.Count,
            n => n == 0, "the namespace to go away");
        Assert.Empty((await fx.Client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: $"metadata.namespace={ns}")).Items);
    }
}
