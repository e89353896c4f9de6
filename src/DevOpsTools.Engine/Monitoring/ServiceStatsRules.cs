namespace DevOpsTools.Engine.Monitoring;

/// <summary>The figures the status rules look at.</summary>
internal sealed record ProbeFigures(long Requests, long Failures, TimeSpan Window, double? P99, IReadOnlyDictionary<string, long> Errors);

/// <summary>
/// The status rules, in order: Down when no request succeeded; Degraded when the error rate is
/// above MaxErrorRate (1 % by default) or the p99 of successes is above the latency objective;
/// Healthy otherwise. Reason names the rule and the most frequent error.
/// </summary>
internal static class ServiceStatsRules
{
    private static readonly string[] ProbeFiguresNames =
    [
        "Availability", "ErrorRate", "Requests", "Failures", "Throughput",
        "LatencyP50", "LatencyP90", "LatencyP95", "LatencyP99", "LatencyMax", "Status",
    ];

    public static (ServiceStatus Status, string? Reason) Judge(ProbeFigures figures, ProbeSettings settings)
    {
        var worst = figures.Errors.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key).FirstOrDefault();
        var failures = worst is null ? string.Empty : $" (mostly {worst})";
        if (figures.Requests == 0)
        {
            return (ServiceStatus.Down, "no request completed");
        }

        if (figures.Failures == figures.Requests)
        {
            return (ServiceStatus.Down, $"all {figures.Requests} requests failed{failures}");
        }

        var errorRate = (double)figures.Failures / figures.Requests;
        if (errorRate > settings.MaxErrorRate)
        {
            return (ServiceStatus.Degraded, $"error rate {errorRate:P2} is above {settings.MaxErrorRate:P2}{failures}");
        }

        if (settings.LatencyObjective is { } objective && figures.P99 is { } p99 && p99 > objective.TotalMilliseconds)
        {
            return (ServiceStatus.Degraded, $"p99 {p99:0.###} ms is above the objective {objective.TotalMilliseconds:0.###} ms");
        }

        return (ServiceStatus.Healthy, null);
    }

    public static IReadOnlyDictionary<string, string> ProbeSources(bool certificate)
    {
        var sources = ProbeFiguresNames.ToDictionary(n => n, _ => "probe", StringComparer.Ordinal);
        if (certificate)
        {
            sources["CertificateExpiresAt"] = "probe";
            sources["CertificateDaysLeft"] = "probe";
        }

        return sources;
    }
}
