using System.Text.RegularExpressions;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>
/// `kubectl get` as a person types it: the endpoint answers kubectl's Table request with the
/// columns an API server prints for each kind, so the output has a cluster's shape (READY,
/// UP-TO-DATE, AVAILABLE; a crash-looping pod's status and restarts; -o wide; -A and labels).
/// </summary>
public sealed partial class KubectlTableTests(KubectlFixture k) : IClassFixture<KubectlFixture>
{
    [GeneratedRegex(" {2,}")]
    private static partial Regex Gap();

    private static string[][] Rows(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Gap().Split(l.Trim())).ToArray();

    private async Task<string> ApplyAsync(string ns)
    {
        var path = Path.Combine(k.Endpoint.Directory, $"tables-{ns}.yaml");
        await File.WriteAllTextAsync(path, $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: {{{ns}}}}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: app, image: "nginx:1.27"}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad, namespace: {{{ns}}}}
            spec:
              replicas: 1
              selector: {matchLabels: {app: bad}}
              template:
                metadata: {labels: {app: bad}}
                spec:
                  containers: [{name: app, image: "localhost/app:broken"}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: {{{ns}}}}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: {{{ns}}}}
            data: {a: "1", b: "2"}
            """);
        var applied = await k.KubectlAsync("apply", "--server-side", "-f", path);
        Assert.True(applied.Code == 0, applied.Stderr);
        var rolled = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s");
        Assert.True(rolled.Code == 0, rolled.Stderr);
        return path;
    }

    [Fact]
    public async Task Get_prints_each_kind_with_the_columns_of_a_cluster()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        await ApplyAsync(ns);

        var deployments = Rows((await k.KubectlAsync("-n", ns, "get", "deployments")).Stdout);
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], deployments[0]);
        Assert.Equal(["web", "2/2", "2", "2"], deployments.Single(r => r[0] == "web")[..4]);

        var replicaSets = Rows((await k.KubectlAsync("-n", ns, "get", "rs", "-l", "app=web")).Stdout);
        Assert.Equal(["NAME", "DESIRED", "CURRENT", "READY", "AGE"], replicaSets[0]);
        Assert.Equal(["2", "2", "2"], Assert.Single(replicaSets[1..])[1..4]);

        var services = Rows((await k.KubectlAsync("-n", ns, "get", "svc")).Stdout);
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], services[0]);
        var web = Assert.Single(services[1..]);
        Assert.Equal(["web", "ClusterIP"], web[..2]);
        Assert.Matches("^127\\.96\\.\\d+\\.\\d+$", web[2]);
        Assert.Equal(["<none>", "80/TCP"], web[3..5]);

        var configMaps = Rows((await k.KubectlAsync("-n", ns, "get", "configmap", "settings")).Stdout);
        Assert.Equal(["NAME", "DATA", "AGE"], configMaps[0]);
        Assert.Equal(["settings", "2"], configMaps[1][..2]);
        Assert.Matches("^\\d+s$", configMaps[1][2]);
    }

    [Fact]
    public async Task Pods_show_readiness_a_crash_loop_and_restarts_and_wide_and_all_namespace_columns()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        await ApplyAsync(ns);
        // The broken image crash-loops: wait until kubectl shows it restarted.
        string[] bad = [];
        for (var i = 0; i < 40 && (bad.Length < 4 || bad[3] == "0"); i++)
        {
            await Task.Delay(250);
            bad = Rows((await k.KubectlAsync("-n", ns, "get", "pods", "-l", "app=bad")).Stdout).Skip(1).SingleOrDefault() ?? [];
        }

        Assert.Equal("0/1", bad[1]);
        Assert.True(bad[2] is "CrashLoopBackOff" or "Error", bad[2]);
        Assert.Matches("^\\d+ \\(\\d+s ago\\)$", bad[3]);

        var pods = Rows((await k.KubectlAsync("-n", ns, "get", "pods", "-l", "app=web", "-o", "wide")).Stdout);
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"], pods[0]);
        Assert.All(pods[1..], p =>
        {
            Assert.Matches("^web-[a-z0-9]+-[a-z0-9]{5}$", p[0]);
            Assert.Equal(["1/1", "Running", "0"], p[1..4]);
            Assert.Matches("^127\\.244\\.\\d+\\.\\d+$", p[5]);
        });

        var wide = Rows((await k.KubectlAsync("-n", ns, "get", "deploy", "web", "-o", "wide")).Stdout);
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"], wide[0]);
        Assert.Equal(["app", "nginx:1.27", "app=web"], wide[1][5..]);

        var everywhere = Rows((await k.KubectlAsync("get", "pods", "-A", "-l", "app=web", "--show-labels")).Stdout);
        Assert.Equal(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"], everywhere[0]);
        Assert.Contains(everywhere[1..], r => r[0] == ns && r[6].StartsWith("app=web,pod-template-hash=", StringComparison.Ordinal));
    }

    [Fact]
    public void Ages_read_as_kubectl_prints_them()
    {
        Assert.Equal("45s", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromSeconds(45)));
        Assert.Equal("119s", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromSeconds(119)));
        Assert.Equal("5m3s", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromSeconds(303)));
        Assert.Equal("5m", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromMinutes(5)));
        Assert.Equal("25m", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromMinutes(25)));
        Assert.Equal("3h12m", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromMinutes(192)));
        Assert.Equal("30h", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromHours(30)));
        Assert.Equal("4d6h", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromHours(102)));
        Assert.Equal("120d", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromDays(120)));
        Assert.Equal("2y10d", DevOpsTools.KubeEndpoint.Api.Tables.Human(TimeSpan.FromDays(740)));
    }
}
