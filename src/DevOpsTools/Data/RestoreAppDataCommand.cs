using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Data;

/// <summary>Restores a backup into its data service's database, replacing its contents; checksum first, asks first.</summary>
[Cmdlet(VerbsData.Restore, "AppData", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(AppBackup))]
public sealed class RestoreAppDataCommand : BackupCmdletBase
{
    /// <summary>Do not ask; -WhatIf still only reports.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecordCore()
    {
        foreach (var backup in Selected())
        {
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
}
