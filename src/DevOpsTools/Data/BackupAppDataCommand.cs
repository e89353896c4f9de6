using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Data;

/// <summary>Backs up a data service's databases (pg_dump custom format) with checksum, manifest and retention.</summary>
[Cmdlet(VerbsData.Backup, "AppData", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AppBackup))]
public sealed class BackupAppDataCommand : DataServiceCmdletBase
{
    /// <summary>Only these databases of the service (default: all of its databases).</summary>
    [Parameter]
    [ValidatePattern(DataServiceDefinition.IdentifierPattern)]
    public string[]? Database { get; set; }

    /// <summary>
    /// The directory to write to, or an S3 bucket as s3://bucket/prefix (default: the service's
    /// backup.destination, else backups/&lt;environment&gt;/&lt;service&gt; in the module data directory).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With an s3:// -Path: the URL of an S3-compatible server, addressed path-style (default: AWS S3 of AWS_REGION).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? S3EndpointUrl { get; set; }

    /// <summary>Keep this many backups per database (the newest), overriding the service's backup.keep.</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int? Keep { get; set; }

    protected override void ProcessRecordCore()
    {
        var path = BackupLocations.Resolve(this, Path);
        foreach (var service in SelectedServices())
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
}
