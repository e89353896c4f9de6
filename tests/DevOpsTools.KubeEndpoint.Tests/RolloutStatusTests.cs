using System.Text.RegularExpressions;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>
/// `kubectl rollout status` against the endpoint: the exit codes and output a real cluster gives it
/// (kubectl's deployment status viewer reads observedGeneration, the replica counts and the
/// Progressing condition, so each of its lines says the endpoint reported those as a cluster does).
/// </summary>
public sealed partial class RolloutStatusTests(KubectlFixture k) : IClassFixture<KubectlFixture>
{
    // Every line kubectl prints while it waits on a Deployment, and nothing else.
    [GeneratedRegex("^(Waiting for deployment spec update to be observed\\.\\.\\."
        + "|Waiting for deployment \"web\" rollout to finish: \\d+ out of \\d+ new replicas have been updated\\.\\.\\."
        + "|Waiting for deployment \"web\" rollout to finish: \\d+ old replicas are pending termination\\.\\.\\."
        + "|Waiting for deployment \"web\" rollout to finish: \\d+ of \\d+ updated replicas are available\\.\\.\\.)$")]
    private static partial Regex WaitingLine();

    private async Task<string> ApplyAsync(string ns, string image, int? progressDeadline = null, int replicas = 3)
    {
        var path = Path.Combine(k.Endpoint.Directory, $"rollout-{ns}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: {{ns}}
            spec:
              replicas: {{replicas}}
              {{(progressDeadline is null ? string.Empty : $"progressDeadlineSeconds: {progressDeadline}")}}
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: app
                    image: {{image}}
            """);
        var applied = await k.KubectlAsync("apply", "--server-side", "-f", path);
        Assert.True(applied.Code == 0, applied.Stderr);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_rollout_that_completes_exits_0_and_ends_with_successfully_rolled_out()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        await ApplyAsync(ns, "nginx:1.27");
        var first = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s");
        Assert.Equal(0, first.Code);
        Assert.Equal(string.Empty, first.Stderr);
        var lines = Lines(first.Stdout);
        Assert.Equal("deployment \"web\" successfully rolled out", lines[^1]);
        Assert.All(lines[..^1], l => Assert.Matches(WaitingLine(), l));

        // An update: kubectl waits through the rolling update the same way, and a finished one is
        // reported at once, without waiting lines.
        await ApplyAsync(ns, "nginx:1.28");
        var update = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s");
        Assert.Equal(0, update.Code);
        Assert.All(Lines(update.Stdout)[..^1], l => Assert.Matches(WaitingLine(), l));
        var again = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web");
        Assert.Equal((0, "deployment \"web\" successfully rolled out\n"), (again.Code, again.Stdout));
    }

    [Fact]
    public async Task A_broken_image_past_its_progress_deadline_exits_1_with_exceeded_its_progress_deadline()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        await ApplyAsync(ns, "nginx:broken", progressDeadline: 2);
        var status = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=60s");
        Assert.Equal(1, status.Code);
        Assert.Equal("error: deployment \"web\" exceeded its progress deadline", status.Stderr.Trim());
        Assert.All(Lines(status.Stdout), l => Assert.Matches(WaitingLine(), l));
        Assert.Contains("0 of 3 updated replicas are available", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_before_the_rollout_ends_exits_1_with_timed_out_waiting()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        // The controller's deadline (600 s) is far; kubectl's own --timeout ends the wait.
        await ApplyAsync(ns, "nginx:broken");
        var status = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--timeout=2s");
        Assert.Equal(1, status.Code);
        Assert.Equal("error: timed out waiting for the condition", status.Stderr.Trim());
        Assert.NotEmpty(Lines(status.Stdout));
        Assert.All(Lines(status.Stdout), l => Assert.Matches(WaitingLine(), l));
    }

    [Fact]
    public async Task Watch_false_reports_once_and_exits_0_and_a_missing_deployment_is_NotFound()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        await ApplyAsync(ns, "nginx:broken");
        var once = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/web", "--watch=false");
        Assert.Equal(0, once.Code);
        Assert.Matches(WaitingLine(), Assert.Single(Lines(once.Stdout)));

        var missing = await k.KubectlAsync("-n", ns, "rollout", "status", "deployment/nope");
        Assert.Equal(1, missing.Code);
        Assert.Equal("Error from server (NotFound): deployments.apps \"nope\" not found", missing.Stderr.Trim());
    }
}
