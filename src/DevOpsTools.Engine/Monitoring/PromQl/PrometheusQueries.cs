using System.Globalization;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.PromQl;

/// <summary>
/// The metric and label names Get-ServiceStats reads from Prometheus. The defaults are the
/// conventional ones: the app's http_requests_total counter with a code label, its
/// http_request_duration_seconds histogram, blackbox_exporter's probe_success, and the app label
/// Install-Monitoring gives every target of an app (job app-metrics for its /metrics, blackbox-http
/// and blackbox-tcp for its probes).
/// </summary>
public sealed record PrometheusMetricNames
{
    public string Requests { get; init; } = "http_requests_total";

    /// <summary>The histogram's base name; its _bucket series are read.</summary>
    public string Latency { get; init; } = "http_request_duration_seconds";

    /// <summary>The label whose value is the service's name.</summary>
    public string ServiceLabel { get; init; } = "app";

    /// <summary>The label of the counter (and, when it has one, the histogram) holding the HTTP status.</summary>
    public string CodeLabel { get; init; } = "code";

    public void Validate()
    {
        foreach (var (name, value) in new[] { ("RequestMetric", Requests), ("LatencyMetric", Latency) })
        {
            if (!PromQlText.IsMetricName(value))
            {
                throw Invalid(name, $"-{name} '{value}' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).");
            }
        }

        foreach (var (name, value) in new[] { ("ServiceLabel", ServiceLabel), ("CodeLabel", CodeLabel) })
        {
            if (!PromQlText.IsLabelName(value))
            {
                throw Invalid(name, $"-{name} '{value}' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __).");
            }
        }
    }

    internal static DevOpsToolsException Invalid(string name, string message) =>
        new(ErrorIds.PrometheusSettingsInvalid, ErrorKind.InvalidArgument, message, name);
}

/// <summary>
/// The PromQL of one Get-ServiceStats run: instant queries whose range selectors cover the window,
/// each aggregated by the service label so one query answers for every service at once.
/// </summary>
public sealed class PrometheusQueries
{
    public static readonly double[] Quantiles = [0.5, 0.9, 0.95, 0.99];

    private readonly PrometheusMetricNames _names;
    private readonly string _range;
    private readonly string _matchers;
    private readonly string _success;

    /// <param name="services">The services asked for; empty: every service Prometheus has data of.</param>
    /// <param name="matchers">Extra label matchers as PromQL text, checked by PromQlText.CheckMatcher.</param>
    /// <param name="labels">Extra labels that must equal these values (environment = the environment's name), passed as data.</param>
    public PrometheusQueries(PrometheusMetricNames names, IReadOnlyCollection<string> services, TimeSpan window,
        IEnumerable<string>? matchers = null, IEnumerable<KeyValuePair<string, string>>? labels = null, int minStatus = 200, int maxStatus = 299)
    {
        names.Validate();
        _names = names;
        _range = PromQlText.Range(window);
        var service = services.Count switch
        {
            0 => $"{names.ServiceLabel}!=\"\"",
            1 => $"{names.ServiceLabel}={PromQlText.Quote(services.First())}",
            _ => $"{names.ServiceLabel}=~{PromQlText.Quote(string.Join('|', services.Distinct(StringComparer.Ordinal).Select(PromQlText.RegexLiteral)))}",
        };
        var parts = new List<string> { service };
        foreach (var (label, value) in labels ?? [])
        {
            if (!PromQlText.IsLabelName(label))
            {
                throw PrometheusMetricNames.Invalid("Label", $"'{label}' is not a Prometheus label name.");
            }

            parts.Add($"{label}={PromQlText.Quote(value)}");
        }

        parts.AddRange((matchers ?? []).Select(PromQlText.CheckMatcher));
        _matchers = string.Join(',', parts);
        _success = $"{names.CodeLabel}=~{PromQlText.Quote(PromQlText.StatusRange(minStatus, maxStatus))}";
    }

    private string By => _names.ServiceLabel;

    private string Selector(string metric, string? more = null) => $"{metric}{{{_matchers}{(more is null ? "" : "," + more)}}}";

    /// <summary>Requests over the window, by service.</summary>
    public string Requests => $"sum by ({By}) (increase({Selector(_names.Requests)}[{_range}]))";

    /// <summary>Requests whose code is a success over the window, by service.</summary>
    public string Successes => $"sum by ({By}) (increase({Selector(_names.Requests, _success)}[{_range}]))";

    /// <summary>Requests whose code is not a success, by service and code.</summary>
    public string FailuresByCode =>
        $"sum by ({By}, {_names.CodeLabel}) (increase({Selector(_names.Requests, _success.Replace("=~", "!~", StringComparison.Ordinal))}[{_range}]))";

    /// <summary>
    /// A latency quantile in seconds, by service: of successes when the histogram has the code
    /// label, of every request when it has none ("or" keeps the right side only for services the
    /// left side lacks). NaN when there was no request in the window.
    /// </summary>
    public string Quantile(double q)
    {
        var bucket = _names.Latency + "_bucket";
        var ok = $"sum by ({By}, le) (rate({Selector(bucket, _success)}[{_range}]))";
        var all = $"sum by ({By}, le) (rate({Selector(bucket)}[{_range}]))";
        return $"histogram_quantile({q.ToString("R", CultureInfo.InvariantCulture)}, {ok} or {all})";
    }

    /// <summary>The share of blackbox probes that succeeded over the window, by service.</summary>
    public string ProbeSuccess => $"avg by ({By}) (avg_over_time({Selector("probe_success")}[{_range}]))";

    /// <summary>The share of successful scrapes of the targets that export the request counter, by service.</summary>
    public string Up =>
        $"avg by ({By}) (avg_over_time({Selector("up")}[{_range}]) and on (job, instance) group by (job, instance) (last_over_time({Selector(_names.Requests)}[{_range}])))";
}
