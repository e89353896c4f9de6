using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Commands.Deploy;

/// <summary>Stops an app's instances and removes its units, proxy route and state; its volumes only with -RemoveVolumes.</summary>
[Cmdlet(VerbsCommon.Remove, "App", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(Deployment))]
public sealed class RemoveAppCommand : DeployedAppCommandBase
{
    /// <summary>Also delete the app's named volumes (its data).</summary>
    [Parameter]
    public SwitchParameter RemoveVolumes { get; set; }

    /// <summary>Do not ask; -WhatIf still only reports.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessingCore()
    {
        var environment = ResolveEnvironment();
        var label = TargetLabel(environment);
        if (!ShouldChange(label, $"Remove {environment}/{Name}{(RemoveVolumes ? " and its volumes (its data)" : string.Empty)}", Force))
        {
            return;
        }

        var name = Name;
        var removeVolumes = RemoveVolumes.IsPresent;
        foreach (var deployment in RunWithTargets((factory, context) => AppDeployments.RemoveAsync(name, environment, removeVolumes, TargetsOf(factory), context)))
        {
            WriteObject(deployment);
        }
    }
}
