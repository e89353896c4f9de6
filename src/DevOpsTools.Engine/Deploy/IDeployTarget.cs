using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// Where an app runs: this machine's Podman, container hosts over SSH, a Kubernetes namespace.
/// Deploy's own seam (not a stretched server provider). Every target returns the same
/// <see cref="Deployment"/>, keeps its state on the target itself (labels and a state file,
/// or cluster objects), and never leaves a half-applied revision: a failed rollout is rolled
/// back unless <see cref="DeployOptions.NoRollback"/>, and the result says why.
/// </summary>
public interface IDeployTarget
{
    /// <summary>Local, Host or Kubernetes (Deployment.TargetKind).</summary>
    string Kind { get; }

    /// <summary>"local", "test/web-1", "context/namespace" (Deployment.Target).</summary>
    string Name { get; }

    /// <summary>What Apply would change, as a unified diff of the target's objects (units, proxy, containers); changes nothing. Secret values are never in it.</summary>
    Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context);

    /// <summary>
    /// Gets ready to deploy the app without changing what runs or serves: a container-host
    /// server is prepared and sent the images. The rollout stages every target at once before
    /// its first batch, so the batches only switch, and a target that cannot take the app stops
    /// the rollout before anything switched anywhere. Apply and Migrate stage by themselves when
    /// this was not called. Default: nothing to get ready.
    /// </summary>
    Task StageAsync(ResolvedApp app, EngineContext context) => Task.CompletedTask;

    /// <summary>Rolls the app out and waits for it to be healthy (or rolls back).</summary>
    Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context);

    /// <summary>
    /// Runs the app's migration command once, in a one-off instance of the new image with the
    /// app's variables, secrets and volumes, before any instance of the new revision starts; a
    /// failure is DeployMigrationFailed and leaves the running revision untouched. The rollout
    /// calls it on the first target only (a migration changes shared data once).
    /// </summary>
    Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context);

    /// <summary>
    /// The migration recorded on this target that this deploy would repeat (the same image
    /// digest and command succeeded before), or null: the rollout then skips the migration and
    /// its backup. Container hosts record migrations in the app's state; default: none recorded.
    /// </summary>
    Task<AppMigration?> RecordedMigrationAsync(ResolvedApp app, EngineContext context) => Task.FromResult<AppMigration?>(null);

    /// <summary>The current state with its revision history, or null when the app is not on this target.</summary>
    Task<Deployment?> GetAsync(string app, string environment, EngineContext context);

    /// <summary>
    /// The names of the apps deployed in <paramref name="environment"/> on this target, as recorded
    /// there (state files, the managed Deployments), for GetAsync one by one. Default: none.
    /// </summary>
    Task<IReadOnlyList<string>> ListAppsAsync(string environment, EngineContext context) => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>Restores <paramref name="toRevision"/> (default: the one before the current), with the same zero-downtime switch as Apply.</summary>
    Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context);

    /// <summary>Log lines of the app's instances (newest <paramref name="tail"/>, since a time); with follow, until the token is cancelled.</summary>
    IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context);

    /// <summary>Stops and removes every instance, the proxy route and the state; volumes only with removeVolumes.</summary>
    Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context);
}

/// <summary>How a rollout runs.</summary>
public sealed record DeployOptions
{
    /// <summary>How long the new revision may take to become healthy before it is rolled back.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Servers (container hosts) updated at once; the others keep serving.</summary>
    public int MaxUnavailable { get; init; } = 1;

    /// <summary>Leave a failed revision in place (Status Failed) instead of restoring the previous one.</summary>
    public bool NoRollback { get; init; }

    /// <summary>How long an old instance keeps its in-flight requests after the switch.</summary>
    public TimeSpan DrainTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Backs up the migration's data service before the migration runs (null: no backup).</summary>
    public IMigrationBackup? MigrationBackup { get; init; }

    /// <summary>A failed migration restores the backup taken before it by itself.</summary>
    public bool RestoreOnFailure { get; init; }

    /// <summary>The ids of the backups taken for this deploy's migration (set by the rollout; recorded with the migration).</summary>
    public IReadOnlyList<string> MigrationBackups { get; init; } = [];
}

/// <summary>The backup a rollout takes before a migration, and the restore after a failed one (Data/Backups/MigrationBackup).</summary>
public interface IMigrationBackup
{
    /// <summary>"test/main": what is backed up, for messages.</summary>
    string Label { get; }

    /// <summary>Backs up every database of the data service (one AppBackup each).</summary>
    Task<IReadOnlyList<AppBackup>> BackupAsync(EngineContext context);

    /// <summary>Restores a backup just taken into its database.</summary>
    Task RestoreAsync(AppBackup backup, EngineContext context);

    /// <summary>The exact Restore-AppData command that restores the backup, by id.</summary>
    string RestoreCommand(AppBackup backup);
}

/// <summary>A migration that succeeded: where, with which image, how long, and its output lines.</summary>
public sealed record MigrationRun(string Target, string Image, string? ImageDigest, TimeSpan Duration, IReadOnlyList<string> Output);

/// <summary>The -WhatIf answer: a diff per object and a one-line summary.</summary>
public sealed record DeployPlan(string Target, string Summary, string Diff, bool HasChanges);

public sealed record AppLogQuery(int? Tail = null, DateTimeOffset? Since = null, bool Follow = false);
