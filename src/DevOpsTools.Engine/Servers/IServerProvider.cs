using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers;

/// <summary>
/// A place servers run (Podman locally, AWS EC2). The provider is the source of truth: every
/// resource carries the labels/tags below and listing queries them; there is no local state.
/// Orchestration (idempotence, throttling, waiting for SSH, rollback) lives in ServerManager,
/// not in providers.
/// </summary>
public interface IServerProvider
{
    /// <summary>"Podman" or "Aws", as in Server.Provider.</summary>
    string Name { get; }

    /// <summary>Fails with ProviderUnavailable / ToolNotInstalled / CloudCredentialsMissing when unusable.</summary>
    Task EnsureAvailableAsync(EngineContext context);

    /// <summary>
    /// Per-environment resources (Podman network; EC2 key pair and security group). Idempotent.
    /// </summary>
    Task PrepareEnvironmentAsync(EnvironmentContext environment, EngineContext context);

    /// <summary>
    /// Starts one server and returns once the provider reports it running, with Address and
    /// SshPort set and, where the provider can tell, HostKeyFingerprint (trust on first use
    /// through the provider). Does not wait for SSH: ServerManager does.
    /// On failure it removes what it created, or throws LeftoverResources naming them.
    /// </summary>
    Task<Server> CreateAsync(ServerCreateRequest request, EnvironmentContext environment, EngineContext context);

    /// <summary>Servers that carry the module's labels, filtered by environment/name (exact; wildcards are applied by the caller).</summary>
    Task<IReadOnlyList<Server>> ListAsync(string? environment, EngineContext context);

    /// <summary>Destroys a server and waits until it is gone. Idempotent for a server already gone.</summary>
    Task RemoveAsync(Server server, EngineContext context);

    /// <summary>Removes per-environment resources once the environment has no server left.</summary>
    Task RemoveEnvironmentResourcesAsync(EnvironmentContext environment, EngineContext context);

    /// <summary>
    /// Sizes beyond small/medium/large that this provider accepts (e.g. EC2 instance types).
    /// ServerManager rejects anything else with UnknownSize before creating anything.
    /// </summary>
    bool SupportsSize(string size) => false;

    /// <summary>The sizes this provider takes, for the UnknownSize error ("small, medium or large").</summary>
    string SizeChoices => "small, medium or large";

    /// <summary>
    /// The server's SSH host key as an OpenSSH public key line ("ssh-ed25519 AAAA..."), read through
    /// the provider (Podman: `podman exec`; EC2: the console output), waiting up to
    /// <paramref name="timeout"/> for the server to generate it. ServerManager records it in
    /// known_hosts (trust on first use through the provider). Null when the provider cannot tell;
    /// ServerManager then fails with HostKeyUnattested unless the user passed -TrustFirstHostKey.
    /// </summary>
    Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, EngineContext context) => Task.FromResult<string?>(null);

    /// <summary>Why <see cref="GetHostKeyAsync"/> returned no key, for the HostKeyUnattested error.</summary>
    string MissingHostKeyReason(Server server, TimeSpan timeout) => $"provider {Name} cannot report SSH host keys";
}

/// <summary>One server to create.</summary>
public sealed record ServerCreateRequest(string Name, string Environment, string Size, string? Image, string? Role, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>Application ports the server exposes (Podman publishes them on 127.0.0.1; EC2 opens them in the group).</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>cloud-init user data (EC2 only), plain text; the provider base64-encodes it.</summary>
    public string? UserData { get; init; }

    /// <summary>
    /// The server hosts containers: Podman runs it with SYS_ADMIN and /dev/fuse (inner podman
    /// needs them; never given to other servers); EC2 takes it as a tag. Recorded on the server.
    /// </summary>
    public bool ContainerHost { get; init; }

    /// <summary>Return as soon as the launch is accepted (state, id, addresses as known), without waiting for it to run.</summary>
    public bool NoWait { get; init; }
}

/// <summary>What every server of one environment shares: its name, SSH key, and provider settings.</summary>
public sealed class EnvironmentContext
{
    public required string Name { get; init; }

    /// <summary>Path of the environment's ed25519 private key (0600).</summary>
    public required string PrivateKeyPath { get; init; }

    /// <summary>OpenSSH one-line public key ("ssh-ed25519 AAAA... devopstools-env").</summary>
    public required string PublicKey { get; init; }

    /// <summary>The admin user servers are created with and the module logs in as.</summary>
    public string AdminUser { get; init; } = "admin";

    /// <summary>The provider's own settings (AwsSettings, PodmanSettings) from the environment file or parameters.</summary>
    public ServerProviderSettings? Settings { get; init; }
}

/// <summary>The label/tag keys every module-created resource carries.</summary>
public static class ResourceLabels
{
    public const string Managed = "devopstools.managed";
    public const string Environment = "devopstools.environment";
    public const string Name = "devopstools.name";
    public const string Role = "devopstools.role";
    public const string Size = "devopstools.size";
    public const string Ports = "devopstools.ports";
    public const string ContainerHost = "devopstools.container-host";

    /// <summary>Ports as a label/tag value: "443,8080".</summary>
    public static string FormatPorts(IEnumerable<int> ports) =>
        string.Join(',', ports.Distinct().Order().Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static IReadOnlyList<int> ParsePorts(string? value) =>
        (value ?? string.Empty).Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : 0)
            .Where(p => p is > 0 and <= 65535).Distinct().Order().ToList();
}
