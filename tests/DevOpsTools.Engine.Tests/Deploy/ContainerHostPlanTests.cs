using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Deploy.Spec;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>Plan and validation of the container-host target over a recording runner (no Podman).</summary>
public sealed class ContainerHostPlanTests
{
    private sealed class RecordingRunner(string state, string? failing = null) : IHostScriptRunner
    {
        public List<(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Env)> Runs { get; } = [];

        public string Name => "recording";

        public Server? Server => null;

        public Task<HostScriptResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellationToken)
        {
            Runs.Add((arguments, environment));
            if (arguments[0] == failing)
            {
                return Task.FromResult(new HostScriptResult(6, "", $"{failing} failed on purpose"));
            }

            var output = arguments[0] switch { "read-state" => state, "digest" => "sha256:" + new string('d', 64), _ => "" };
            return Task.FromResult(new HostScriptResult(0, output, ""));
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

    private static ContainerHostTarget Target(RecordingRunner runner, Dictionary<string, string?> variables) =>
        new(runner, new ContainerHostOptions { BaseImage = "localhost/devopstools/debian12:x" }, new SecretResolver(n => variables.GetValueOrDefault(n)));

    [Theory]
    [InlineData(null, "SecretUnavailable", "HOST_PLAN_SECRET")]
    [InlineData("line one\nline two", "SecretNotSingleLine", "DB_PASSWORD")]
    public async Task A_secret_that_cannot_be_passed_stops_the_deploy_before_anything_runs(string? value, string errorId, string named)
    {
        var runner = new RecordingRunner("");
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() =>
            Target(runner, new() { ["HOST_PLAN_SECRET"] = value }).ApplyAsync(App("localhost/devopstools-hello:2"), new DeployOptions(), EngineContext.Silent()));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("line one", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Runs);
    }

    [Fact]
    public async Task A_Kubernetes_Secret_is_refused_by_a_container_host_with_the_others()
    {
        var runner = new RecordingRunner("");
        var app = App("localhost/devopstools-hello:2") with
        {
            Secrets = [new SecretReference { Name = "DB_PASSWORD", FromKubernetesSecret = "db/password" }, new SecretReference { Name = "TOKEN", FromEnvironment = "UNSET_TOKEN" }],
        };
        var error = await Assert.ThrowsAsync<DevOpsToolsAggregateException>(() => Target(runner, new()).ApplyAsync(app, new DeployOptions(), EngineContext.Silent()));
        Assert.Equal(ErrorIds.SecretUnavailable, error.ErrorId);
        Assert.Contains("Kubernetes Secret 'db/password'", error.Message, StringComparison.Ordinal);
        Assert.Contains("UNSET_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Empty(runner.Runs);
    }

    [Fact]
    public async Task Secret_values_travel_only_in_the_secrets_steps_environment_and_the_container_reads_an_env_file()
    {
        var runner = new RecordingRunner("");
        var deployment = await Target(runner, new() { ["HOST_PLAN_SECRET"] = "s3cret-value" })
            .ApplyAsync(App("localhost/devopstools-hello:2"), new DeployOptions(), EngineContext.Silent());
        Assert.Equal(DeploymentStatus.Healthy, deployment.Status);
        var carrying = runner.Runs.Where(r => r.Env.Values.Any(v => v.Contains("s3cret-value", StringComparison.Ordinal))).ToList();
        var step = Assert.Single(carrying);
        Assert.Equal(["secrets", "r1", "-"], step.Args);
        Assert.Equal("DB_PASSWORD=s3cret-value", step.Env["SECRETS_ENV"]);
        Assert.DoesNotContain(runner.Runs, r => r.Args.Any(a => a.Contains("s3cret-value", StringComparison.Ordinal)));
        var start = runner.Runs.Single(r => r.Args[0] == "start").Args;
        Assert.Equal("/var/lib/devopstools/deploy/host-plan/hello/secrets/r1.env", start[start.ToList().IndexOf("--env-file") + 1]);
        Assert.DoesNotContain("s3cret-value", runner.Runs.Single(r => r.Args[0] == "write-state").Env["STATE_JSON"], StringComparison.Ordinal);
    }

    private static string OneRevision()
    {
        var current = new HostState { App = "hello", Environment = "host-plan", Current = 1 };
        current.Revisions.Add(new HostRevision
        {
            Revision = 1, Spec = new RevisionSpec { Image = "localhost/devopstools-hello:1", PublicPort = 42100 },
            Ports = [42101], Containers = ["dot-host-plan-hello-r1-0"], Status = DeploymentStatus.Healthy,
        });
        return current.ToJson();
    }

    [Fact]
    public async Task A_refused_proxy_configuration_rolls_the_new_instances_back_and_never_switches()
    {
        var runner = new RecordingRunner(OneRevision(), failing: "proxy-check");
        var deployment = await Target(runner, new() { ["HOST_PLAN_SECRET"] = "s3cret-value" })
            .ApplyAsync(App("localhost/devopstools-hello:2"), new DeployOptions(), EngineContext.Silent());
        Assert.Equal(DeploymentStatus.RolledBack, deployment.Status);
        Assert.Contains("proxy-check failed on purpose", deployment.RollbackReason, StringComparison.Ordinal);
        Assert.DoesNotContain(runner.Runs, r => r.Args[0] == "proxy");
        Assert.Contains(runner.Runs, r => r.Args.SequenceEqual(["stop", "dot-host-plan-hello-r2-0"]));
        Assert.DoesNotContain(runner.Runs, r => r.Args.SequenceEqual(["stop", "dot-host-plan-hello-r1-0"]));
    }

    [Fact]
    public async Task On_a_systemd_host_each_start_carries_its_unit_without_secret_values()
    {
        var runner = new RecordingRunner(OneRevision());
        var target = new ContainerHostTarget(runner, new ContainerHostOptions { BaseImage = "localhost/devopstools/debian12:x", Supervisor = "systemd", BuildsProxyImage = false },
            new SecretResolver(name => name == "HOST_PLAN_SECRET" ? "s3cret-value" : null));
        var deployment = await target.ApplyAsync(App("localhost/devopstools-hello:2"), new DeployOptions { DrainTime = TimeSpan.Zero }, EngineContext.Silent());
        Assert.Equal(DeploymentStatus.Healthy, deployment.Status);
        var start = runner.Runs.Single(r => r.Args[0] == "start");
        var unit = start.Env["UNIT_TEXT"];
        Assert.Contains("--name dot-host-plan-hello-r2-0", unit, StringComparison.Ordinal);
        Assert.Contains("\t--env-file \\\n", unit, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", unit, StringComparison.Ordinal);
        Assert.DoesNotContain(runner.Runs, r => r.Args[0] == "proxy-image");
    }
}
