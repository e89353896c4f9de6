namespace DevOpsTools;

/// <summary>
/// Where a port declared on a server is reached from this machine. Podman publishes each declared
/// port on a loopback port chosen at creation; EC2 serves it on the instance's own address. Deploy
/// tells users where their app is from these, and monitoring probes them.
/// </summary>
public sealed record ServerEndpoint
{
    /// <summary>The port the server was declared with (what listens inside the server).</summary>
    public required int Port { get; init; }

    /// <summary>Address that reaches it from this machine (127.0.0.1 for Podman, the instance address for EC2).</summary>
    public required string Address { get; init; }

    /// <summary>Port that reaches it from this machine (the published port for Podman, Port itself for EC2).</summary>
    public required int HostPort { get; init; }

    /// <summary>"address:hostPort", bracketed for IPv6, ready for a URL or a TCP client.</summary>
    public override string ToString() => Address.Contains(':') ? $"[{Address}]:{HostPort}" : $"{Address}:{HostPort}";
}
