using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>
/// One self-contained HTML page of ServiceStats samples: a status tile per service (colour, symbol
/// and word), its charts over time (latency percentiles, availability, and error budget and burn
/// rate when the samples carry an SLO) and a table of each service's latest figures. No external
/// asset: the CSS and the small script (tooltips, and a count of script errors on the html element)
/// are inline, allowed by a Content-Security-Policy that names their hashes and nothing else, so
/// markup that slipped into a service name could not run even if it were not encoded (it is).
/// </summary>
public static class HtmlReport
{
    private static readonly Lazy<string> Style = new(() => Resource("reports/service-stats.css"));
    private static readonly Lazy<string> Script = new(() => Resource("reports/service-stats.js"));

    /// <summary>The samples of one service (same name and environment), oldest first.</summary>
    public sealed record ServiceSeries(string Service, string? Environment, IReadOnlyList<ServiceStats> Samples)
    {
        public ServiceStats Latest => Samples[^1];
    }

    /// <summary>
    /// Groups samples by service name and environment, in the order services first appear, each
    /// service's samples by time. Not by target: a service keeps its history when its URL changes.
    /// </summary>
    public static IReadOnlyList<ServiceSeries> Group(IEnumerable<ServiceStats> stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return stats
            .Where(s => s is not null)
            .GroupBy(s => (s.Service, s.Environment))
            .Select(g => new ServiceSeries(g.Key.Service, g.Key.Environment, g.OrderBy(s => s.StartedAt).ToList()))
            .ToList();
    }

    public static string Render(IEnumerable<ServiceStats> stats, DateTimeOffset generatedAt)
    {
        var services = Group(stats);
        var samples = services.Sum(s => s.Samples.Count);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\" data-script-errors=\"0\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-")
            .Append(Hash(Style.Value)).Append("'; script-src 'sha256-").Append(Hash(Script.Value)).Append("'\">\n");
        html.Append("<meta name=\"generator\" content=\"DevOpsTools Export-ServiceStats\">\n");
        html.Append("<title>Service stats: ").Append(Plural(services.Count, "service")).Append("</title>\n");
        html.Append("<style>").Append(Style.Value).Append("</style>\n");
        html.Append("<script>").Append(Script.Value).Append("</script>\n</head>\n<body>\n");

        html.Append("<header><h1>Service stats</h1><p class=\"summary\">");
        if (samples == 0)
        {
            html.Append("No service stats were given: pipe Get-ServiceStats results to Export-ServiceStats.");
        }
        else
        {
            var all = services.SelectMany(s => s.Samples).ToList();
            html.Append(Plural(services.Count, "service")).Append(", ").Append(Plural(samples, "sample"))
                .Append(", probed from ").Append(HtmlText.Time(all.Min(s => s.StartedAt))).Append(" to ").Append(HtmlText.Time(all.Max(s => s.StartedAt)));
        }

        html.Append(". Generated ").Append(HtmlText.Time(generatedAt)).Append(".</p></header>\n<main>\n");
        if (services.Count > 0)
        {
            Tiles(html, services);
            for (var i = 0; i < services.Count; i++)
            {
                ServiceSection(html, services[i], i);
            }

            LatestTable(html, services);
        }

        html.Append("</main>\n<footer>Latencies are of successful requests; availability is successes over requests; ")
            .Append("error budget remaining and burn rate are each window's figures as if its ratio held for the SLO's whole window. ")
            .Append("Times are UTC; each point is plotted at the time its probe started.</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Tiles(StringBuilder html, IReadOnlyList<ServiceSeries> services)
    {
        html.Append("<section class=\"tiles\" aria-label=\"Status of each service\">\n");
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            var latest = service.Latest;
            html.Append(CultureInfo.InvariantCulture, $"<a class=\"tile status-{latest.Status.ToString().ToLowerInvariant()}\" href=\"#service-{i + 1}\" data-service=\"{HtmlText.Attribute(service.Service)}\" data-status=\"{latest.Status}\">");
            html.Append("<span class=\"status\"><span class=\"symbol\" aria-hidden=\"true\">").Append(Symbol(latest.Status)).Append("</span> ").Append(latest.Status).Append("</span>");
            html.Append("<span class=\"name\">").Append(HtmlText.Encode(service.Service)).Append("</span>");
            html.Append("<span class=\"where\">").Append(HtmlText.Encode(Where(service))).Append("</span>");
            html.Append("<span class=\"figures\">")
                .Append(Figure("availability", HtmlText.Percent(latest.Availability)))
                .Append(Figure("p99", HtmlText.Number(latest.LatencyP99, "ms")));
            if (latest.Slo is not null)
            {
                html.Append(Figure("budget left", HtmlText.Percent(latest.ErrorBudgetRemaining)));
            }

            html.Append("</span>");
            if (latest.Reason is { } reason)
            {
                html.Append("<span class=\"reason\" title=\"").Append(HtmlText.Attribute(reason)).Append("\">").Append(HtmlText.Encode(reason)).Append("</span>");
            }

            html.Append("<span class=\"when\">latest of ").Append(Plural(service.Samples.Count, "sample")).Append(", ").Append(HtmlText.Time(latest.StartedAt)).Append("</span></a>\n");
        }

        html.Append("</section>\n");
    }

    private static void ServiceSection(StringBuilder html, ServiceSeries service, int index)
    {
        var latest = service.Latest;
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"service\" id=\"service-{index + 1}\" data-service=\"{HtmlText.Attribute(service.Service)}\" data-samples=\"{service.Samples.Count}\">\n");
        html.Append("<h2>").Append(HtmlText.Encode(service.Service)).Append(CultureInfo.InvariantCulture, $" <span class=\"badge status-{latest.Status.ToString().ToLowerInvariant()}\">")
            .Append(Symbol(latest.Status)).Append(' ').Append(latest.Status).Append("</span></h2>\n");
        html.Append("<p class=\"where\">").Append(HtmlText.Encode(Where(service))).Append("</p>\n<div class=\"charts\">\n");
        foreach (var chart in Charts(service, index))
        {
            html.Append(SvgLineChart.Render(chart)).Append('\n');
        }

        html.Append("</div>\n</section>\n");
    }

    /// <summary>The charts of one service: latency and availability always, budget and burn rate when a sample carries an SLO.</summary>
    public static IReadOnlyList<ChartSpec> Charts(ServiceSeries service, int index)
    {
        ArgumentNullException.ThrowIfNull(service);
        var samples = service.Samples;
        ChartSeries Line(string key, string name, Func<ServiceStats, double?> value) =>
            new(key, name, samples.Select(s => new ChartPoint(s.StartedAt, value(s))).ToList());

        var latencyObjective = service.Latest.LatencyObjective;
        var availabilitySlo = service.Latest.Slos.FirstOrDefault(o => o.Kind == SloKind.Availability);
        var charts = new List<ChartSpec>
        {
            new()
            {
                Key = $"latency-{index + 1}",
                Title = "Latency percentiles",
                AxisLabel = "Latency (ms)",
                FormatValue = v => HtmlText.Number(v, "ms"),
                Series = [Line("p50", "p50", s => s.LatencyP50), Line("p90", "p90", s => s.LatencyP90), Line("p99", "p99", s => s.LatencyP99)],
                References = latencyObjective is { } objective ? [new ChartReference(objective, $"p99 objective {HtmlText.Number(objective, "ms")}")] : [],
                Include = [0],
                EmptyText = "No request succeeded: no latency to plot.",
            },
            new()
            {
                Key = $"availability-{index + 1}",
                Title = "Availability",
                AxisLabel = "Availability (%)",
                FormatValue = v => HtmlText.Number(v, "%"),
                Series = [Line("availability", "availability", s => s.Requests == 0 ? null : s.Availability * 100)],
                References = availabilitySlo is null ? [] : [new ChartReference(availabilitySlo.Objective, $"SLO {availabilitySlo.Objective.ToString("0.###", CultureInfo.InvariantCulture)} %")],
                // 100 % is always on the axis: the distance from it is what the reader looks for.
                Include = [100],
                Ceiling = 100,
                EmptyText = "No request completed.",
            },
        };

        // Every SLO any sample was scored on, in first-seen order: one line each.
        var slos = samples.SelectMany(s => s.Slos).Select(o => o.Name).Distinct(StringComparer.Ordinal).ToList();
        if (slos.Count > 0)
        {
            IReadOnlyList<ChartSeries> PerSlo(Func<SloResult, double?> figure) => slos
                .Select((name, i) => Line($"slo{(i % 4) + 1}", name, s => s.Slos.FirstOrDefault(o => o.Name == name) is { } o ? figure(o) : null))
                .ToList();

            charts.Add(new ChartSpec
            {
                Key = $"budget-{index + 1}",
                Title = "Error budget remaining",
                AxisLabel = "Budget remaining (%)",
                FormatValue = v => HtmlText.Number(v, "%"),
                Series = PerSlo(o => o.ErrorBudgetRemaining * 100),
                References = [new ChartReference(0, "budget spent")],
                Include = [100],
                EmptyText = "No request completed: no budget to score.",
            });
            charts.Add(new ChartSpec
            {
                Key = $"burn-{index + 1}",
                Title = "Burn rate",
                AxisLabel = "Burn rate (×)",
                FormatValue = v => HtmlText.Number(v, "×"),
                Series = PerSlo(o => o.BurnRate),
                References = [new ChartReference(1, "1× on budget")],
                Include = [0],
                EmptyText = "No request completed: no burn rate to score.",
            });
        }

        return charts;
    }

    private static void LatestTable(StringBuilder html, IReadOnlyList<ServiceSeries> services)
    {
        string[] headings =
        [
            "Service", "Environment", "Status", "Probed at (UTC)", "Window (s)", "Requests", "Failures", "Availability (%)",
            "p50 (ms)", "p90 (ms)", "p99 (ms)", "Max (ms)", "Throughput (req/s)", "SLO", "Budget remaining (%)", "Burn rate (×)", "Reason",
        ];
        html.Append("<section class=\"latest\"><h2>Latest figures</h2><div class=\"table-scroll\"><table>\n<thead><tr>");
        foreach (var heading in headings)
        {
            html.Append("<th scope=\"col\">").Append(HtmlText.Encode(heading)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var service in services)
        {
            var s = service.Latest;
            html.Append(CultureInfo.InvariantCulture, $"<tr data-service=\"{HtmlText.Attribute(s.Service)}\"><th scope=\"row\">").Append(HtmlText.Encode(s.Service)).Append("</th>");
            Cell(html, s.Environment ?? "–");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"status-{s.Status.ToString().ToLowerInvariant()}\">").Append(Symbol(s.Status)).Append(' ').Append(s.Status).Append("</td>");
            Cell(html, s.StartedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            Cell(html, HtmlText.Number(s.Window.TotalSeconds), numeric: true);
            Cell(html, s.Requests.ToString(CultureInfo.InvariantCulture), numeric: true);
            Cell(html, s.Failures.ToString(CultureInfo.InvariantCulture), numeric: true);
            Cell(html, s.Requests == 0 ? "–" : (s.Availability * 100).ToString("0.00", CultureInfo.InvariantCulture), numeric: true);
            foreach (var latency in new[] { s.LatencyP50, s.LatencyP90, s.LatencyP99, s.LatencyMax })
            {
                Cell(html, HtmlText.Number(latency), numeric: true);
            }

            Cell(html, HtmlText.Number(s.Throughput), numeric: true);
            Cell(html, s.Slo ?? "–");
            Cell(html, HtmlText.Number(s.ErrorBudgetRemaining * 100), numeric: true);
            Cell(html, HtmlText.Number(s.BurnRate), numeric: true);
            Cell(html, s.Reason ?? "");
            html.Append("</tr>\n");
        }

        html.Append("</tbody></table></div></section>\n");
    }

    private static void Cell(StringBuilder html, string text, bool numeric = false) =>
        html.Append(numeric ? "<td class=\"number\">" : "<td>").Append(HtmlText.Encode(text)).Append("</td>");

    private static string Figure(string name, string value) =>
        $"<span class=\"figure\"><span class=\"value\">{HtmlText.Encode(value)}</span> <span class=\"label\">{HtmlText.Encode(name)}</span></span>";

    // A symbol and a word beside the colour: the status reads without colour vision.
    private static string Symbol(ServiceStatus status) => status switch
    {
        ServiceStatus.Healthy => "✓",
        ServiceStatus.Degraded => "▲",
        _ => "✕",
    };

    private static string Where(ServiceSeries service) =>
        service.Environment is { } environment ? $"{environment} · {service.Latest.Target}" : service.Latest.Target;

    private static string Plural(int count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");

    internal static string Hash(string content) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The engine lacks its embedded resource {name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
