using System.Net.Http;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Tests.Hardening;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>Two replicas behind the proxy on this machine's Podman, and -NoRollback leaving a failed revision in place to inspect.</summary>
public sealed class ContainerHostReplicasTests : IClassFixture<ContainerHostFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ContainerHostFixture _fixture;

    public ContainerHostReplicasTests(ContainerHostFixture fixture)
    {
        _fixture = fixture;
    }

    [SkippableFact]
    public async Task Two_replicas_serve_behind_the_proxy_and_NoRollback_keeps_the_failed_revision_beside_the_serving_one()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var target = ContainerHostFixture.NewTarget(scratch.Path);
        // Two replicas take public+1..+2 and public+3..+4 in turn: a block of five free ports.
        var port = ContainerHostFixture.FreePortBlock(5);
        var context = EngineContext.Silent();
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), DrainTime = TimeSpan.FromSeconds(1) };
        var app = ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, $"{env}-hello-data") with { Replicas = 2 };
        try
        {
            var first = await target.ApplyAsync(app, options, context);
            Assert.Equal(DeploymentStatus.Healthy, first.Status);
            Assert.Equal(2, first.ReplicasReady);
            // Both instances answer on their own ports, and the proxy spreads requests over them.
            foreach (var instancePort in new[] { port + 1, port + 2 })
            {
                Assert.Contains("\"version\": \"1\"", await Http.GetStringAsync($"http://127.0.0.1:{instancePort}/version"), StringComparison.Ordinal);
            }

            var v2 = await target.ApplyAsync(app with { Image = "localhost/devopstools-hello:2" }, options, context);
            Assert.Equal(2, v2.ReplicasReady);
            Assert.Contains("\"version\": \"2\"", await Http.GetStringAsync($"http://127.0.0.1:{port}/version"), StringComparison.Ordinal);

            var failed = await target.ApplyAsync(app with { Image = "localhost/devopstools-hello:broken" }, options with { NoRollback = true, Timeout = TimeSpan.FromSeconds(15) }, context);
            Assert.Equal(DeploymentStatus.Failed, failed.Status);
            Assert.False(failed.RolledBack);
            Assert.Contains("/healthz", failed.RollbackReason, StringComparison.Ordinal);
            // The proxy never switched: revision 2 serves; revision 3's first instance is left running to inspect.
            Assert.Contains("\"version\": \"2\"", await Http.GetStringAsync($"http://127.0.0.1:{port}/version"), StringComparison.Ordinal);
            var left = await Podman.RunAsync(["ps", "--filter", $"label=devopstools.revision=3", "--filter", $"label=devopstools.environment={env}", "--format", "{{.Names}}"]);
            Assert.Equal($"dot-{env}-hello-r3-0", left.StdOut.Trim());
            var now = await target.GetAsync("hello", env, context);
            Assert.Equal(2, now!.Revision);
            Assert.Equal(DeploymentStatus.Failed, now.History[0].Status);
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }

        var rest = await Podman.RunAsync(["ps", "-a", "--filter", $"label=devopstools.environment={env}", "--format", "{{.Names}}"]);
        Assert.Equal("", rest.StdOut.Trim());
    }
}
