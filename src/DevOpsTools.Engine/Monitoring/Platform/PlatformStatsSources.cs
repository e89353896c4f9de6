using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Deploy.Kubernetes;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>The platform source of each kind of deploy target.</summary>
public static class PlatformStatsSources
{
    /// <summary>podman (this machine), ssh (a container host's podman over its SSH session), kubernetes; null for a target of no known kind.</summary>
    public static IPlatformStatsSource? For(IDeployTarget target) => target switch
    {
        ContainerHostTarget host => new ContainerHostPlatformStats(host, host.Server is null ? "podman" : "ssh"),
        ServerDeployTarget server => new ContainerHostPlatformStats(server.Host, "ssh"),
        KubernetesTarget cluster => new KubernetesPlatformStats(cluster),
        _ => null,
    };
}
