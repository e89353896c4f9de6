using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>
/// ServiceStats in the Prometheus text exposition format (0.0.4), the format node_exporter's
/// textfile collector and the Pushgateway read: one family per figure with HELP and TYPE, every
/// sample of a family together, base units (seconds, ratios), and labels service, environment and
/// target. All are gauges: each file is one probe window's snapshot, not a running counter.
/// </summary>
public static class PrometheusText
{
    private sealed record Family(string Name, string Help, Func<ServiceStats, IEnumerable<(string? ExtraLabel, string? ExtraValue, double? Value)>> Samples);

    private static IEnumerable<(string?, string?, double?)> One(double? value) => [(null, null, value)];

    private static IEnumerable<(string?, string?, double?)> PerSlo(ServiceStats s, Func<DevOpsTools.Engine.Monitoring.Slo.SloResult, double?> figure) =>
        s.Slos.Select(o => ((string?)"slo", (string?)o.Name, figure(o)));

    private static double? Seconds(double? milliseconds) => milliseconds / 1000;

    // A figure its source had no data for (Get-ServiceStats from Prometheus: no series) is left out, not written as 0.
    private static double? Measured(ServiceStats s, string name, double value) =>
        s.Sources.Count > 0 && !s.Sources.ContainsKey(name) ? null : value;

    private static readonly Family[] Families =
    [
        new("devopstools_service_up", "1 when the service answered in the window (Status Healthy or Degraded), 0 when Down.", s => One(s.Status switch { ServiceStatus.Down => 0, ServiceStatus.Unknown => null, _ => 1 })),
        new("devopstools_service_status", "1 for the service's status over the window, 0 for the others.",
            s => Enum.GetValues<ServiceStatus>().Select(v => ((string?)"status", (string?)v.ToString(), (double?)(s.Status == v ? 1 : 0)))),
        new("devopstools_service_availability_ratio", "Successful requests over requests in the window, 0 to 1.", s => One(Measured(s, "Availability", s.Availability))),
        new("devopstools_service_error_ratio", "Failed requests over requests in the window, 0 to 1.", s => One(Measured(s, "ErrorRate", s.ErrorRate))),
        new("devopstools_service_probe_requests", "Requests the probe sent in the window.", s => One(Measured(s, "Requests", s.Requests))),
        new("devopstools_service_probe_failures", "Requests that failed in the window.", s => One(Measured(s, "Failures", s.Failures))),
        new("devopstools_service_throughput_requests_per_second", "Requests completed per second of the window.", s => One(Measured(s, "Throughput", s.Throughput))),
        // Gauges may not carry the reserved "quantile" label (promtool refuses it outside a summary, and a
        // summary needs a running _sum and _count a window's snapshot does not have): "percentile" it is.
        new("devopstools_service_latency_seconds", "Latency percentiles of the successful requests in the window (100 is the max).",
            s => new (string?, string?, double?)[]
            {
                ("percentile", "50", Seconds(s.LatencyP50)), ("percentile", "90", Seconds(s.LatencyP90)), ("percentile", "95", Seconds(s.LatencyP95)),
                ("percentile", "99", Seconds(s.LatencyP99)), ("percentile", "100", Seconds(s.LatencyMax)),
            }),
        new("devopstools_service_latency_objective_seconds", "The p99 latency the service is held to.", s => One(Seconds(s.LatencyObjective))),
        new("devopstools_service_slo_objective_ratio", "Each SLO's objective, 0 to 1.", s => PerSlo(s, o => o.Objective / 100)),
        new("devopstools_service_slo_burn_rate", "Each SLO's burn rate over the window: bad-event ratio over the error budget.", s => PerSlo(s, o => o.BurnRate)),
        new("devopstools_service_slo_error_budget_remaining_ratio", "The share of each SLO's budget left if the window's ratio held (negative when overspent).", s => PerSlo(s, o => o.ErrorBudgetRemaining)),
        new("devopstools_service_slo_breached", "1 when the window spent an SLO's budget faster than allowed (burn rate above 1).", s => PerSlo(s, o => o.Breached ? 1 : 0)),
        new("devopstools_service_probe_window_seconds", "How long the probe ran.", s => One(s.Window.TotalSeconds)),
        new("devopstools_service_probe_timestamp_seconds", "When the probe started, in Unix seconds.", s => One(s.StartedAt.ToUnixTimeMilliseconds() / 1000.0)),
        new("devopstools_service_certificate_expiry_timestamp_seconds", "When the HTTPS certificate expires, in Unix seconds.",
            s => One(s.CertificateExpiresAt is { } e ? e.ToUnixTimeSeconds() : null)),
    ];

    /// <summary>The families this renders, by name (for documentation and tests).</summary>
    public static IReadOnlyList<string> FamilyNames { get; } = Families.Select(f => f.Name).ToArray();

    public static string Render(IReadOnlyList<ServiceStats> stats)
    {
        var text = new StringBuilder();
        foreach (var family in Families)
        {
            var lines = new List<string>();
            foreach (var s in stats)
            {
                foreach (var (label, labelValue, value) in family.Samples(s))
                {
                    // An absent figure (no success, so no latency) is left out rather than written as 0 or NaN.
                    if (value is { } v)
                    {
                        lines.Add($"{family.Name}{{{Labels(s, label, labelValue)}}} {Format(v)}");
                    }
                }
            }

            if (lines.Count == 0)
            {
                continue;
            }

            text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(" gauge\n");
            foreach (var line in lines)
            {
                text.Append(line).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string Labels(ServiceStats s, string? extra, string? extraValue)
    {
        var labels = new List<string> { $"service=\"{Escape(s.Service)}\"" };
        if (s.Environment is { } environment)
        {
            labels.Add($"environment=\"{Escape(environment)}\"");
        }

        labels.Add($"target=\"{Escape(s.Target)}\"");
        if (extra is not null)
        {
            labels.Add($"{extra}=\"{Escape(extraValue!)}\"");
        }

        return string.Join(',', labels);
    }

    // The exposition format escapes exactly these three in label values.
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
}
