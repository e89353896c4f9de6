using System.Text.Json.Nodes;
using k8s;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>
/// The faithfulness proof: the real kubectl applies, lists, waits on, diffs, rolls back, reads logs
/// of and deletes objects on the endpoint, with the exit codes and output shapes a cluster gives.
/// </summary>
public sealed class KubectlTests(KubectlFixture k) : IClassFixture<KubectlFixture>
{
    private static string Manifest(string ns, string image, int? progressDeadline = null) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: {ns}
          labels: {"{"}app: web{"}"}
        spec:
          replicas: 3
          {(progressDeadline is null ? string.Empty : $"progressDeadlineSeconds: {progressDeadline}")}
          selector:
            matchLabels: {"{"}app: web{"}"}
          template:
            metadata:
              labels: {"{"}app: web{"}"}
            spec:
              containers:
              - name: app
                image: {image}
                ports:
                - containerPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: {ns}
        spec:
          selector: {"{"}app: web{"}"}
          ports:
          - port: 80
            targetPort: 8080
        """;

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(k.Endpoint.Directory, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    private static void Ok((int Code, string Stdout, string Stderr) r, string what) =>
        Assert.True(r.Code == 0, $"{what}: exit {r.Code}\n{r.Stdout}\n{r.Stderr}");

    [Fact]
    public async Task Apply_get_rollout_diff_undo_logs_and_delete_work_with_the_real_kubectl()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        var v1 = await WriteAsync("v1.yaml", Manifest(ns, "nginx:1.27"));
        var applied = await k.KubectlAsync("apply", "--server-side", "-f", v1);
        Ok(applied, "apply --server-side");
        Assert.Equal(["deployment.apps/web serverside-applied", "service/web serverside-applied"], applied.Stdout.Trim().Split('\n'));

        var status = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=30s");
        Ok(status, "rollout status");
        Assert.EndsWith("deployment \"web\" successfully rolled out", status.Stdout.Trim(), StringComparison.Ordinal);

        var get = await k.KubectlAsync("-n", ns, "get", "deploy", "-o", "json");
        Ok(get, "get deploy -o json");
        var list = JsonNode.Parse(get.Stdout)!;
        Assert.Equal("List", (string?)list["kind"]);
        var deploy = list["items"]!.AsArray().Single()!;
        Assert.Equal(("Deployment", "web", 3), ((string?)deploy["kind"], (string?)deploy["metadata"]!["name"], (int?)deploy["status"]!["readyReplicas"]));

        // No change, no diff (exit 0); a new image, a diff (exit 1) and nothing changed on the server.
        var same = await k.KubectlAsync("diff", "--server-side", "-f", v1);
        Assert.True(same.Code == 0, $"diff of unchanged manifests: exit {same.Code}\n{same.Stdout}\n{same.Stderr}");
        var v2 = await WriteAsync("v2.yaml", Manifest(ns, "nginx:1.28"));
        var diff = await k.KubectlAsync("diff", "--server-side", "-f", v2);
        Assert.True(diff.Code == 1, $"diff exit {diff.Code}\n{diff.Stderr}");
        Assert.Contains("-      - image: nginx:1.27", diff.Stdout, StringComparison.Ordinal);
        Assert.Contains("+      - image: nginx:1.28", diff.Stdout, StringComparison.Ordinal);
        Assert.Equal("nginx:1.27", (await k.Endpoint.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Template.Spec.Containers[0].Image);

        Ok(await k.KubectlAsync("apply", "--server-side", "-f", v2), "apply v2");
        Ok(await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=30s"), "rollout status v2");

        var undo = await k.KubectlAsync("-n", ns, "rollout", "undo", "deployment/web");
        Ok(undo, "rollout undo");
        Assert.Equal("deployment.apps/web rolled back", undo.Stdout.Trim());
        Ok(await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=30s"), "rollout status after undo");
        var image = await k.KubectlAsync("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}");
        Assert.Equal("nginx:1.27 3", image.Stdout);

        var logs = await k.KubectlAsync("-n", ns, "logs", "deployment/web", "--tail=50");
        Ok(logs, "logs");
        Assert.Contains("app: starting: image nginx:1.27", logs.Stdout, StringComparison.Ordinal);

        var delete = await k.KubectlAsync("delete", "-f", v1);
        Ok(delete, "delete");
        Assert.Contains("deployment.apps \"web\" deleted", delete.Stdout, StringComparison.Ordinal);
        var after = await k.KubectlAsync("-n", ns, "get", "deploy,rs,pods,svc", "-o", "json");
        Ok(after, "get after delete");
        Assert.Empty(JsonNode.Parse(after.Stdout)!["items"]!.AsArray());
    }

    [Fact]
    public async Task Rollout_status_fails_with_the_progress_deadline_on_a_broken_image()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        var path = await WriteAsync("broken.yaml", Manifest(ns, "nginx:broken", progressDeadline: 3));
        Ok(await k.KubectlAsync("apply", "--server-side", "-f", path), "apply");
        var status = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=30s");
        Assert.NotEqual(0, status.Code);
        Assert.Contains("error: deployment \"web\" exceeded its progress deadline", status.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_field_manager_conflicts_through_kubectl()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        var path = await WriteAsync("cm.yaml", $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {ns}\ndata:\n  mode: a\n");
        Ok(await k.KubectlAsync("apply", "--server-side", "--field-manager=first", "-f", path), "first apply");
        await File.WriteAllTextAsync(path, $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {ns}\ndata:\n  mode: b\n");
        var conflict = await k.KubectlAsync("apply", "--server-side", "--field-manager=second", "-f", path);
        Assert.NotEqual(0, conflict.Code);
        Assert.Contains("conflict with \"first\"", conflict.Stderr, StringComparison.Ordinal);
        Assert.Contains(".data.mode", conflict.Stderr, StringComparison.Ordinal);
        Ok(await k.KubectlAsync("apply", "--server-side", "--field-manager=second", "--force-conflicts", "-f", path), "forced apply");
        Assert.Equal("b", (await k.Endpoint.Client.CoreV1.ReadNamespacedConfigMapAsync("cfg", ns)).Data["mode"]);
    }
}
