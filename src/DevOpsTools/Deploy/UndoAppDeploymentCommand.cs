using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Commands.Deploy;

/// <summary>Rolls an app back to an earlier revision, with the same health-checked, zero-downtime switch as Deploy-App.</summary>
[Cmdlet(VerbsCommon.Undo, "AppDeployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(Deployment))]
public sealed class UndoAppDeploymentCommand : DeployedAppCommandBase
{
    /// <summary>The revision to restore (Get-AppDeployment's History); default: the one before the current.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? ToRevision { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxUnavailable { get; set; } = 1;

    protected override void EndProcessingCore()
    {
        var environment = ResolveEnvironment();
        var label = TargetLabel(environment);
        if (!ShouldProcess(label, $"Restore {environment}/{Name} to {(ToRevision is { } r ? $"revision {r}" : "the previous revision")}"))
        {
            return;
        }

        var name = Name;
        var toRevision = ToRevision;
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(TimeoutSec), MaxUnavailable = MaxUnavailable };
        var restored = RunWithTargets((factory, context) => AppDeployments.UndoAsync(name, environment, toRevision, TargetsOf(factory), options, context));
        foreach (var deployment in restored)
        {
            if (deployment.Status is not DeploymentStatus.Healthy)
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.DeployFailed, ErrorKind.InvalidOperation,
                    $"{deployment.Target}: restoring {deployment.App} revision {deployment.Revision} ended {deployment.Status}: {deployment.RollbackReason}", deployment));
            }

            WriteObject(deployment);
        }
    }
}
