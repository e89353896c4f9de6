using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Commands.Deploy;

/// <summary>The current state of an app on its targets, with its revision history, read from the targets themselves.</summary>
[Cmdlet(VerbsCommon.Get, "AppDeployment", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(Deployment))]
public sealed class GetAppDeploymentCommand : DeployedAppCommandBase
{
    protected override void EndProcessingCore()
    {
        var environment = ResolveEnvironment();
        var name = Name;
        var found = RunWithTargets((factory, context) => AppDeployments.GetAsync(name, environment, TargetsOf(factory), context));
        if (found.Count == 0)
        {
            WriteEngineError(new DevOpsToolsException(ErrorIds.AppNotFound, ErrorKind.ObjectNotFound,
                $"App '{name}' is not deployed in {environment} on {(ByKubernetes ? TargetLabel(environment) : Servers.Count == 0 ? "this machine" : string.Join(", ", Servers.Select(s => s.Name)))}.", name));
        }

        foreach (var deployment in found)
        {
            WriteObject(deployment);
        }
    }
}
