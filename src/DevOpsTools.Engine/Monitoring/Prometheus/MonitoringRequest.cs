using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring.Prometheus;

/// <summary>One address blackbox_exporter probes for an app: an HTTP(S) URL, or host:port for TCP.</summary>
public sealed record ProbeTargetSpec(string App, string Protocol, string Address);

/// <summary>The 127.0.0.1 ports of the stack's four programs.</summary>
public sealed record MonitoringPorts(int Prometheus, int Alertmanager, int Blackbox, int NodeExporter)
{
    public static MonitoringPorts Default => new(9090, 9093, 9115, 9100);

    public IEnumerable<int> All => [Prometheus, Alertmanager, Blackbox, NodeExporter];
}

/// <summary>What Install-Monitoring sets up for one environment on this machine.</summary>
public sealed record MonitoringRequest
{
    public required string Environment { get; init; }

    /// <summary>Probed by blackbox_exporter (every endpoint the environment's deployments record).</summary>
    public IReadOnlyList<ProbeTargetSpec> Probes { get; init; } = [];

    /// <summary>Apps' own /metrics, as host:port per app.</summary>
    public IReadOnlyList<(string App, string Address)> MetricsTargets { get; init; } = [];

    public IReadOnlyList<ServiceLevelObjective> Slos { get; init; } = [];

    public MonitoringPorts Ports { get; init; } = MonitoringPorts.Default;

    /// <summary>Where Alertmanager posts alerts (fired and resolved); null: nowhere.</summary>
    public Uri? WebhookUrl { get; init; }

    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long Alertmanager waits to group a new alert before it notifies.</summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(10);
}
