using System.Net.Http;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Tests.Hardening;
using Xunit.Abstractions;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>Rollouts of the hello sample app on this machine's Podman, through the real HAProxy, under hey.</summary>
public sealed class ContainerHostTargetTests : IClassFixture<ContainerHostFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ContainerHostFixture _fixture;
    private readonly ITestOutputHelper _output;

    public ContainerHostTargetTests(ContainerHostFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [SkippableFact]
    public async Task V1_then_v2_under_load_drops_nothing_broken_rolls_back_undo_restores_and_data_and_logs_survive()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        var volume = $"{env}-hello-data";
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var stateRoot = scratch.Path;
        var target = ContainerHostFixture.NewTarget(stateRoot);
        var port = ContainerHostFixture.FreePortBlock();
        var context = EngineContext.Silent();
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), DrainTime = TimeSpan.FromSeconds(2) };
        var url = $"http://127.0.0.1:{port}/";
        try
        {
            var plan = await target.PlanAsync(ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, volume), context);
            Assert.True(plan.HasChanges);
            Assert.Contains("+ container dot-" + env + "-hello-r1-0", plan.Diff, StringComparison.Ordinal);

            var v1 = await target.ApplyAsync(ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, volume), options, context);
            Assert.Equal(DeploymentStatus.Healthy, v1.Status);
            Assert.StartsWith("sha256:", v1.ImageDigest, StringComparison.Ordinal);
            Assert.Contains("\"version\": \"1\"", await Http.GetStringAsync(url + "version"), StringComparison.Ordinal);

            // v2 while hey hits the proxy: the switch drops nothing.
            var hey = Podman.ExecAsync("hey", ["-z", "10s", "-c", "8", url], null, TimeSpan.FromSeconds(60), default);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var v2 = await target.ApplyAsync(ContainerHostFixture.App(env, "localhost/devopstools-hello:2", port, volume), options, context);
            var load = await hey;
            _output.WriteLine(load.StdOut);
            Assert.Equal(DeploymentStatus.Healthy, v2.Status);
            Assert.Equal(2, v2.Revision);
            var ok = int.Parse(Regex.Match(load.StdOut, @"\[200\]\s+(\d+) responses").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(ok > 100, $"hey got only {ok} OK responses");
            Assert.DoesNotContain("Error distribution", load.StdOut, StringComparison.Ordinal);
            Assert.Single(Regex.Matches(load.StdOut, @"\[\d{3}\]\s+\d+ responses"));
            Assert.Contains("\"version\": \"2\"", await Http.GetStringAsync(url + "version"), StringComparison.Ordinal);

            // Data written by v1 is in the volume for v2.
            var data = await Http.GetStringAsync(url + "data");
            Assert.Contains("written-by-1", data, StringComparison.Ordinal);
            Assert.Contains("written-by-2", data, StringComparison.Ordinal);

            // The broken image fails its health check: rolled back, v2 still serves, the reason is the check's answer.
            var broken = await target.ApplyAsync(ContainerHostFixture.App(env, "localhost/devopstools-hello:broken", port, volume), options, context);
            Assert.Equal(DeploymentStatus.RolledBack, broken.Status);
            Assert.True(broken.RolledBack);
            Assert.Equal(2, broken.Revision);
            Assert.Contains("/healthz", broken.RollbackReason, StringComparison.Ordinal);
            Assert.Contains("503", broken.RollbackReason, StringComparison.Ordinal);
            Assert.Contains("HELLO_UNHEALTHY", broken.RollbackReason, StringComparison.Ordinal);
            Assert.Contains("\"version\": \"2\"", await Http.GetStringAsync(url + "version"), StringComparison.Ordinal);

            // Undo goes back to revision 1's image as a new revision 4.
            var undone = await target.UndoAsync("hello", env, null, options, context);
            Assert.Equal(DeploymentStatus.Healthy, undone.Status);
            Assert.Equal(4, undone.Revision);
            Assert.Equal(v1.ImageDigest, undone.ImageDigest);
            Assert.Contains("\"version\": \"1\"", await Http.GetStringAsync(url + "version"), StringComparison.Ordinal);

            var got = await target.GetAsync("hello", env, context);
            Assert.NotNull(got);
            Assert.Equal(1, got.ReplicasReady);
            Assert.Equal([4, 3, 2, 1], got.History.Select(h => h.Revision));
            Assert.Equal(DeploymentStatus.RolledBack, got.History[1].Status);

            var lines = new List<AppLogLine>();
            await foreach (var line in target.GetLogsAsync("hello", env, new AppLogQuery(Tail: 10), context))
            {
                lines.Add(line);
                _output.WriteLine($"log {line.Instance} {line.Time:O} {line.Line}");
            }

            Assert.Contains(lines, l => l.Line.EndsWith($"hello 1: listening on :{port + 1}", StringComparison.Ordinal) && l.Time is not null);
            Assert.All(lines, l => Assert.Equal($"dot-{env}-hello-r4-0", l.Instance));
            Assert.Contains(lines, l => l.Line.Contains("holds written-by-1, written-by-2, written-by-broken", StringComparison.Ordinal));
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }

        var left = await Podman.RunAsync(["ps", "-a", "--filter", $"label=devopstools.environment={env}", "--format", "{{.Names}}"]);
        Assert.Equal("", left.StdOut.Trim());
        Assert.False(Directory.Exists(Path.Combine(stateRoot, env, "hello")));
    }

    [SkippableFact]
    public async Task A_killed_instance_is_restarted_and_serves_again_through_the_proxy()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var target = ContainerHostFixture.NewTarget(scratch.Path);
        var port = ContainerHostFixture.FreePortBlock();
        var context = EngineContext.Silent();
        var name = $"dot-{env}-hello-r1-0";
        try
        {
            var v1 = await target.ApplyAsync(ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, $"{env}-hello-data"), new DeployOptions { Timeout = TimeSpan.FromSeconds(30) }, context);
            Assert.Equal(DeploymentStatus.Healthy, v1.Status);
            var pid = (await Podman.RunAsync(["inspect", "--format", "{{.State.Pid}}", "--", name])).StdOut.Trim();
            Assert.Equal(0, (await Podman.ExecAsync("kill", ["-KILL", pid], null, TimeSpan.FromSeconds(10), default)).ExitCode);

            string? answer = null;
            for (var i = 0; i < 40 && answer is null; i++)
            {
                await Task.Delay(250);
                try
                {
                    answer = await Http.GetStringAsync($"http://127.0.0.1:{port}/healthz");
                }
                catch (HttpRequestException)
                {
                }
            }

            Assert.Equal("ok\n", answer);
            var restarts = (await Podman.RunAsync(["inspect", "--format", "{{.RestartCount}} {{.State.Pid}}", "--", name])).StdOut.Trim().Split(' ');
            Assert.True(int.Parse(restarts[0], System.Globalization.CultureInfo.InvariantCulture) >= 1, $"restart count {restarts[0]}");
            Assert.NotEqual(pid, restarts[1]);
            Assert.Equal(1, (await target.GetAsync("hello", env, context))!.ReplicasReady);
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }
    }

    [SkippableFact]
    public async Task An_unknown_image_is_refused_with_its_name_and_nothing_is_created()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var stateRoot = scratch.Path;
        var target = ContainerHostFixture.NewTarget(stateRoot);
        var context = EngineContext.Silent();
        try
        {
            var app = ContainerHostFixture.App(env, "localhost/devopstools-hello:no-such-tag", ContainerHostFixture.FreePortBlock(), $"{env}-hello-data");
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.ApplyAsync(app, new DeployOptions(), context));
            Assert.Equal(ErrorIds.DeployImageNotFound, error.ErrorId);
            Assert.Contains("localhost/devopstools-hello:no-such-tag is not on this host", error.Message, StringComparison.Ordinal);
            Assert.Contains("nothing was changed", error.Message, StringComparison.Ordinal);
            Assert.Null(await target.GetAsync("hello", env, context));
            var left = await Podman.RunAsync(["ps", "-a", "--filter", $"label=devopstools.environment={env}", "--format", "{{.Names}}"]);
            Assert.Equal("", left.StdOut.Trim());
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }
    }
}
