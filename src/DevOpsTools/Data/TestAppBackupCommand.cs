using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Commands.Data;

/// <summary>Proves backups by restoring each into a throwaway PostgreSQL container and running a check query.</summary>
[Cmdlet(VerbsDiagnostic.Test, "AppBackup", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(AppBackupTest))]
public sealed class TestAppBackupCommand : BackupCmdletBase
{
    protected override void ProcessRecordCore()
    {
        foreach (var backup in Selected())
        {
            var result = RunEngine(context => new BackupVerifier(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default).TestAsync(backup, context));
            WriteObject(result);
        }
    }
}
