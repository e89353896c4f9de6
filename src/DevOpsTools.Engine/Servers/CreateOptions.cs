namespace DevOpsTools.Engine.Servers;

/// <summary>A server to create and the provider to create it with.</summary>
public sealed record NewServerRequest(string Provider, ServerCreateRequest Request);

/// <summary>How New-Server behaves.</summary>
public sealed class CreateOptions
{
    public int ThrottleLimit { get; init; } = 10;

    /// <summary>
    /// Return as soon as the provider has accepted the launch (state, id, addresses as known): no
    /// host-key read, no connection to the server. Its host key is recorded by a later New-Server
    /// (through the provider, under the same trust rules).
    /// </summary>
    public bool NoWait { get; init; }

    /// <summary>Record the host key (through the provider) but do not wait for SSH: for callers that have no SSH to the servers (tests).</summary>
    public bool SkipSshWait { get; init; }

    /// <summary>
    /// When the provider cannot attest a server's host key, trust the key the server presents on
    /// the first connection (with a warning) instead of failing with HostKeyUnattested.
    /// </summary>
    public bool TrustFirstHostKey { get; init; }

    /// <summary>Time-out of each stage: provider create, host key, SSH readiness (boot).</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan HostKeyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The provider's own settings (AwsSettings, PodmanSettings), passed to providers and EnvironmentContext.Settings.</summary>
    public ServerProviderSettings? Settings { get; init; }
}
