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

    protected override void ProcessRecordCore()
    {
        foreach (var backup in Selected())
        {
            if (backup.Kind == AppBackup.VolumeKind)
            {
                RestoreVolume(backup);
                continue;
            }

            if (TargetVolume is not null)
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"-TargetVolume is for volume backups; {backup.Id} is a backup of database {backup.Database}.", backup.Id), backup);
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
        if (!ShouldChange(target, $"Restore volume backup {backup.Id} of {backup.CreatedAt:u} into volume {target} (created when missing; a volume with data is replaced only with -Force)", Force))
        {
            return;
        }

        try
        {
            var host = new PodmanVolumeHost(PodmanCli.Locate(), ModuleData.Default);
            WriteObject(RunEngine(context => new VolumeBackups(host, ModuleData.Default).RestoreAsync(backup, TargetVolume, Force, context)));
        }
        catch (DevOpsToolsException error)
        {
            WriteEngineError(error, backup);
        }
    }
}
