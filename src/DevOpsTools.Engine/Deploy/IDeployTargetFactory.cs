namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// Makes the targets one cmdlet call acts on, and owns what they share (pooled SSH
/// connections), so disposing it closes them. The cmdlet layer never builds a target itself:
/// a new kind of target (Kubernetes) adds a factory method, not a cmdlet.
/// </summary>
public interface IDeployTargetFactory : IAsyncDisposable
{
    /// <summary>This machine's own Podman (no server and no cluster given).</summary>
    IDeployTarget ForThisMachine();

    /// <summary>A container host reached over SSH (a Podman or EC2 server, or a -HostName machine).</summary>
    IDeployTarget ForServer(Server server);

    /// <summary>The namespace of <paramref name="environment"/> in the factory's cluster (Kubernetes factories only).</summary>
    IDeployTarget ForCluster(string environment) =>
        throw new NotSupportedException($"{GetType().Name} makes no Kubernetes targets.");
}
