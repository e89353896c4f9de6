using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// The automatic backup before an app's migration: every database of the data service the
/// app's migration names (migration.dataService), through the same engine as Backup-AppData
/// (pg_dump -Fc, checksum, manifest, the service's retention), into the default backup directory.
/// </summary>
public sealed class MigrationBackup : IMigrationBackup
{
    private readonly DataServiceDefinition _service;
    private readonly DataBackups _backups;

    public MigrationBackup(DataServiceDefinition service, DataBackups backups)
    {
        _service = service;
        _backups = backups;
    }

    public string Label => $"{_service.Environment}/{_service.Name}";

    public Task<IReadOnlyList<AppBackup>> BackupAsync(EngineContext context) =>
        _backups.BackupAsync(_service, null, null, null, context);

    public Task RestoreAsync(AppBackup backup, EngineContext context) => _backups.RestoreAsync(backup, context);

    // Ids, environments and service names are validated labels and identifiers: no quoting needed.
    // A bucket's location and endpoint were validated too; quoted as PowerShell literals all the same.
    public string RestoreCommand(AppBackup backup) =>
        $"Restore-AppData -Id {backup.Id} -Environment {backup.Environment} -Service {backup.Service}" +
        (BackupStores.IsS3(backup.Path) ? $" -Path '{backup.Store?.Replace("'", "''", StringComparison.Ordinal)}'" : string.Empty) +
        (backup.EndpointUrl is null ? string.Empty : $" -S3EndpointUrl '{backup.EndpointUrl.Replace("'", "''", StringComparison.Ordinal)}'") +
        " -Force";
}
