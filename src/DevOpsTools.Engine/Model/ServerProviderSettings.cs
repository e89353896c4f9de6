namespace DevOpsTools;

/// <summary>
/// A server provider's own settings (AwsSettings, PodmanSettings): what an environment file's
/// provider section or a cmdlet's provider parameters say. Each provider owns its type and reads
/// only its own; the shared contracts (ServerManager, EnvironmentContext, Server) carry this base.
/// </summary>
public abstract class ServerProviderSettings
{
    /// <summary>The provider these settings are for ("Aws", "Podman"), as in Server.Provider.</summary>
    public abstract string ProviderName();

    /// <summary>Where the provider is reached: servers with the same key share one provider instance.</summary>
    public virtual string ConnectionKey() => ProviderName();

    /// <summary>Every setting: requests with the same key are created together.</summary>
    public virtual string SettingsKey() => ConnectionKey();

    /// <summary>Only what says where the provider is (no secrets): what a Server carries as its Connection.</summary>
    public abstract ServerProviderSettings ConnectionOnly();
}
