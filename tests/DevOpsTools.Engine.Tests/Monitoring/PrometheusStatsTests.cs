using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.PromQl;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>
/// How the answers of Prometheus become ServiceStats: figures only where there is data (NaN and
/// ±Inf are none), Sources "prometheus" for those, Unknown with a Reason for a service without any
/// series, and the status rules. The answers are parsed from the API's own JSON.
/// </summary>
public sealed class PrometheusStatsTests
{
    private static readonly Uri Url = new("http://127.0.0.1:9090");
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 1, 0, 0, TimeSpan.Zero);

    /// <summary>A vector answer: one series per (labels, value) pair, the value as Prometheus writes it.</summary>
    private static IReadOnlyList<PromSample> Vector(params (string Labels, string Value)[] series) =>
        PrometheusClient.ParseResponse("q", 200,
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
            + string.Join(',', series.Select(s => $"{{\"metric\":{{{s.Labels}}},\"value\":[1764810000,\"{s.Value}\"]}}")) + "]}}", Url);

    private static PrometheusAnswers Answers(
        IReadOnlyList<PromSample>? requests = null, IReadOnlyList<PromSample>? successes = null, IReadOnlyList<PromSample>? failures = null,
        IReadOnlyList<PromSample>? p50 = null, IReadOnlyList<PromSample>? p99 = null, IReadOnlyList<PromSample>? probes = null, IReadOnlyList<PromSample>? up = null) =>
        new(requests ?? [], successes ?? [], failures ?? [], [p50 ?? [], [], [], p99 ?? []], probes ?? [], up ?? []);

    private static PrometheusStatsRequest Request(params string[] services) =>
        new() { Url = Url, Services = services, Window = TimeSpan.FromHours(1), Environment = "prod" };

    [Fact]
    public void A_service_with_requests_errors_and_latencies_gets_every_figure_from_prometheus()
    {
        var answers = Answers(
            requests: Vector(("\"app\":\"shop\"", "400.4")),
            successes: Vector(("\"app\":\"shop\"", "380.2")),
            failures: Vector(("\"app\":\"shop\",\"code\":\"503\"", "20.2")),
            p50: Vector(("\"app\":\"shop\"", "0.0175")),
            p99: Vector(("\"app\":\"shop\"", "0.245")),
            probes: Vector(("\"app\":\"shop\"", "1")));
        var s = Assert.Single(PrometheusStats.Summarize(Request("shop"), answers, Now));
        Assert.Equal("shop", s.Service);
        Assert.Equal("prod", s.Environment);
        Assert.Equal("http://127.0.0.1:9090/ app=\"shop\"", s.Target);
        Assert.Equal(Now.AddHours(-1), s.StartedAt);
        Assert.Equal(400, s.Requests);
        Assert.Equal(20, s.Failures);
        Assert.Equal(0.05, s.ErrorRate);
        Assert.Equal(400 / 3600.0, s.Throughput);
        Assert.Equal(17.5, s.LatencyP50!.Value, 6);
        Assert.Equal(245, s.LatencyP99!.Value, 6);
        Assert.Null(s.LatencyP90);
        Assert.Null(s.LatencyMax);
        Assert.Equal(1, s.Availability);
        Assert.Equal(20, s.Errors["HTTP 503"]);
        Assert.Equal(ServiceStatus.Degraded, s.Status);
        Assert.Equal("error rate 5.00 % is above 1.00 % (mostly HTTP 503)", s.Reason);
        foreach (var name in new[] { "Requests", "Failures", "ErrorRate", "Throughput", "LatencyP50", "LatencyP99", "Availability", "Status" })
        {
            Assert.Equal("prometheus", s.Sources[name]);
        }

        Assert.False(s.Sources.ContainsKey("LatencyP90"));
        Assert.False(s.Sources.ContainsKey("LatencyMax"));
    }

    [Fact]
    public void NaN_and_infinite_quantiles_are_no_data_and_an_idle_service_is_healthy()
    {
        // No request in the window: increase() is 0 and histogram_quantile NaN (0/0); +Inf: no finite bucket.
        var answers = Answers(
            requests: Vector(("\"app\":\"idle\"", "0")),
            successes: Vector(("\"app\":\"idle\"", "0")),
            p50: Vector(("\"app\":\"idle\"", "NaN")),
            p99: Vector(("\"app\":\"idle\"", "+Inf")),
            probes: Vector(("\"app\":\"idle\"", "1")));
        var s = Assert.Single(PrometheusStats.Summarize(Request("idle"), answers, Now));
        Assert.Null(s.LatencyP50);
        Assert.Null(s.LatencyP99);
        Assert.False(s.Sources.ContainsKey("LatencyP50"));
        Assert.False(s.Sources.ContainsKey("LatencyP99"));
        Assert.Equal(0, s.Requests);
        Assert.Equal(ServiceStatus.Healthy, s.Status);
        Assert.Null(s.Reason);
    }

    [Fact]
    public void A_service_without_any_series_is_Unknown_with_a_reason_and_no_figures()
    {
        var answers = Answers(requests: Vector(("\"app\":\"shop\"", "10")));
        var s = Assert.Single(PrometheusStats.Summarize(Request("sh\"op"), answers, Now));
        Assert.Equal(ServiceStatus.Unknown, s.Status);
        Assert.Equal("Prometheus has no http_requests_total, probe_success or up series with app=\"sh\\\"op\" over the last 1h", s.Reason);
        Assert.Equal(["Status"], s.Sources.Keys);
        Assert.Null(s.LatencyP50);
    }

    [Fact]
    public void No_probe_succeeding_is_Down_and_probes_failing_too_often_Degraded()
    {
        var answers = Answers(probes: Vector(("\"app\":\"gone\"", "0"), ("\"app\":\"flaky\"", "0.9")));
        var results = PrometheusStats.Summarize(Request(), answers, Now);
        Assert.Equal(["flaky", "gone"], results.Select(r => r.Service));
        Assert.Equal(ServiceStatus.Degraded, results[0].Status);
        Assert.Equal("probes failed 10.00 % of the time, above 1.00 %", results[0].Reason);
        Assert.Equal(ServiceStatus.Down, results[1].Status);
        Assert.Equal("no probe succeeded over the last 1h", results[1].Reason);
        // Without request metrics, no request figure pretends to be one.
        Assert.False(results[1].Sources.ContainsKey("Requests"));
        Assert.Equal("prometheus", results[1].Sources["Availability"]);
    }

    [Fact]
    public void Every_request_failing_is_Down_and_scrapes_stand_in_for_missing_probes()
    {
        var answers = Answers(
            requests: Vector(("\"app\":\"api\"", "50")),
            failures: Vector(("\"app\":\"api\",\"code\":\"500\"", "30"), ("\"app\":\"api\",\"code\":\"404\"", "20")),
            up: Vector(("\"app\":\"api\"", "1")));
        var s = Assert.Single(PrometheusStats.Summarize(Request("api"), answers, Now));
        Assert.Equal(ServiceStatus.Down, s.Status);
        Assert.Equal(50, s.Failures);
        Assert.Equal(1, s.Availability);
        Assert.Equal(new Dictionary<string, long> { ["HTTP 500"] = 30, ["HTTP 404"] = 20 }, s.Errors);
        Assert.Contains("all 50 requests failed (mostly HTTP 500)", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_p99_above_the_latency_objective_is_Degraded()
    {
        var request = Request("shop") with { Settings = new ProbeSettings { LatencyObjective = TimeSpan.FromMilliseconds(100) } };
        var answers = Answers(
            requests: Vector(("\"app\":\"shop\"", "100")),
            successes: Vector(("\"app\":\"shop\"", "100")),
            p99: Vector(("\"app\":\"shop\"", "0.25")));
        var s = Assert.Single(PrometheusStats.Summarize(request, answers, Now));
        Assert.Equal(ServiceStatus.Degraded, s.Status);
        Assert.Equal("p99 250 ms is above the objective 100 ms", s.Reason);
        Assert.Equal(100, s.LatencyObjective);
    }
}

/// <summary>Export-ServiceStats' Prometheus text of a service Prometheus had no data of: its status, no made-up figures.</summary>
public sealed class PrometheusStatsExportTests
{
    [Fact]
    public void An_unknown_service_exports_its_status_and_leaves_the_figures_out()
    {
        var request = new PrometheusStatsRequest { Url = new Uri("http://127.0.0.1:9090"), Services = ["ghost"] };
        var answers = new PrometheusAnswers([], [], [], [[], [], [], []], [], []);
        var unknown = Assert.Single(PrometheusStats.Summarize(request, answers, DateTimeOffset.UtcNow));
        var text = DevOpsTools.Engine.Monitoring.Reports.PrometheusText.Render([unknown]);
        Assert.Matches("devopstools_service_status\\{[^}]*status=\"Unknown\"\\} 1\n", text);
        Assert.DoesNotContain("\ndevopstools_service_up{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\ndevopstools_service_availability_ratio{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\ndevopstools_service_probe_requests{", text, StringComparison.Ordinal);
    }
}
