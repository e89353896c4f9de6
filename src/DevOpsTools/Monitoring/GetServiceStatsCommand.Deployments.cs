using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Platform;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// Get-ServiceStats on deployments: the deployment piped in (its platform's figures join the
/// probe's) and -Environment alone (every app the environment has deployed).
/// </summary>
public sealed partial class GetServiceStatsCommand
{
    /// <summary>
    /// The deployment itself, from the pipeline (Deploy-App, Get-AppDeployment): its platform's
    /// figures (replicas, restarts, CPU, memory) join the probe's, and weigh on the status.
    /// </summary>
    [Parameter(ParameterSetName = EndpointSet, ValueFromPipeline = true)]
    public Deployment? Deployment { get; set; }

    /// <summary>The kubeconfig of the cluster whose deployments are probed (default: KUBECONFIG, else ~/.kube/config).</summary>
    [Parameter(ParameterSetName = PrometheusSet)]
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidateNotNullOrEmpty]
    public string? KubeConfig { get; set; }

    /// <summary>With -Environment alone: the kubeconfig context of the cluster (its namespace for the environment is read instead of this machine).</summary>
    [Parameter(ParameterSetName = PrometheusSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Commands.Deploy.KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>Probes the targets; a deployment piped in has its platform's figures read first, and they join each target's result.</summary>
    private IReadOnlyList<ServiceStats> Probe(List<ProbeTarget> targets, ProbeSettings settings)
    {
        var deployment = ParameterSetName == EndpointSet ? Deployment : null;
        var kubeconfig = KubeConfig is null ? null : GetUnresolvedProviderPathFromPSPath(KubeConfig);
        return RunEngine(async context =>
        {
            if (deployment is not null && await DeployedServices.ReadAsync(deployment, kubeconfig, context).ConfigureAwait(false) is { } figures)
            {
                targets = targets.Select(t => t.WithPlatform(figures)).ToList();
            }

            return await ServiceProbe.RunAsync(context, targets, settings, ThrottleLimit).ConfigureAwait(false);
        });
    }

    /// <summary>-Objective for every service, else the environment's SLOs of its app.</summary>
    private IEnumerable<ServiceLevelObjective> SlosOf(string service, EnvironmentDefinition? environment) =>
        Objective is not null || environment is null ? ParameterSlos(service) : ServiceLevelObjective.OfApp(environment, service);

    /// <summary>-Environment alone: every app the environment has deployed, on this machine or on the cluster of -KubeConfig/-Context.</summary>
    private void ProbeEnvironment(string name, EnvironmentDefinition? environment)
    {
        if (!Validation.IsRfc1123Label(name))
        {
            ThrowEngineError(Invalid("Environment", $"-Environment '{name}' is not an environment name (lower-case letters, digits, '-'), a definition or its .yaml file."));
        }

        var settings = SettingsWith(Requests, Duration, Rate);
        var byCluster = KubeConfig is not null || Context is not null;
        var kubeconfig = KubeConfig is null ? null : GetUnresolvedProviderPathFromPSPath(KubeConfig);
        var kubeContext = Context;
        try
        {
            var place = byCluster ? DeploymentPlace.Cluster(kubeconfig, kubeContext) : DeploymentPlace.ThisMachine;
            _results.AddRange(RunEngine(context => DeployedServices.ProbeEnvironmentAsync(context, place, name, app => SlosOf(app, environment), settings, ThrottleLimit)));
        }
        catch (DevOpsToolsException ex) when (ex.ErrorId == ErrorIds.ProbeNoDeployment)
        {
            // Not silence, and not the end of a pipeline of several environments either.
            WriteEngineError(ex, name);
        }
    }
}
