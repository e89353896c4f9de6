using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Data.Volumes;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Data;

/// <summary>
/// Backs up a data service's databases (pg_dump custom format), or an app's volumes (tar archives
/// of its Podman volumes), with checksum, manifest and retention.
/// </summary>
[Cmdlet(VerbsData.Backup, "AppData", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = DataSet)]
[OutputType(typeof(AppBackup))]
public sealed class BackupAppDataCommand : DevOpsToolsCmdlet
{
    private const string DataSet = "Data";
    private const string VolumeSet = "Volume";

    /// <summary>Data services from Import-DevOpsEnvironment: an environment's Data (by property name) or the services themselves.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DataSet)]
    [ValidateNotNull]
    public DataServiceDefinition[] Data { get; set; } = [];

    /// <summary>Only the services with these names (wildcards).</summary>
    [Parameter(ParameterSetName = DataSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DataServiceNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only these databases of the service (default: all of its databases).</summary>
    [Parameter(ParameterSetName = DataSet)]
    [ValidatePattern(DataServiceDefinition.IdentifierPattern)]
    public string[]? Database { get; set; }

    /// <summary>The environment of the app whose volumes are backed up (a Deployment's Environment binds here).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = VolumeSet)]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(AppVolumeCompleter))]
    public string Environment { get; set; } = string.Empty;

    /// <summary>The app whose volumes are backed up (a Deployment's App binds here).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = VolumeSet)]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(AppVolumeCompleter))]
    public string App { get; set; } = string.Empty;

    /// <summary>
    /// The container-host server the app is deployed on (Get-Server or New-Server output; a
    /// Deployment's Server binds here): its volumes there are archived over SSH. Default: this machine.
    /// </summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = VolumeSet)]
    [AllowNull]
    public Server? Server { get; set; }

    /// <summary>The app's volumes to back up, by their names in the app spec (default: every volume its deployment on this machine, or on -Server, mounts).</summary>
    [Parameter(ParameterSetName = VolumeSet)]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(AppVolumeCompleter))]
    public string[]? Volume { get; set; }

    /// <summary>
    /// The directory to write to, or (database backups only) an S3 bucket as s3://bucket/prefix
    /// (default: the service's backup.destination, else backups/&lt;environment&gt;/&lt;service or app&gt;
    /// in the module data directory).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With an s3:// -Path: the URL of an S3-compatible server, addressed path-style (default: AWS S3 of AWS_REGION).</summary>
    [Parameter(ParameterSetName = DataSet)]
    [ValidateNotNullOrEmpty]
    public string? S3EndpointUrl { get; set; }

    /// <summary>Keep this many backups per database or volume (the newest), overriding the service's backup.keep.</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int? Keep { get; set; }

    protected override void ProcessRecordCore()
    {
        var path = BackupLocations.Resolve(this, Path);
        if (ParameterSetName == VolumeSet)
        {
            BackUpVolumes(path);
            return;
        }

        foreach (var service in DataServiceCmdletBase.Select(Data, Name))
        {
            var label = $"{service.Environment}/{service.Name}";
            var databases = Database ?? service.Databases.Select(d => d.Name).ToArray();
            if (!ShouldProcess(label, $"Back up database(s) {string.Join(", ", databases)} to {path ?? service.Backup?.Destination ?? "the module data directory"}{(Keep is null && service.Backup is null ? string.Empty : ", then remove backups beyond the retention")}"))
            {
                continue;
            }

            try
            {
                // A service placed by role is dumped on its server over SSH, streamed here.
                var backups = RunEngine(async context =>
                {
                    await using var pool = new SshConnectionPool(ModuleData.Default);
                    var servers = new SshDataServerShells(ModuleData.Default, new SshRemoteShellFactory(pool));
                    return await new DataBackups(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default, servers).BackupAsync(service, Database, path, Keep, context, S3EndpointUrl).ConfigureAwait(false);
                });
                WriteObject(backups, enumerateCollection: true);
            }
            catch (DevOpsToolsException error)
            {
                // One service's failure is its own error; the others still get their backups.
                WriteEngineError(error, service);
            }
        }
    }

    private void BackUpVolumes(string? path)
    {
        var label = $"{Environment}/{App}";
        if (BackupStores.IsS3(path))
        {
            // Volume archives are written by the volume engine straight to a directory; no store yet.
            WriteEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"-Path '{path}': volume archives are written to a directory for now, not to S3. Give -Path a directory, or leave it out for the module data directory.", path), label);
            return;
        }

        var where = Server is null ? "this machine" : $"server {Server.Label}";
        var which = Volume is { Length: > 0 } ? $"volume(s) {string.Join(", ", Volume)}" : "every volume its deployment mounts";
        if (!ShouldProcess($"{label} on {where}", $"Back up {which} of app {label} on {where}{(Server is null ? string.Empty : " (over SSH)")} to {path ?? "the module data directory"}{(Keep is null ? string.Empty : $", then keep the newest {Keep} per volume")}"))
        {
            return;
        }

        try
        {
            if (Server is { } server)
            {
                // The server's podman streams each archive over SSH into the backup file here.
                WriteObject(RunEngine(async context =>
                {
                    await using var pool = new SshConnectionPool(ModuleData.Default);
                    await using var shell = await new SshRemoteShellFactory(pool).OpenAsync(server, context.CancellationToken).ConfigureAwait(false);
                    return await new VolumeBackups(new SshVolumeHost(shell), ModuleData.Default).BackupAsync(Environment, App, Volume, path, Keep, context).ConfigureAwait(false);
                }), enumerateCollection: true);
                return;
            }

            var host = new PodmanVolumeHost(PodmanCli.Locate(), ModuleData.Default);
            WriteObject(RunEngine(context => new VolumeBackups(host, ModuleData.Default).BackupAsync(Environment, App, Volume, path, Keep, context)), enumerateCollection: true);
        }
        catch (DevOpsToolsException error)
        {
            // One app's failure is its own error; the next pipeline object still gets its backups.
            WriteEngineError(error, label);
        }
    }
}
