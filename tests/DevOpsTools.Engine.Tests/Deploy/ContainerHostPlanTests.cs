using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>Plan and validation of the container-host target over a recording runner (no Podman).</summary>
public sealed class ContainerHostPlanTests
{
    private sealed class RecordingRunner(string state) : IHostScriptRunner
    {
        public List<(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Env)> Runs { get; } = [];

        public string Name => "recording";

        public Server? Server => null;

        public Task<HostScriptResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellationToken)
        {
            Runs.Add((arguments, environment));
            return Task.FromResult(new HostScriptResult(0, arguments[0] == "read-state" ? state : "", ""));
        }
    }

    private static ResolvedApp App(string image) => new()
    {
        Name = "hello", Environment = "host-plan", Image = image,
        Ports = [new AppPort("http", 8080, 42100)],
        Variables = new Dictionary<string, string> { ["MODE"] = "plain" },
        Secrets = [new SecretReference { Name = "DB_PASSWORD", FromEnvironment = "HOST_PLAN_SECRET" }],
    };

    [Fact]
    public async Task Plan_diffs_the_current_revision_against_the_new_one_without_secret_values_and_changes_nothing()
    {
        Environment.SetEnvironmentVariable("HOST_PLAN_SECRET", "s3cret-value");
        var current = new HostState { App = "hello", Environment = "host-plan", Current = 1 };
        current.Revisions.Add(new HostRevision
        {
            Revision = 1, Spec = new RevisionSpec { Image = "localhost/devopstools-hello:1", PublicPort = 42100 },
            Ports = [42101], Containers = ["dot-host-plan-hello-r1-0"], Status = DeploymentStatus.Healthy,
        });
        var runner = new RecordingRunner(current.ToJson());
        var plan = await new ContainerHostTarget(runner, new ContainerHostOptions { BaseImage = "localhost/devopstools/debian12:x" })
            .PlanAsync(App("localhost/devopstools-hello:2"), EngineContext.Silent());

        Assert.True(plan.HasChanges);
        Assert.Contains("- container dot-host-plan-hello-r1-0: image localhost/devopstools-hello:1, host network, port 42101", plan.Diff, StringComparison.Ordinal);
        Assert.Contains("+ container dot-host-plan-hello-r2-0: image localhost/devopstools-hello:2, host network, port 42102", plan.Diff, StringComparison.Ordinal);
        Assert.Contains("+ proxy :42100 -> 127.0.0.1:42102", plan.Diff, StringComparison.Ordinal);
        Assert.Contains("+ env MODE=plain", plan.Diff, StringComparison.Ordinal);
        Assert.Contains("secret DB_PASSWORD: (value not shown)", plan.Diff, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", plan.Diff, StringComparison.Ordinal);
        Assert.Equal(["read-state"], runner.Runs.Select(r => r.Args[0]));
        Assert.Equal("/var/lib/devopstools/deploy/host-plan/hello", runner.Runs[0].Env["DEPLOY_DIR"]);
    }

    [Fact]
    public async Task An_invalid_image_is_refused_before_anything_runs()
    {
        var runner = new RecordingRunner("");
        var target = new ContainerHostTarget(runner, new ContainerHostOptions { BaseImage = "localhost/devopstools/debian12:x" });
        var app = App("Bad Image;rm -rf /") with { Secrets = [] };
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => target.ApplyAsync(app, new DeployOptions(), EngineContext.Silent()));
        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Empty(runner.Runs);
    }
}
