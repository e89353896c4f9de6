using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups;

namespace DevOpsTools.Commands.Data;

/// <summary>What Restore-AppData and Test-AppBackup share: which backup, given as an object (Get-AppBackup) or by id.</summary>
public abstract class BackupCmdletBase : DevOpsToolsCmdlet
{
    protected const string ObjectSet = "Backup";
    protected const string IdSet = "Id";

    /// <summary>Backups from Get-AppBackup or Backup-AppData.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    [ValidateNotNull]
    public AppBackup[] Backup { get; set; } = [];

    /// <summary>A backup's id (Get-AppBackup lists them).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string Id { get; set; } = string.Empty;

    /// <summary>With -Id: the environment of the backup's data service.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string Environment { get; set; } = string.Empty;

    /// <summary>With -Id: the data service (or, for a volume backup, the app) the backup is of.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [Alias("App")]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string Service { get; set; } = string.Empty;

    /// <summary>With -Id: the directory the backup was written to with Backup-AppData -Path.</summary>
    [Parameter(ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The backups this call is about; a missing id is a BackupNotFound error.</summary>
    protected IEnumerable<AppBackup> Selected()
    {
        if (ParameterSetName == ObjectSet)
        {
            return Backup;
        }

        var path = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        var found = BackupFiles.Find(ModuleData.Default, Environment, Service, path).FirstOrDefault(b => b.Id == Id);
        if (found is null)
        {
            WriteEngineError(new DevOpsToolsException(ErrorIds.BackupNotFound, ErrorKind.ObjectNotFound,
                $"No complete backup {Id} of {Environment}/{Service} in {path ?? BackupFiles.DefaultDirectory(ModuleData.Default, Environment, Service)}.", Id));
            return [];
        }

        return [found];
    }
}
