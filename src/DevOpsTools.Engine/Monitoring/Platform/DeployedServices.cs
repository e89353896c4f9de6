using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Deploy.Kubernetes;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>
/// Get-ServiceStats on deployments: the apps an environment has deployed (found as
/// Get-AppDeployment finds one, through <see cref="AppDeployments"/>), each probed at its
/// endpoints with its platform's figures read first.
/// </summary>
public static class DeployedServices
{
    /// <summary>Probes every app recorded in <paramref name="environment"/> where <paramref name="place"/> says: this machine or a cluster's namespace.</summary>
    public static async Task<IReadOnlyList<ServiceStats>> ProbeEnvironmentAsync(EngineContext context, DeploymentPlace place, string environment,
        Func<string, IEnumerable<ServiceLevelObjective>> slosOf, ProbeSettings settings, int throttleLimit)
    {
        await using IDeployTargetFactory factory = place.IsCluster ? KubernetesTargetFactory.FromKubeconfig(place.KubeConfig, place.Context) : new ContainerHostTargetFactory(ModuleData.Default);
        IDeployTarget[] targets = [place.IsCluster ? factory.ForCluster(environment) : factory.ForThisMachine()];
        return await ProbeEnvironmentAsync(context, targets, environment, slosOf, settings, throttleLimit).ConfigureAwait(false);
    }

    /// <summary>
    /// Probes every app recorded in <paramref name="environment"/> on the targets. None recorded is
    /// ProbeNoDeployment (ObjectNotFound); an app without endpoints is a warning, the others are probed.
    /// </summary>
    public static async Task<IReadOnlyList<ServiceStats>> ProbeEnvironmentAsync(EngineContext context, IReadOnlyList<IDeployTarget> targets, string environment,
        Func<string, IEnumerable<ServiceLevelObjective>> slosOf, ProbeSettings settings, int throttleLimit, string? path = null)
    {
        var found = await AppDeployments.ListAsync(environment, targets, context).ConfigureAwait(false);
        if (found.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.ProbeNoDeployment, ErrorKind.ObjectNotFound,
                $"Environment '{environment}' has no app deployed on {string.Join(", ", targets.Select(t => t.Name))}; nothing was probed.", environment)
            { RecommendedAction = "Deploy an app first (Deploy-App -Environment), or give the cluster (-KubeConfig/-Context) the environment is deployed to." };
        }

        var probeTargets = new List<ProbeTarget>();
        foreach (var (target, deployment) in found)
        {
            if (deployment.Endpoints.Count == 0)
            {
                context.Output.WriteWarning($"{environment}/{deployment.App} on {target.Name} has no endpoints to probe ({deployment.Status}).");
                continue;
            }

            var figures = await ReadAsync(target, deployment, context).ConfigureAwait(false);
            var slos = slosOf(deployment.App).ToArray();
            probeTargets.AddRange(deployment.Endpoints.Select(e => ProbeTarget.FromEndpoint(e, deployment.App, environment, path).WithSlos(slos).WithPlatform(figures)));
        }

        return probeTargets.Count == 0 ? [] : await ServiceProbe.RunAsync(context, probeTargets, settings, throttleLimit).ConfigureAwait(false);
    }

    /// <summary>The figures of a deployment from its target's platform (null for a target of no known kind).</summary>
    public static async Task<PlatformFigures?> ReadAsync(IDeployTarget target, Deployment deployment, EngineContext context)
    {
        if (PlatformStatsSources.For(target) is not { } source)
        {
            return null;
        }

        var figures = await source.ReadAsync(deployment, context).ConfigureAwait(false);
        foreach (var (name, why) in figures.Unavailable)
        {
            context.Output.WriteVerbose($"{deployment.Environment}/{deployment.App} on {target.Name}: no {name}: {why}");
        }

        return figures;
    }

    /// <summary>
    /// The figures of a deployment from the pipeline (Deploy-App, Get-AppDeployment): its target
    /// made again from what it records (this machine, its server, its kubeconfig context).
    /// </summary>
    /// <param name="kubeconfig">The kubeconfig of a Kubernetes deployment (default: KUBECONFIG, else ~/.kube/config).</param>
    public static async Task<PlatformFigures?> ReadAsync(Deployment deployment, string? kubeconfig, EngineContext context)
    {
        switch (deployment.TargetKind)
        {
            case "Local":
            case "Host" when deployment.Server is not null:
                await using (var factory = new ContainerHostTargetFactory(ModuleData.Default))
                {
                    var target = deployment.Server is { } server ? factory.ForServer(server) : factory.ForThisMachine();
                    return await ReadAsync(target, deployment, context).ConfigureAwait(false);
                }

            case "Kubernetes":
                // Target is "context/namespace"; the namespace follows from the environment.
                var contextName = deployment.Target.Split('/')[0];
                KubernetesTargetFactory cluster;
                try
                {
                    cluster = KubernetesTargetFactory.FromKubeconfig(kubeconfig, contextName == "in-cluster" ? null : contextName, inCluster: contextName == "in-cluster");
                }
                catch (DevOpsToolsException ex)
                {
                    return PlatformFigures.Unreadable(KubernetesPlatformStats.Source, ex.Message);
                }

                await using (cluster)
                {
                    return await ReadAsync(cluster.ForCluster(deployment.Environment), deployment, context).ConfigureAwait(false);
                }

            default:
                return null;
        }
    }
}

/// <summary>Where -Environment's deployments are looked for: this machine's Podman, or a kubeconfig context's cluster.</summary>
public sealed record DeploymentPlace(bool IsCluster, string? KubeConfig = null, string? Context = null)
{
    public static DeploymentPlace ThisMachine { get; } = new(false);

    /// <param name="kubeConfig">Null: KUBECONFIG, else ~/.kube/config.</param>
    /// <param name="context">Null: the kubeconfig's current-context.</param>
    public static DeploymentPlace Cluster(string? kubeConfig, string? context) => new(true, kubeConfig, context);
}
