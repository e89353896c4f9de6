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

    /// <summary>With -Id: the directory or s3://bucket/prefix the backup was written to with Backup-AppData -Path.</summary>
    [Parameter(ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With -Id and an s3:// -Path: the URL of the S3-compatible server (default: AWS S3).</summary>
    [Parameter(ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    public string? S3EndpointUrl { get; set; }

    /// <summary>The backups this call is about; a missing id is a BackupNotFound error.</summary>
    protected IEnumerable<AppBackup> Selected()
    {
        if (ParameterSetName == ObjectSet)
        {
            return Backup;
        }

        var path = BackupLocations.Resolve(this, Path);
        try
        {
            var store = BackupStores.Open(ModuleData.Default, path, S3EndpointUrl);
            var found = RunEngine(context => store.ListAsync(Environment, Service, context.CancellationToken)).FirstOrDefault(b => b.Id == Id);
            if (found is null)
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.BackupNotFound, ErrorKind.ObjectNotFound,
                    $"No complete backup {Id} of {Environment}/{Service} in {(path is null ? BackupFiles.DefaultDirectory(ModuleData.Default, Environment, Service) : store.Label)}.", Id));
                return [];
            }

            return [found];
        }
        catch (DevOpsToolsException error)
        {
            WriteEngineError(error, Id);
            return [];
        }
    }
}

/// <summary>A -Path as the engine takes it: an s3:// location as given, a directory resolved against the current location.</summary>
internal static class BackupLocations
{
    public static string? Resolve(PSCmdlet cmdlet, string? path) =>
        path is null ? null : BackupStores.IsS3(path) ? path : cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
