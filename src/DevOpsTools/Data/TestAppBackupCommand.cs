using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Data.Volumes;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Commands.Data;

/// <summary>Proves backups: a database backup restored into a throwaway PostgreSQL container and queried, a volume archive checked and read to its end.</summary>
[Cmdlet(VerbsDiagnostic.Test, "AppBackup", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(AppBackupTest))]
public sealed class TestAppBackupCommand : BackupCmdletBase
{
    protected override void ProcessRecordCore()
    {
        foreach (var backup in Selected())
        {
            var result = backup.Kind == AppBackup.VolumeKind
                ? RunEngine(context => VolumeArchiveCheck.TestAsync(backup, context.CancellationToken))
                : RunEngine(context => new BackupVerifier(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default).TestAsync(backup, context));
            WriteObject(result);
        }
    }
}
