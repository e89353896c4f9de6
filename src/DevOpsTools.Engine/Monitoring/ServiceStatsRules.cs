using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>The figures the status rules look at.</summary>
internal sealed record ProbeFigures(long Requests, long Failures, TimeSpan Window, double? P99, IReadOnlyDictionary<string, long> Errors);

/// <summary>
/// The status rules, in order: Down when no request succeeded; Degraded when an SLO is breached
/// (more bad events than its objective allows), the error rate is above MaxErrorRate (1 % by
/// default) or the p99 of successes is above the latency objective; Healthy otherwise. Reason
/// names every rule that failed ("; " between them), the SLO's figure and objective, and the most
/// frequent error.
/// </summary>
internal static class ServiceStatsRules
{
    private static readonly string[] ProbeFiguresNames =
    [
        "Availability", "ErrorRate", "Requests", "Failures", "Throughput",
        "LatencyP50", "LatencyP90", "LatencyP95", "LatencyP99", "LatencyMax", "Status",
    ];

    private static readonly string[] SloNames =
    [
        "Slo", "SloObjective", "SloKind", "SloLatencyThresholdMs", "BadEvents", "ErrorBudgetRemaining", "BurnRate", "SloBreached",
    ];

    public static (ServiceStatus Status, string? Reason) Judge(ProbeFigures figures, ProbeSettings settings, IReadOnlyList<SloResult>? slos = null)
    {
        var worst = figures.Errors.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key).FirstOrDefault();
        var failures = worst is null ? string.Empty : $" (mostly {worst})";
        if (figures.Requests == 0)
        {
            return (ServiceStatus.Down, "no request completed");
        }

        if (figures.Failures == figures.Requests)
        {
            return (ServiceStatus.Down, string.Join("; ", new[] { $"all {figures.Requests} requests failed{failures}" }
                .Concat((slos ?? []).Where(r => r.Breached).Select(r => r.Describe()))));
        }

        var reasons = (slos ?? []).Where(r => r.Breached).Select(r => r.Describe()).ToList();
        var errorRate = (double)figures.Failures / figures.Requests;
        if (errorRate > settings.MaxErrorRate)
        {
            reasons.Add($"error rate {errorRate:P2} is above {settings.MaxErrorRate:P2}{failures}");
        }

        if (settings.LatencyObjective is { } objective && figures.P99 is { } p99 && p99 > objective.TotalMilliseconds)
        {
            reasons.Add($"p99 {p99:0.###} ms is above the objective {objective.TotalMilliseconds:0.###} ms");
        }

        return reasons.Count == 0 ? (ServiceStatus.Healthy, null) : (ServiceStatus.Degraded, string.Join("; ", reasons));
    }

    public static IReadOnlyDictionary<string, string> ProbeSources(bool certificate, bool slo = false)
    {
        var sources = ProbeFiguresNames.Concat(slo ? SloNames : []).ToDictionary(n => n, _ => "probe", StringComparer.Ordinal);
        if (certificate)
        {
            sources["CertificateExpiresAt"] = "probe";
            sources["CertificateDaysLeft"] = "probe";
        }

        return sources;
    }
}
