using System.Net.Http;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Tests.Hardening;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>
/// The migration command on this machine's Podman, through the rollout: the hello app's
/// `--migrate` writes its schema version into the data volume once, before the new revision
/// starts; `--migrate --fail` stops the deploy with the migration's own words and the running
/// revision keeps serving.
/// </summary>
public sealed class ContainerHostMigrationTests : IClassFixture<ContainerHostFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ContainerHostFixture _fixture;

    public ContainerHostMigrationTests(ContainerHostFixture fixture)
    {
        _fixture = fixture;
    }

    [SkippableFact]
    public async Task The_migration_runs_once_before_the_switch_and_a_failed_one_changes_nothing()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var stateRoot = scratch.Path;
        var target = ContainerHostFixture.NewTarget(stateRoot);
        var port = ContainerHostFixture.FreePortBlock();
        var context = new EngineContext(new RecordingSink());
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), DrainTime = TimeSpan.FromSeconds(1) };
        var url = $"http://127.0.0.1:{port}/";
        string[] migrate = ["python3", "/usr/local/lib/hello/server.py", "--migrate"];
        var v1 = ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, $"{env}-hello-data") with { MigrationCommand = migrate };
        try
        {
            var first = Assert.Single(await Rollout.RunAsync(v1, [target], options, context));
            Assert.Equal(DeploymentStatus.Healthy, first.Status);
            var data = await Http.GetStringAsync(url + "data");
            Assert.Contains("\"schema-version\": \"1\\n\"", data, StringComparison.Ordinal);
            var migrations = await Podman.RunAsync(["ps", "-a", "--filter", $"label=devopstools.environment={env}", "--filter", "label=devopstools.role=migration", "--format", "{{.Names}}"]);
            Assert.Equal("", migrations.StdOut.Trim());

            var broken = v1 with { Image = "localhost/devopstools-hello:2", MigrationCommand = [.. migrate, "--fail"] };
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(broken, [target], options, context));
            Assert.Equal(ErrorIds.DeployMigrationFailed, error.ErrorId);
            Assert.Contains("exited 3", error.Message, StringComparison.Ordinal);
            Assert.Contains("column 'greeting' already exists", error.Message, StringComparison.Ordinal);
            Assert.Contains("no instance was started or switched", error.Message, StringComparison.Ordinal);

            // Nothing moved: revision 1 serves, no revision 2 was recorded or started.
            Assert.Contains("\"version\": \"1\"", await Http.GetStringAsync(url + "version"), StringComparison.Ordinal);
            var now = await target.GetAsync("hello", env, context);
            Assert.Equal(1, now!.Revision);
            Assert.Single(now.History);
            var instances = await Podman.RunAsync(["ps", "-a", "--filter", $"label=devopstools.environment={env}", "--filter", "label=devopstools.role=app", "--format", "{{.Names}}"]);
            Assert.Equal($"dot-{env}-hello-r1-0", instances.StdOut.Trim());
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }
    }

    [SkippableFact]
    public async Task A_migration_that_succeeded_is_recorded_and_not_run_again_for_the_same_image_and_command()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var stateRoot = scratch.Path;
        var target = ContainerHostFixture.NewTarget(stateRoot);
        var port = ContainerHostFixture.FreePortBlock();
        var sink = new RecordingSink();
        var context = new EngineContext(sink);
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), DrainTime = TimeSpan.FromSeconds(1) };
        string[] migrate = ["python3", "/usr/local/lib/hello/server.py", "--migrate"];
        var v1 = ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, $"{env}-hello-data") with { MigrationCommand = migrate };
        try
        {
            var first = Assert.Single(await Rollout.RunAsync(v1, [target], options, context));
            var recorded = Assert.Single(first.Migrations);
            Assert.Equal(first.ImageDigest, recorded.ImageDigest);
            Assert.Equal(migrate, recorded.Command);

            // The same image and command again: a new revision, no second migration.
            var again = Assert.Single(await Rollout.RunAsync(v1, [target], options, context));
            Assert.Equal(DeploymentStatus.Healthy, again.Status);
            Assert.Equal(2, again.Revision);
            Assert.Single(again.Migrations);
            Assert.Contains(sink.Verbose, v => v.Contains("not run again", StringComparison.Ordinal));
            Assert.Equal(recorded.RanAt, Assert.Single((await target.GetAsync("hello", env, context))!.Migrations).RanAt);

            // Another image runs it (and is recorded, newest first).
            var v2 = Assert.Single(await Rollout.RunAsync(v1 with { Image = "localhost/devopstools-hello:2" }, [target], options, context));
            Assert.Equal(2, v2.Migrations.Count);
            Assert.Equal(v2.ImageDigest, v2.Migrations[0].ImageDigest);
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
        }
    }
}
