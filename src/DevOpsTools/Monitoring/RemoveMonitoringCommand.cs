using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Prometheus;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>Stops an environment's Prometheus stack on this machine and deletes its configuration and data.</summary>
[Cmdlet(VerbsCommon.Remove, "Monitoring", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(MonitoringStack))]
public sealed class RemoveMonitoringCommand : DevOpsToolsCmdlet
{
    /// <summary>The environment's name; a MonitoringStack or an environment definition binds by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(MonitoringEnvironmentCompleter))]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string Environment { get; set; } = string.Empty;

    /// <summary>No confirmation prompt (the stack's metrics history is deleted).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecordCore()
    {
        var environment = Environment;
        var installer = new MonitoringInstaller(ModuleData.Default);
        var target = installer.StackDirectory(environment);
        if (!Directory.Exists(target))
        {
            WriteEngineError(new DevOpsToolsException(ErrorIds.MonitoringNotInstalled, ErrorKind.ObjectNotFound,
                $"Monitoring of {environment} is not installed on this machine ({target} does not exist).", environment));
            return;
        }

        if (!ShouldChange(target, "Stop the monitoring stack and delete its configuration and metrics", Force))
        {
            return;
        }

        var changes = RunEngine(context => installer.RemoveAsync(environment, apply: true, context));
        foreach (var change in changes ?? [])
        {
            WriteVerbose($"{environment}: {change}");
        }

        WriteObject(new MonitoringStack
        {
            Environment = environment, Status = MonitoringStackStatus.Removed, PrometheusUrl = string.Empty, AlertmanagerUrl = string.Empty,
            BlackboxUrl = string.Empty, NodeExporterUrl = string.Empty, Changes = changes ?? [], Directory = target,
        });
    }
}
