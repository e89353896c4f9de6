namespace DevOpsTools;

/// <summary>
/// A server, as its provider reports it. Every cmdlet that acts on servers binds this type from
/// the pipeline (by value, or from a property named Server), so New-Server | Set-Hardening |
/// Invoke-ServerCommand compose without -PassThru.
/// </summary>
public sealed class Server
{
    public required string Name { get; init; }

    public required string Environment { get; init; }

    /// <summary>Podman or Aws.</summary>
    public required string Provider { get; init; }

    /// <summary>The provider's id: a container id or an EC2 instance id.</summary>
    public string? Id { get; init; }

    /// <summary>Normalised state: Pending, Running, Stopping, Stopped, Terminated, Unknown.</summary>
    public string State { get; set; } = "Unknown";

    /// <summary>Host name or IP address to reach SSH on.</summary>
    public string? Address { get; init; }

    public int SshPort { get; init; } = 22;

    /// <summary>The admin user the module logs in as (key only, with sudo).</summary>
    public string User { get; init; } = "admin";

    /// <summary>Path to the private key file (never its content).</summary>
    public string? IdentityFile { get; init; }

    /// <summary>
    /// A bastion to reach the server through, as "[user@]host[:port]" (OpenSSH ProxyJump): SSH
    /// connects to the bastion first and tunnels to Address:SshPort from there. Both host keys
    /// are pinned by the usual rules. Null: a direct connection.
    /// </summary>
    public string? ProxyJump { get => _proxyJump; init => _proxyJump = value; }

    private string? _proxyJump;

    /// <summary>The same server reached through another bastion (null: directly).</summary>
    public Server WithProxyJump(string? proxyJump)
    {
        var copy = (Server)MemberwiseClone();
        copy._proxyJump = proxyJump;
        return copy;
    }

    /// <summary>SHA256 fingerprint of the host key pinned when the server was created.</summary>
    public string? HostKeyFingerprint { get; set; }

    public string? Role { get; init; }

    public string? Size { get; init; }

    public string? Image { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Application ports the server was declared with; the firewall rule keeps them open.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>For each declared port, the address and port that reach it from this machine.</summary>
    public IReadOnlyList<ServerEndpoint> Endpoints { get; init; } = [];

    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>
    /// Created to host containers (New-Server -ContainerHost, containerHost: true): a Podman
    /// server then has SYS_ADMIN and /dev/fuse for its inner podman. Read back from the
    /// devopstools.container-host label/tag.
    /// </summary>
    public bool ContainerHost { get; init; }

    /// <summary>
    /// Where the server's provider is reached, in the provider's own settings type (Aws: an
    /// AwsSettings with region, profile and endpoint; no secrets), so a piped server reaches the
    /// same place in Remove-Server. Null when the provider needs none (Podman).
    /// </summary>
    public ServerProviderSettings? Connection { get; init; }

    /// <summary>Where the server's SSH endpoint is, as "user@address:port".</summary>
    /// <summary>"environment/name" for module servers, the host name alone for -HostName machines (no environment).</summary>
    public string Label => string.IsNullOrEmpty(Environment) ? Name : $"{Environment}/{Name}";

    public override string ToString() => $"{User}@{Address}:{SshPort} ({Environment}/{Name})";
}
