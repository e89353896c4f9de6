using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Engine.Tests.Deploy;

public class RolloutTests
{
    private readonly RecordingSink _sink = new();
    private readonly ConcurrentQueue<string> _applied = new();

    /// <summary>What the targets did after staging, in order.</summary>
    private List<string> Applied => _applied.Where(a => !a.StartsWith("stage@", StringComparison.Ordinal)).ToList();

    private static ResolvedApp App => new() { Name = "shop", Environment = "prod", Image = "localhost/shop:2" };

    [Fact]
    public async Task Batches_run_in_order_and_never_wider_than_MaxUnavailable()
    {
        var gate = new Concurrency();
        var targets = Enumerable.Range(1, 5).Select(i => new ScriptedTarget($"web-{i}", _applied, gate)).ToList<IDeployTarget>();

        var result = await Rollout.RunAsync(App, targets, new DeployOptions { MaxUnavailable = 2 }, new EngineContext(_sink));

        Assert.Equal(5, result.Count);
        Assert.All(result, d => Assert.Equal(DeploymentStatus.Healthy, d.Status));
        Assert.Equal(2, gate.Peak);
        // Batch order: web-1/web-2 (either order) finish before web-3 starts, and so on.
        var order = Applied;
        Assert.Equal(new[] { "web-1", "web-2" }, order.Take(2).Order());
        Assert.Equal(new[] { "web-3", "web-4" }, order.Skip(2).Take(2).Order());
        Assert.Equal("web-5", order[4]);
        Assert.Empty(_sink.Errors);
    }

    [Fact]
    public async Task A_migration_runs_once_on_the_first_target_before_any_batch()
    {
        var targets = Enumerable.Range(1, 3).Select(i => new ScriptedTarget($"web-{i}", _applied)).ToList<IDeployTarget>();
        var app = App with { MigrationCommand = ["/app/migrate", "--up"] };

        var result = await Rollout.RunAsync(app, targets, new DeployOptions { MaxUnavailable = 2 }, new EngineContext(_sink));

        Assert.Equal(3, result.Count);
        var order = Applied;
        Assert.Equal("migrate@web-1", order[0]);
        Assert.Single(order, o => o.StartsWith("migrate@", StringComparison.Ordinal));
        Assert.Equal(4, order.Count);
    }

    [Fact]
    public async Task A_failed_migration_stops_the_rollout_before_any_target_changes()
    {
        var targets = new IDeployTarget[] { new ScriptedTarget("web-1", _applied, failMigration: true), new ScriptedTarget("web-2", _applied) };
        var app = App with { MigrationCommand = ["/app/migrate"] };

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(app, targets, new DeployOptions(), new EngineContext(_sink)));

        Assert.Equal(ErrorIds.DeployMigrationFailed, error.ErrorId);
        Assert.Equal(["migrate@web-1"], Applied);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task A_failed_migration_after_a_backup_says_how_to_restore_or_restores(bool restoreOnFailure, bool restoreFails)
    {
        var backup = new ScriptedBackup(_applied, restoreFails);
        var targets = new IDeployTarget[] { new ScriptedTarget("web-1", _applied, failMigration: true) };
        var app = App with { MigrationCommand = ["/app/migrate"] };
        var options = new DeployOptions { MigrationBackup = backup, RestoreOnFailure = restoreOnFailure };

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(app, targets, options, new EngineContext(_sink)));

        Assert.Equal(ErrorIds.DeployMigrationFailed, error.ErrorId);
        Assert.Contains("the migration exited 3 on web-1", error.Message, StringComparison.Ordinal);
        var restored = restoreOnFailure && !restoreFails;
        Assert.Equal(restoreOnFailure ? ["backup", "migrate@web-1", "restore shop-1"] : ["backup", "migrate@web-1"], Applied);
        Assert.Equal(!restored, error.Message.Contains("Restore-AppData -Id shop-1 -Environment prod -Service main -Force", StringComparison.Ordinal));
        Assert.Equal(restored, error.Message.Contains("was restored", StringComparison.Ordinal));
        Assert.Equal(restoreFails, error.Message.Contains("failed too", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_recorded_migration_is_skipped_with_its_backup()
    {
        var backup = new ScriptedBackup(_applied, restoreFails: false);
        var recorded = new AppMigration { Image = "localhost/shop:2", ImageDigest = "sha256:" + new string('a', 64), Command = ["/app/migrate"] };
        var targets = new IDeployTarget[] { new ScriptedTarget("web-1", _applied) { Recorded = recorded } };

        await Rollout.RunAsync(App with { MigrationCommand = ["/app/migrate"] }, targets, new DeployOptions { MigrationBackup = backup }, new EngineContext(_sink));

        Assert.Equal(["web-1"], Applied);
    }

    [Fact]
    public async Task No_migration_command_means_no_migration()
    {
        await Rollout.RunAsync(App, [new ScriptedTarget("web-1", _applied)], new DeployOptions(), new EngineContext(_sink));
        Assert.Equal(["web-1"], Applied);
    }

    [Fact]
    public async Task A_rolled_back_batch_stops_the_rollout_and_names_the_untouched_targets()
    {
        var targets = new IDeployTarget[]
        {
            new ScriptedTarget("web-1", _applied),
            new ScriptedTarget("web-2", _applied, outcome: DeploymentStatus.RolledBack),
            new ScriptedTarget("web-3", _applied),
        };

        var result = await Rollout.RunAsync(App, targets, new DeployOptions { MaxUnavailable = 1 }, new EngineContext(_sink));

        Assert.Equal(new[] { "web-1", "web-2" }, Applied);
        Assert.Equal(DeploymentStatus.RolledBack, result[1].Status);
        var error = Assert.Single(_sink.Errors);
        Assert.Equal(ErrorIds.DeployRolloutStopped, error.ErrorId);
        Assert.Contains("web-2", error.Message, StringComparison.Ordinal);
        Assert.Contains("web-3 still run the previous revision", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_throws_is_reported_and_stops_the_next_batches()
    {
        var targets = new IDeployTarget[] { new ScriptedTarget("web-1", _applied, fail: true), new ScriptedTarget("web-2", _applied) };

        var result = await Rollout.RunAsync(App, targets, new DeployOptions { MaxUnavailable = 1 }, new EngineContext(_sink));

        Assert.Empty(result);
        Assert.Equal(new[] { "web-1" }, Applied);
        Assert.Contains(_sink.Errors, e => e.Message.Contains("web-1", StringComparison.Ordinal) && e.Message.Contains("unreachable", StringComparison.Ordinal));
        Assert.Contains(_sink.Errors, e => e.ErrorId == ErrorIds.DeployRolloutStopped);
    }

    [Fact]
    public async Task Promotion_takes_the_digest_that_runs_on_every_source_target()
    {
        const string digest = "sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
        var sources = new IDeployTarget[]
        {
            new ScriptedTarget("pre-1", _applied) { Running = Running("pre-1", "localhost/shop:2", digest) },
            new ScriptedTarget("pre-2", _applied) { Running = Running("pre-2", "localhost/shop:latest", digest) },
        };

        var image = await Rollout.PromotedImageAsync("shop", "preprod", sources, new EngineContext(_sink));

        Assert.Equal(digest, image.Digest);
        Assert.Equal("localhost/shop:2", image.Image);
    }

    [Theory]
    [InlineData("missing", ErrorIds.PromotionSourceMissing)]
    [InlineData("degraded", ErrorIds.PromotionSourceUnhealthy)]
    [InlineData("nodigest", ErrorIds.PromotionSourceInconsistent)]
    [InlineData("different", ErrorIds.PromotionSourceInconsistent)]
    public async Task Promotion_refuses_a_source_that_is_not_one_healthy_digest(string problem, string errorId)
    {
        var good = Running("pre-1", "localhost/shop:2", "sha256:" + new string('1', 64));
        var second = problem switch
        {
            "missing" => null,
            "degraded" => Running("pre-2", "localhost/shop:2", "sha256:" + new string('1', 64), DeploymentStatus.Degraded),
            "nodigest" => Running("pre-2", "localhost/shop:2", null),
            _ => Running("pre-2", "localhost/shop:2", "sha256:" + new string('2', 64)),
        };
        var sources = new IDeployTarget[]
        {
            new ScriptedTarget("pre-1", _applied) { Running = good },
            new ScriptedTarget("pre-2", _applied) { Running = second },
        };

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.PromotedImageAsync("shop", "preprod", sources, new EngineContext(_sink)));

        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains("preprod", error.Message, StringComparison.Ordinal);
        if (problem == "different")
        {
            // Each source's digest is named, so the operator sees which target differs.
            Assert.Contains("pre-1: sha256:" + new string('1', 64), error.Message, StringComparison.Ordinal);
            Assert.Contains("pre-2: sha256:" + new string('2', 64), error.Message, StringComparison.Ordinal);
        }
    }

    private static Deployment Running(string target, string image, string? digest, DeploymentStatus status = DeploymentStatus.Healthy) => new()
    {
        App = "shop", Environment = "preprod", TargetKind = "Host", Target = target, Image = image, ImageDigest = digest,
        Status = status, ReplicasDesired = 2, ReplicasReady = status is DeploymentStatus.Healthy ? 2 : 1, Revision = 3,
    };

    private sealed class Concurrency
    {
        private int _running;

        public int Peak { get; private set; }

        public async Task RunAsync(Func<Task> work)
        {
            var now = Interlocked.Increment(ref _running);
            lock (this)
            {
                Peak = Math.Max(Peak, now);
            }

            try
            {
                await work();
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }
    [Fact]
    public async Task Every_target_is_staged_at_once_before_the_migration_and_the_first_batch()
    {
        var staging = new Concurrency();
        var targets = Enumerable.Range(1, 3).Select(i => new ScriptedTarget($"web-{i}", _applied, stageGate: staging)).ToList<IDeployTarget>();
        var app = App with { MigrationCommand = ["/app/migrate"] };

        var result = await Rollout.RunAsync(app, targets, new DeployOptions { MaxUnavailable = 1 }, new EngineContext(_sink));

        Assert.Equal(3, result.Count);
        Assert.Equal(3, staging.Peak);
        var order = _applied.ToList();
        Assert.Equal(["stage@web-1", "stage@web-2", "stage@web-3"], order.Take(3).Order());
        Assert.Equal(["migrate@web-1", "web-1", "web-2", "web-3"], order.Skip(3));
    }

    [Fact]
    public async Task A_target_that_cannot_get_ready_stops_the_rollout_before_anything_switched()
    {
        var targets = new IDeployTarget[] { new ScriptedTarget("web-1", _applied), new ScriptedTarget("web-2", _applied, failStage: true) };

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Rollout.RunAsync(App, targets, new DeployOptions(), new EngineContext(_sink)));

        Assert.Equal(ErrorIds.DeployNotStarted, error.ErrorId);
        Assert.Contains("web-2", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was switched", error.Message, StringComparison.Ordinal);
        // The target's own error is reported too, and no target applied anything.
        Assert.Contains(_sink.Errors, e => e.Message.Contains("no space left", StringComparison.Ordinal));
        Assert.DoesNotContain(_applied, a => !a.StartsWith("stage@", StringComparison.Ordinal));
    }

    /// <summary>A data service backup the test scripts: one backup, shop-1 of prod/main; records backups and restores.</summary>
    private sealed class ScriptedBackup(ConcurrentQueue<string> applied, bool restoreFails) : IMigrationBackup
    {
        public string Label => "prod/main";

        public Task<IReadOnlyList<AppBackup>> BackupAsync(EngineContext context)
        {
            applied.Enqueue("backup");
            return Task.FromResult<IReadOnlyList<AppBackup>>([new AppBackup
            {
                Id = "shop-1", Environment = "prod", Service = "main", Database = "shop", Engine = "PostgreSQL", Version = "15",
                Format = "pg_dump custom", CreatedAt = DateTimeOffset.UtcNow, SizeBytes = 1, Sha256 = new string('0', 64), Duration = TimeSpan.Zero,
                Path = "/nonexistent/shop-1.dump", ManifestPath = "/nonexistent/shop-1.json",
            }]);
        }

        public Task RestoreAsync(AppBackup backup, EngineContext context)
        {
            applied.Enqueue("restore " + backup.Id);
            return restoreFails
                ? throw new DevOpsToolsException(ErrorIds.RestoreFailed, ErrorKind.InvalidOperation, "pg_restore failed", backup.Id)
                : Task.CompletedTask;
        }

        public string RestoreCommand(AppBackup backup) => $"Restore-AppData -Id {backup.Id} -Environment {backup.Environment} -Service {backup.Service} -Force";
    }

    /// <summary>A target whose outcome the test decides; it records the order it was applied in.</summary>
    private sealed class ScriptedTarget(string name, ConcurrentQueue<string> applied, Concurrency? gate = null, DeploymentStatus outcome = DeploymentStatus.Healthy, bool fail = false, bool failMigration = false, bool failStage = false, Concurrency? stageGate = null) : IDeployTarget
    {
        public async Task StageAsync(ResolvedApp app, EngineContext context) =>
            await (stageGate ?? new Concurrency()).RunAsync(async () =>
            {
                await Task.Delay(30, context.CancellationToken);
                applied.Enqueue("stage@" + name);
                if (failStage)
                {
                    throw new DevOpsToolsException(ErrorIds.ContainerImageTransferFailed, ErrorKind.InvalidOperation, $"podman load on {name}: no space left on device", name);
                }
            });

        public Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context)
        {
            applied.Enqueue("migrate@" + name);
            return failMigration
                ? throw new DevOpsToolsException(ErrorIds.DeployMigrationFailed, ErrorKind.InvalidOperation, $"the migration exited 3 on {name}", app.Name)
                : Task.FromResult(new MigrationRun(name, app.Image, null, TimeSpan.FromMilliseconds(5), ["migrated"]));
        }

        public string Kind => "Host";

        public string Name => name;

        public Deployment? Running { get; init; }

        public AppMigration? Recorded { get; init; }

        public Task<AppMigration?> RecordedMigrationAsync(ResolvedApp app, EngineContext context) => Task.FromResult(Recorded);

        public Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context) => Task.FromResult(new DeployPlan(name, "no change", string.Empty, false));

        public async Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context)
        {
            var deployment = default(Deployment);
            await (gate ?? new Concurrency()).RunAsync(async () =>
            {
                await Task.Delay(30, context.CancellationToken);
                applied.Enqueue(name);
                if (fail)
                {
                    throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"{name} is unreachable", name);
                }

                deployment = new Deployment { App = app.Name, Environment = app.Environment, TargetKind = Kind, Target = name, Image = app.Image, Status = outcome };
            });
            return deployment!;
        }

        public Task<Deployment?> GetAsync(string app, string environment, EngineContext context) => Task.FromResult(Running);

        public Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context) => throw new NotSupportedException();

        public async IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context)
        {
            await Task.Yield();
            yield break;
        }

        public Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context) => throw new NotSupportedException();
    }
}
