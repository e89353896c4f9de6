using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Kubernetes;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Engine.Deploy;

/// <summary>Where a promotion reads the running image from when the caller names no source servers.</summary>
public static class PromotionSources
{
    /// <summary>
    /// The servers of <paramref name="fromEnvironment"/> with the same provider (and connection)
    /// as the servers being deployed to; none when deploying to this machine, whose own Podman
    /// then is the source too.
    /// </summary>
    public static async Task<IReadOnlyList<Server>> ServersAsync(IReadOnlyList<Server> targets, string fromEnvironment, ModuleData data, EngineContext context)
    {
        if (targets.Count == 0)
        {
            return [];
        }

        var first = targets[0];
        var servers = await new ServerManager(data, first.Connection).ListAsync(first.Provider, fromEnvironment, context).ConfigureAwait(false);
        if (servers.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.PromotionSourceMissing, ErrorKind.ObjectNotFound,
                $"Cannot promote from {fromEnvironment}: the {first.Provider} provider has no servers in that environment.", fromEnvironment)
            {
                RecommendedAction = "Name the source servers with -FromServer (Get-Server -Environment <name>).",
            };
        }

        return servers;
    }

    /// <summary>Another cluster to promote from: a kubeconfig (null: KUBECONFIG, else ~/.kube/config) and a context in it (null: its current one).</summary>
    public sealed record KubernetesSource(string? KubeconfigPath, string? Context);

    /// <summary>
    /// The digest that runs, healthy, in <paramref name="fromEnvironment"/>'s namespace of another
    /// cluster (preprod's, when prod is elsewhere), read through a client of its own for this call.
    /// </summary>
    public static async Task<PromotedImage> FromClusterAsync(string appName, string fromEnvironment, KubernetesSource source, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var factory = KubernetesTargetFactory.FromKubeconfig(source.KubeconfigPath, source.Context);
        var target = factory.ForCluster(fromEnvironment);
        context.Output.WriteVerbose($"Reading the image of {appName} in {fromEnvironment} from {target.Name} ({factory.Server}).");
        return await Rollout.PromotedImageAsync(appName, fromEnvironment, [target], context).ConfigureAwait(false);
    }
}
