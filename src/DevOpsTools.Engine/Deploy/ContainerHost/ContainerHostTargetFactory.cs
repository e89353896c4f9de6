using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// The container-host targets of one cmdlet call: this machine's Podman, and servers over one
/// pooled SSH connection each (closed when the factory is disposed).
/// </summary>
public sealed class ContainerHostTargetFactory : IDeployTargetFactory
{
    private readonly SshConnectionPool _pool;
    private readonly ModuleData _data;

    /// <param name="pool">The SSH connections to use and dispose (default: a pool of the module's data; give one with known-hosts files or a key passphrase for -HostName machines).</param>
    public ContainerHostTargetFactory(ModuleData data, SshConnectionPool? pool = null)
    {
        _data = data;
        _pool = pool ?? new SshConnectionPool(data);
    }

    public IDeployTarget ForThisMachine() => ThisMachine();

    private ContainerHostTarget ThisMachine() => new(
        // podman here runs with the same configuration as the Podman provider's (the module's
        // containers.conf when the user has none of their own).
        new LocalHostScriptRunner(PodmanCli.BuildEnvironment().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!)),
        // No systemd here (a container or a plain shell): podman's own restart policy keeps the
        // instances up; the proxy stays on loopback. The state lives in the module's data
        // directory (DEVOPSTOOLS_HOME), private to this user, like the environments' keys.
        new ContainerHostOptions { StateRoot = Path.Combine(_data.Root, "deploy"), BaseImage = PodmanImage.Reference, Supervisor = "restart", ProxyBind = "127.0.0.1", EndpointAddress = "127.0.0.1" });

    public IDeployTarget ForServer(Server server)
    {
        var shell = _pool.GetShell(server);
        var inner = new ContainerHostTarget(
            new RemoteHostScriptRunner(shell),
            // systemd units (SystemdUnit: the shape of podman generate systemd --new) bring the app back after a reboot.
            new ContainerHostOptions { BaseImage = PodmanImage.Reference, Supervisor = "systemd", ProxyBind = "0.0.0.0", EndpointAddress = server.Address ?? server.Name, BuildsProxyImage = false });
        return new ServerDeployTarget(server, shell, inner, ThisMachine());
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
