using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Data.Volumes;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Data;

/// <summary>Restores a backup into its data service's database, or a volume backup into a volume, replacing its contents; checksum first, asks first.</summary>
[Cmdlet(VerbsData.Restore, "AppData", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(AppBackup))]
public sealed class RestoreAppDataCommand : BackupCmdletBase
{
    /// <summary>Do not ask, and replace the content of a volume that has data; -WhatIf still only reports.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>For a volume backup: the Podman volume to restore into (created when missing; default: the volume it was taken of).</summary>
    [Parameter]
    [ValidatePattern(VolumeBackupNames.PodmanVolumePattern)]
    [ArgumentCompleter(typeof(AppVolumeCompleter))]
    public string? TargetVolume { get; set; }

    /// <summary>
    /// For a volume backup: the container-host server to restore onto over SSH (default: the
    /// server the backup was taken on, from its manifest, or this machine for a backup taken here).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public Server? Server { get; set; }

    protected override void ProcessRecordCore()
    {
        foreach (var backup in Selected())
        {
            if (backup.Kind == AppBackup.VolumeKind)
            {
                RestoreVolume(backup);
                continue;
            }

            if (TargetVolume is not null || Server is not null)
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"{(TargetVolume is not null ? "-TargetVolume" : "-Server")} is for volume backups; {backup.Id} is a backup of database {backup.Database}.", backup.Id), backup);
                continue;
            }

            if (!ShouldChange($"{backup.Environment}/{backup.Service}/{backup.Database}",
                $"Replace the contents of database {backup.Database} with backup {backup.Id} of {backup.CreatedAt:u}", Force))
            {
                continue;
            }

            try
            {
                // A backup taken on a server is restored there, streamed over SSH.
                WriteObject(RunEngine(async context =>
                {
                    await using var pool = new SshConnectionPool(ModuleData.Default);
                    var servers = new SshDataServerShells(ModuleData.Default, new SshRemoteShellFactory(pool));
                    return await new DataBackups(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default, servers).RestoreAsync(backup, context).ConfigureAwait(false);
                }));
            }
            catch (DevOpsToolsException error)
            {
                WriteEngineError(error, backup);
            }
        }
    }

    private void RestoreVolume(AppBackup backup)
    {
        var target = TargetVolume ?? backup.Volume ?? string.Empty;
        var where = Server is not null ? $"server {Server.Label}" : backup.Server is not null ? $"server {backup.Environment}/{backup.Server}" : "this machine";
        if (!ShouldChange($"{target} on {where}", $"Restore volume backup {backup.Id} of {backup.CreatedAt:u} into volume {target} on {where} (created when missing; a volume with data is replaced only with -Force)", Force))
        {
            return;
        }

        try
        {
            if (Server is not null || backup.Server is not null)
            {
                // The archive streams over SSH into the server's podman volume import.
                WriteObject(RunEngine(async context =>
                {
                    await using var pool = new SshConnectionPool(ModuleData.Default);
                    var server = Server ?? await VolumeBackupServers.FindAsync(ModuleData.Default, backup, context).ConfigureAwait(false);
                    await using var shell = await new SshRemoteShellFactory(pool).OpenAsync(server, context.CancellationToken).ConfigureAwait(false);
                    return await new VolumeBackups(new SshVolumeHost(shell), ModuleData.Default).RestoreAsync(backup, TargetVolume, Force, context).ConfigureAwait(false);
                }));
                return;
            }

            var host = new PodmanVolumeHost(PodmanCli.Locate(), ModuleData.Default);
            WriteObject(RunEngine(context => new VolumeBackups(host, ModuleData.Default).RestoreAsync(backup, TargetVolume, Force, context)));
        }
        catch (DevOpsToolsException error)
        {
            WriteEngineError(error, backup);
        }
    }
}
