namespace DevOpsTools.Engine.Servers;

/// <summary>A server to create and the provider to create it with.</summary>
public sealed record NewServerRequest(string Provider, ServerCreateRequest Request);

/// <summary>How New-Server behaves.</summary>
public sealed class CreateOptions
{
    public int ThrottleLimit { get; init; } = 10;

    /// <summary>Return once the provider reports the server running, without waiting for SSH.</summary>
    public bool NoWait { get; init; }

    /// <summary>Time-out of each stage: provider create, host key, SSH readiness (boot).</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan HostKeyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Provider settings (DevOpsTools.AwsSettings for Aws), passed to providers and EnvironmentContext.Settings.</summary>
    public object? Settings { get; init; }
}
