using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Monitoring.Reports;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>
/// Export-ServiceStats -Format Html: user text encoded, nothing external, invariant numbers and UTC
/// times, and charts for no, one and many samples and for samples with absent (null, NaN) figures.
/// Each chart's SVG is parsed as XML, so the markers counted are elements, not substrings.
/// </summary>
public sealed partial class HtmlReportTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 1, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Generated = new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero);

    private static readonly ServiceLevelObjective Availability99 =
        ServiceLevelObjective.From(new SloSettings { Name = "availability 99%", App = "shop", Objective = 99 });

    private static ServiceStats Sample(int minute, string service = "shop", double? p50 = 2.5, long failures = 10, bool slo = false, string target = "http://127.0.0.1:8080/mix") => new()
    {
        Service = service,
        Environment = "test",
        Target = target,
        StartedAt = Start.AddMinutes(minute),
        Window = TimeSpan.FromSeconds(2),
        Status = failures == 100 ? ServiceStatus.Down : failures > 1 ? ServiceStatus.Degraded : ServiceStatus.Healthy,
        Reason = failures > 1 ? "error rate above 1 %: HTTP 503" : null,
        Requests = 100,
        Failures = failures,
        Availability = (100 - failures) / 100.0,
        ErrorRate = failures / 100.0,
        Throughput = 50,
        LatencyP50 = p50,
        LatencyP90 = p50 * 2,
        LatencyP99 = p50 * 4,
        LatencyMax = p50 * 5,
        Slo = slo ? Availability99.Name : null,
        SloObjective = slo ? 99 : null,
        BurnRate = slo ? failures : null,
        ErrorBudgetRemaining = slo ? 1 - failures : null,
        Slos = slo ? [SloResult.Evaluate(Availability99, 100, failures)] : [],
    };

    private static List<XElement> Charts(string html) =>
        ChartPattern().Matches(html).Select(m => XElement.Parse(m.Value)).ToList();

    private static XElement Chart(string html, string key) => Charts(html).Single(c => (string?)c.Attribute("data-chart") == key);

    private static int Points(XElement chart, string series) =>
        chart.Descendants().Single(e => (string?)e.Attribute("data-series") == series).Elements().Count(e => e.Name.LocalName == "circle");

    [Fact]
    public void Markup_in_a_service_name_or_url_is_text_and_only_the_reports_own_script_is_there()
    {
        var evil = "<script>document.title='owned'</script><img src=x onerror=alert(1)>";
        var html = ServiceStatsExport.Render([Sample(0, service: evil, target: "http://127.0.0.1/\"><b>x</b>")], ServiceStatsFormat.Html, Generated);

        Assert.DoesNotContain(evil, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>x</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "<script", RegexOptions.IgnoreCase));
        // The attribute value cannot be closed early either.
        Assert.Contains("data-service=\"&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1/&quot;&gt;&lt;b&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_loads_nothing_and_its_policy_allows_exactly_its_own_style_and_script()
    {
        var html = ServiceStatsExport.Render([Sample(0, target: "https://shop.example.com/healthz")], ServiceStatsFormat.Html, Generated);

        Assert.DoesNotMatch(new Regex(@"\s(src|srcset|action|xlink:href)="), html);
        Assert.All(Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value), href => Assert.StartsWith("#", href, StringComparison.Ordinal));
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", html, StringComparison.Ordinal);

        var policy = Regex.Match(html, "Content-Security-Policy\" content=\"([^\"]+)\"").Groups[1].Value;
        Assert.StartsWith("default-src 'none';", policy, StringComparison.Ordinal);
        var style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        var script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains($"style-src 'sha256-{Sha256(style)}'", policy, StringComparison.Ordinal);
        Assert.Contains($"script-src 'sha256-{Sha256(script)}'", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_are_invariant_and_times_utc_under_a_decimal_comma_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        string html;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var s = Sample(0);
            html = ServiceStatsExport.Render([new ServiceStats
            {
                Service = s.Service, Target = s.Target, Requests = 100, Failures = 1, Availability = 0.99, ErrorRate = 0.01,
                StartedAt = new DateTimeOffset(2026, 12, 4, 3, 4, 5, TimeSpan.FromHours(2)), Window = TimeSpan.FromSeconds(2.5),
                LatencyP50 = 1.25, LatencyP90 = 2.5, LatencyP99 = 12.5, LatencyMax = 1520, Throughput = 40,
            }], ServiceStatsFormat.Html, Generated);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        Assert.Contains("<td class=\"number\">12.5</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"number\">99.00</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"number\">2.50</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>2026-12-04 01:04:05</td>", html, StringComparison.Ordinal);
        Assert.Contains("probed from 2026-12-04 01:04:05 UTC", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"\d,\d"), html);
        // Axes say what they measure and in what unit.
        Assert.Contains(">Latency (ms)</text>", html, StringComparison.Ordinal);
        Assert.Contains(">Availability (%)</text>", html, StringComparison.Ordinal);
        Assert.Contains(">Time (UTC)</text>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void No_samples_give_a_page_that_says_so()
    {
        var html = ServiceStatsExport.Render([], ServiceStatsFormat.Html, Generated);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("No service stats were given", html, StringComparison.Ordinal);
        Assert.Empty(Charts(html));
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
    }

    [Fact]
    public void One_sample_is_a_point_inside_each_chart()
    {
        var html = ServiceStatsExport.Render([Sample(0, slo: true)], ServiceStatsFormat.Html, Generated);
        var charts = Charts(html);
        Assert.Equal(["latency-1", "availability-1", "budget-1", "burn-1"], charts.Select(c => (string?)c.Attribute("data-chart")));
        foreach (var chart in charts)
        {
            Assert.Equal("1", (string?)chart.Attribute("data-samples"));
            var circles = chart.Descendants().Where(e => e.Name.LocalName == "circle").ToList();
            Assert.NotEmpty(circles);
            Assert.All(circles, c =>
            {
                Assert.InRange(double.Parse((string)c.Attribute("cx")!, CultureInfo.InvariantCulture), 100, SvgLineChart.Width - 100);
                Assert.InRange(double.Parse((string)c.Attribute("cy")!, CultureInfo.InvariantCulture), 30, SvgLineChart.Height - 40);
            });
        }

        Assert.Equal(1, Points(charts[0], "p50"));
        Assert.Equal(1, Points(charts[0], "p99"));
        // The tooltip names the figure, the UTC time and the unit.
        Assert.Contains("<title>p99 at 2026-12-04 01:00:00 UTC: 10.0 ms</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_samples_give_one_marker_per_sample_per_series_on_one_line()
    {
        var samples = Enumerable.Range(0, 5).Select(i => Sample(i, p50: 1 + i, failures: i, slo: true)).Reverse().ToList();
        samples.Add(Sample(2, service: "api", failures: 0));
        var html = ServiceStatsExport.Render(samples, ServiceStatsFormat.Html, Generated);

        var latency = Chart(html, "latency-1");
        Assert.Equal("5", (string?)latency.Attribute("data-samples"));
        Assert.All(new[] { "p50", "p90", "p99" }, s => Assert.Equal(5, Points(latency, s)));
        var p50 = latency.Descendants().Single(e => (string?)e.Attribute("data-series") == "p50");
        var path = (string)p50.Elements().Single(e => e.Name.LocalName == "path").Attribute("d")!;
        Assert.Equal(1, path.Count(c => c == 'M'));
        Assert.Equal(4, path.Count(c => c == 'L'));
        // Plotted oldest first although piped newest first: x grows along the path.
        var xs = Regex.Matches(path, @"[ML]([\d.]+) ").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(xs.Order(), xs);
        Assert.Equal(5, Points(Chart(html, "availability-1"), "availability"));
        Assert.Equal(5, Points(Chart(html, "burn-1"), "slo1"));

        // The second service: its own tile, section and charts, with no SLO charts.
        Assert.Equal(1, Points(Chart(html, "latency-2"), "p50"));
        Assert.DoesNotContain(Charts(html), c => (string?)c.Attribute("data-chart") == "burn-2");
        Assert.Equal(2, Regex.Matches(html, "<a class=\"tile ").Count);
        Assert.Contains("data-service=\"api\" data-status=\"Healthy\"", html, StringComparison.Ordinal);
        // The tile shows the latest sample: minute 4, 4 failures, so Degraded.
        Assert.Contains("data-service=\"shop\" data-status=\"Degraded\"", html, StringComparison.Ordinal);
        Assert.Contains("latest of 5 samples, 2026-12-04 01:04:00 UTC", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_without_latency_breaks_the_line_and_none_at_all_says_why()
    {
        var samples = new[] { Sample(0), Sample(1, p50: null, failures: 100), Sample(2, p50: double.NaN), Sample(3) };
        var latency = Chart(ServiceStatsExport.Render(samples, ServiceStatsFormat.Html, Generated), "latency-1");
        Assert.Equal("4", (string?)latency.Attribute("data-samples"));
        Assert.Equal(2, Points(latency, "p50"));
        var p50 = latency.Descendants().Single(e => (string?)e.Attribute("data-series") == "p50");
        Assert.Equal("2", (string?)p50.Attribute("data-points"));
        Assert.Equal(2, ((string)p50.Elements().Single(e => e.Name.LocalName == "path").Attribute("d")!).Count(c => c == 'M'));

        var down = ServiceStatsExport.Render([Sample(0, p50: null, failures: 100)], ServiceStatsFormat.Html, Generated);
        var empty = Chart(down, "latency-1");
        Assert.DoesNotContain(empty.Descendants(), e => e.Name.LocalName == "circle");
        Assert.Contains(empty.Descendants(), e => (string?)e.Attribute("class") == "no-data" && e.Value.Contains("No request succeeded", StringComparison.Ordinal));
        // Availability 0 % is a figure, and is drawn.
        Assert.Equal(1, Points(Chart(down, "availability-1"), "availability"));
        Assert.Contains("<span class=\"symbol\" aria-hidden=\"true\">✕</span> Down", down, StringComparison.Ordinal);
    }

    [Fact]
    public void An_infinite_burn_rate_is_left_off_the_chart_and_written_as_infinity_in_the_table()
    {
        var perfect = ServiceLevelObjective.From(new SloSettings { Name = "perfect", App = "shop", Objective = 100 });
        var result = SloResult.Evaluate(perfect, 100, 1);
        Assert.True(double.IsPositiveInfinity(result.BurnRate!.Value));
        var stats = new ServiceStats
        {
            Service = "shop", Target = "http://127.0.0.1/", StartedAt = Start, Requests = 100, Failures = 1, Availability = 0.99,
            Slo = "perfect", BurnRate = result.BurnRate, ErrorBudgetRemaining = result.ErrorBudgetRemaining, Slos = [result],
        };
        var html = ServiceStatsExport.Render([stats], ServiceStatsFormat.Html, Generated);
        Assert.Equal(0, Points(Chart(html, "burn-1"), "slo1"));
        Assert.Contains("<td class=\"number\">∞</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", html, StringComparison.Ordinal);
    }

    private static string Sha256(string text) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex("<svg class=\"chart\".*?</svg>", RegexOptions.Singleline)]
    private static partial Regex ChartPattern();
}
