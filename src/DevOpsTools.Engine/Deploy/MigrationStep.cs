using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// The migration of a rollout, once, on one target, before any instance switches: skipped when
/// the target has recorded the same migration (image digest and command) as done; otherwise the
/// data service it changes is backed up first (DeployOptions.MigrationBackup). A failed migration
/// throws DeployMigrationFailed with the command's output and the exact Restore-AppData command of
/// each backup, or, with RestoreOnFailure, restores them and says so.
/// </summary>
internal static class MigrationStep
{
    public static async Task RunAsync(ResolvedApp app, IDeployTarget target, DeployOptions options, EngineContext context)
    {
        var recorded = await target.RecordedMigrationAsync(app, context).ConfigureAwait(false);
        if (recorded is not null)
        {
            context.Output.WriteVerbose($"{app.Environment}/{app.Name}: the migration ({string.Join(' ', recorded.Command)}) ran with this image ({recorded.ImageDigest}) on {target.Name} at {recorded.RanAt:u}; not run again, no backup taken.");
            return;
        }

        IReadOnlyList<AppBackup> backups = [];
        if (options.MigrationBackup is { } guard)
        {
            context.Output.WriteVerbose($"{app.Environment}/{app.Name}: backing up {guard.Label} before the migration.");
            backups = await guard.BackupAsync(context).ConfigureAwait(false);
            foreach (var backup in backups)
            {
                context.Output.WriteVerbose($"{app.Environment}/{app.Name}: backup {backup.Id} of {backup.Service}/{backup.Database} taken before the migration ({backup.SizeBytes} bytes).");
            }
        }

        try
        {
            var run = await target.MigrateAsync(app, options with { MigrationBackups = backups.Select(b => b.Id).ToList() }, context).ConfigureAwait(false);
            context.Output.WriteVerbose($"{app.Environment}/{app.Name}: migration done on {run.Target} in {run.Duration.TotalSeconds:0.0} s.");
        }
        catch (DevOpsToolsException failed) when (failed.ErrorId == ErrorIds.DeployMigrationFailed && options.MigrationBackup is not null && backups.Count > 0)
        {
            throw await AfterFailureAsync(failed, options.MigrationBackup, backups, options.RestoreOnFailure, context).ConfigureAwait(false);
        }
    }

    private static async Task<DevOpsToolsException> AfterFailureAsync(DevOpsToolsException failed, IMigrationBackup guard, IReadOnlyList<AppBackup> backups, bool restore, EngineContext context)
    {
        var commands = string.Join("; ", backups.Select(guard.RestoreCommand));
        if (!restore)
        {
            return new DevOpsToolsException(failed.ErrorId, failed.Kind,
                $"{failed.Message} The data of {guard.Label} was backed up before the migration ({string.Join(", ", backups.Select(b => b.Id))}); to restore it: {commands}", failed.Target, failed)
            {
                RecommendedAction = $"If the migration changed data before it failed, restore it: {commands}. Then fix the migration and deploy again.",
            };
        }

        var restored = new List<string>();
        foreach (var backup in backups)
        {
            try
            {
                await guard.RestoreAsync(backup, context).ConfigureAwait(false);
                restored.Add(backup.Id);
                context.Output.WriteVerbose($"Restored backup {backup.Id} into {backup.Service}/{backup.Database} after the failed migration.");
            }
            catch (DevOpsToolsException restoreFailed)
            {
                return new DevOpsToolsException(failed.ErrorId, failed.Kind,
                    $"{failed.Message} -RestoreOnFailure: restoring backup {backup.Id} failed too ({restoreFailed.Message}){(restored.Count > 0 ? $"; restored before it: {string.Join(", ", restored)}" : string.Empty)}. To restore by hand: {commands}", failed.Target, failed)
                {
                    RecommendedAction = $"Restore the data by hand: {commands}. Then fix the migration and deploy again.",
                };
            }
        }

        return new DevOpsToolsException(failed.ErrorId, failed.Kind,
            $"{failed.Message} -RestoreOnFailure: the data of {guard.Label} was restored from the backup taken before the migration ({string.Join(", ", restored)}).", failed.Target, failed)
        {
            RecommendedAction = "Fix the migration and deploy again; the running revision and its data are as they were before this deploy.",
        };
    }
}
