using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools;

/// <summary>How a service fared over the window, by the rules in ServiceStatsRules.</summary>
public enum ServiceStatus
{
    /// <summary>Every rule met: error rate within the limit, p99 within the latency objective, every SLO met.</summary>
    Healthy,

    /// <summary>Serving, but an SLO is breached, the error rate is above the limit (1 % by default) or p99 above the latency objective.</summary>
    Degraded,

    /// <summary>No request succeeded.</summary>
    Down,

    /// <summary>No data to judge by: Prometheus has no series of the service over the window (Reason says which were looked for).</summary>
    Unknown,
}

/// <summary>
/// One service's statistics over one window: traffic, errors and latency (of successes apart
/// from failures, as the golden signals ask). Latencies are in milliseconds; every figure names
/// the source it came from in Sources ("probe": the built-in active probe engine; "prometheus":
/// PromQL over the app's own metrics and blackbox probes). A figure without an entry in Sources
/// had no data and its value is not a measurement.
/// </summary>
public sealed class ServiceStats
{
    public required string Service { get; init; }

    public string? Environment { get; init; }

    /// <summary>The URL probed.</summary>
    public required string Target { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the probe ran (first request sent to last answer).</summary>
    public TimeSpan Window { get; init; }

    public ServiceStatus Status { get; init; }

    /// <summary>Why the status is not Healthy (the rule that failed and the most frequent error); null when Healthy.</summary>
    public string? Reason { get; init; }

    /// <summary>Successes / requests, 0 to 1.</summary>
    public double Availability { get; init; }

    /// <summary>Failures / requests, 0 to 1.</summary>
    public double ErrorRate { get; init; }

    public long Requests { get; init; }

    public long Failures { get; init; }

    /// <summary>Requests completed per second of the window.</summary>
    public double Throughput { get; init; }

    public double? LatencyP50 { get; init; }

    public double? LatencyP90 { get; init; }

    public double? LatencyP95 { get; init; }

    public double? LatencyP99 { get; init; }

    public double? LatencyMax { get; init; }

    /// <summary>The p99 the service was held to, in milliseconds; null when none was asked.</summary>
    public double? LatencyObjective { get; init; }

    /// <summary>The SLO the service is held to (of several, the one with the least budget left); null when none.</summary>
    public string? Slo { get; init; }

    /// <summary>That SLO's objective in percent (99.9).</summary>
    public double? SloObjective { get; init; }

    public SloKind? SloKind { get; init; }

    /// <summary>Latency SLOs: requests slower than this many milliseconds are bad.</summary>
    public int? SloLatencyThresholdMs { get; init; }

    /// <summary>That SLO's bad events, counted exactly while probing: failures, plus successes slower than a latency SLO's threshold.</summary>
    public long? BadEvents { get; init; }

    /// <summary>The share of that SLO's error budget left if the probe's bad-event ratio held for its whole window (negative: overspent).</summary>
    public double? ErrorBudgetRemaining { get; init; }

    /// <summary>How many times faster than the SLO allows the probe's bad-event ratio spends its budget (1: exactly on budget).</summary>
    public double? BurnRate { get; init; }

    /// <summary>Any SLO breached over the probe's window (burn rate above 1).</summary>
    public bool SloBreached { get; init; }

    /// <summary>Every SLO the service is held to, scored on the probe's window.</summary>
    public IReadOnlyList<SloResult> Slos { get; init; } = [];

    /// <summary>HTTPS: when the server's certificate expires.</summary>
    public DateTimeOffset? CertificateExpiresAt { get; init; }

    /// <summary>HTTPS: whole days until the certificate expires (negative once expired).</summary>
    public int? CertificateDaysLeft { get; init; }

    /// <summary>Deployments: instances ready to serve, as the platform reports them (running containers, the Deployment's readyReplicas); null for URLs and servers.</summary>
    public int? ReplicasReady { get; init; }

    /// <summary>Deployments: instances the current revision asks for. Fewer ready makes the service Degraded, none Down, whatever the probe saw.</summary>
    public int? ReplicasDesired { get; init; }

    /// <summary>Deployments: restarts of the current revision's instances, summed (podman's RestartCount, the pods' restartCount).</summary>
    public long? Restarts { get; init; }

    /// <summary>Deployments: CPU of the instances in percent of one core, summed (150: one and a half cores).</summary>
    public double? CpuPercent { get; init; }

    /// <summary>Deployments: memory in use by the instances, summed, in bytes.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>Why a platform figure is null (no metrics API, host unreachable), by property name.</summary>
    public IReadOnlyDictionary<string, string> Unavailable { get; init; } = new Dictionary<string, string>();

    /// <summary>Each failure reason ("HTTP 503", "connection refused", "timed out after 10s") and how often it happened.</summary>
    public IReadOnlyDictionary<string, long> Errors { get; init; } = new Dictionary<string, long>();

    /// <summary>Where each figure came from, by property name.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>();

    public override string ToString() => $"{Service} {Status} ({Availability:P2}, {Requests} requests)";
}
