namespace DevOpsTools;

/// <summary>What Install-Monitoring did to an environment's stack.</summary>
public enum MonitoringStackStatus
{
    /// <summary>-WhatIf: nothing was changed; Changes says what would be.</summary>
    Planned,

    /// <summary>Started for the first time (or again after its processes were gone).</summary>
    Installed,

    /// <summary>Configuration changed; the running programs reloaded or restarted.</summary>
    Updated,

    /// <summary>Already as asked and running: nothing was done.</summary>
    Unchanged,

    /// <summary>Remove-Monitoring stopped it and deleted its files.</summary>
    Removed,
}

/// <summary>An environment's Prometheus stack on this machine (Install-Monitoring, Remove-Monitoring).</summary>
public sealed class MonitoringStack
{
    public required string Environment { get; init; }

    public MonitoringStackStatus Status { get; init; }

    public required string PrometheusUrl { get; init; }

    public required string AlertmanagerUrl { get; init; }

    public required string BlackboxUrl { get; init; }

    public required string NodeExporterUrl { get; init; }

    /// <summary>Every address Prometheus scrapes or has probed ("blackbox-http: http://127.0.0.1:8080/healthz").</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    public IReadOnlyList<string> Slos { get; init; } = [];

    /// <summary>What changed (or would): files created or changed, programs started, reloaded, stopped.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>The configuration diff of this run (-WhatIf shows it); the webhook's URL never appears in it.</summary>
    public string Diff { get; init; } = string.Empty;

    /// <summary>Configuration, data and logs: the module's data directory, monitoring/&lt;environment&gt;.</summary>
    public required string Directory { get; init; }

    public override string ToString() => $"{Environment}: {PrometheusUrl} ({Status})";
}
