using System.Net;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.PromQl;
using DevOpsTools.Engine.Monitoring.Prometheus;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>
/// The PromQL Get-ServiceStats sends and the answers it reads: query text (label values always
/// string literals, checked by the real promtool's parser), the status-code regex, windows, and
/// the API's vector, scalar and error answers with NaN and ±Inf.
/// </summary>
public sealed class PromQlTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "devopstools-promql-" + Guid.NewGuid().ToString("N")[..8]);
    private static readonly Uri Url = new("http://127.0.0.1:9090/");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("shop", "\"shop\"")]
    [InlineData("sh\"op", "\"sh\\\"op\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("line\nbreak\t", "\"line\\nbreak\\t\"")]
    [InlineData("bell\u0007", "\"bell\\u0007\"")]
    public void Quote_makes_a_promql_string_literal(string value, string expected) =>
        Assert.Equal(expected, PromQlText.Quote(value));

    [Theory]
    [InlineData(200, 299, "2[0-9][0-9]")]
    [InlineData(200, 399, "2[0-9][0-9]|3[0-9][0-9]")]
    [InlineData(200, 200, "200")]
    [InlineData(200, 209, "20[0-9]")]
    [InlineData(204, 212, "204|205|206|207|208|209|210|211|212")]
    [InlineData(290, 310, "29[0-9]|30[0-9]|310")]
    public void StatusRange_matches_exactly_the_codes_asked(int low, int high, string expected)
    {
        var regex = PromQlText.StatusRange(low, high);
        Assert.Equal(expected, regex);
        var anchored = new System.Text.RegularExpressions.Regex($"^(?:{regex})$");
        for (var code = 100; code <= 599; code++)
        {
            Assert.Equal(code >= low && code <= high, anchored.IsMatch(code.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Theory]
    [InlineData(3600, "1h")]
    [InlineData(90, "90s")]
    [InlineData(5400, "90m")]
    [InlineData(604800, "1w")]
    [InlineData(172800, "2d")]
    public void Range_writes_the_largest_whole_unit(int seconds, string expected) =>
        Assert.Equal(expected, PromQlText.Range(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("2w", 1209600)]
    public void ParseWindow_reads_a_number_and_a_unit(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PromQlText.ParseWindow(text));

    [Theory]
    [InlineData("0h")]
    [InlineData("1y")]
    [InlineData("h")]
    [InlineData("1.5h")]
    [InlineData("")]
    public void ParseWindow_refuses_what_is_not_a_window(string text) => Assert.Null(PromQlText.ParseWindow(text));

    [Theory]
    [InlineData("handler=\"/mix\"", "handler=\"/mix\"")]
    [InlineData(" instance =~ \"10\\\\..*\" ", "instance=~\"10\\\\..*\"")]
    [InlineData("code!~\"5..\"", "code!~\"5..\"")]
    [InlineData("env!=\"a\\\"b\"", "env!=\"a\\\"b\"")]
    public void CheckMatcher_accepts_one_label_matcher(string matcher, string expected) =>
        Assert.Equal(expected, PromQlText.CheckMatcher(matcher));

    [Theory]
    [InlineData("handler=\"/mix\"} or vector(1) or up{a=\"b\"")]
    [InlineData("a=\"x\",b=\"y\"")]
    [InlineData("a=x")]
    [InlineData("a=\"unterminated")]
    [InlineData("__name__=\"up\"")]
    [InlineData("1a=\"x\"")]
    public void CheckMatcher_refuses_anything_else(string matcher)
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => PromQlText.CheckMatcher(matcher));
        Assert.Equal(ErrorIds.PrometheusSettingsInvalid, ex.ErrorId);
    }

    [Fact]
    public void Queries_for_one_service_select_it_by_its_label_and_aggregate_by_it()
    {
        var q = new PrometheusQueries(new PrometheusMetricNames(), ["shop"], TimeSpan.FromHours(1), ["handler=\"/api\""], [new("environment", "prod")]);
        Assert.Equal("sum by (app) (increase(http_requests_total{app=\"shop\",environment=\"prod\",handler=\"/api\"}[1h]))", q.Requests);
        Assert.Equal("sum by (app) (increase(http_requests_total{app=\"shop\",environment=\"prod\",handler=\"/api\",code=~\"2[0-9][0-9]\"}[1h]))", q.Successes);
        Assert.Equal("sum by (app, code) (increase(http_requests_total{app=\"shop\",environment=\"prod\",handler=\"/api\",code!~\"2[0-9][0-9]\"}[1h]))", q.FailuresByCode);
        Assert.Equal(
            "histogram_quantile(0.99, sum by (app, le) (rate(http_request_duration_seconds_bucket{app=\"shop\",environment=\"prod\",handler=\"/api\",code=~\"2[0-9][0-9]\"}[1h]))"
            + " or sum by (app, le) (rate(http_request_duration_seconds_bucket{app=\"shop\",environment=\"prod\",handler=\"/api\"}[1h])))",
            q.Quantile(0.99));
        Assert.Equal("avg by (app) (avg_over_time(probe_success{app=\"shop\",environment=\"prod\",handler=\"/api\"}[1h]))", q.ProbeSuccess);
    }

    [Fact]
    public void Queries_for_many_services_match_their_names_literally_and_every_service_when_none_is_named()
    {
        var names = new PrometheusMetricNames { Requests = "requests_total", Latency = "latency_seconds", ServiceLabel = "service", CodeLabel = "status" };
        var many = new PrometheusQueries(names, ["a.b", "c|d", "e"], TimeSpan.FromMinutes(5), minStatus: 200, maxStatus: 399);
        Assert.Equal("sum by (service) (increase(requests_total{service=~\"a\\\\.b|c\\\\|d|e\"}[5m]))", many.Requests);
        Assert.Contains("status=~\"2[0-9][0-9]|3[0-9][0-9]\"", many.Successes, StringComparison.Ordinal);
        Assert.Contains("latency_seconds_bucket{", many.Quantile(0.5), StringComparison.Ordinal);
        var all = new PrometheusQueries(new PrometheusMetricNames(), [], TimeSpan.FromHours(1));
        Assert.Equal("sum by (app) (increase(http_requests_total{app!=\"\"}[1h]))", all.Requests);
    }

    [Theory]
    [InlineData("RequestMetric", "http requests")]
    [InlineData("ServiceLabel", "__app")]
    [InlineData("CodeLabel", "co-de")]
    public void Bad_metric_or_label_names_are_refused_before_any_query(string parameter, string value)
    {
        var names = parameter switch
        {
            "RequestMetric" => new PrometheusMetricNames { Requests = value },
            "ServiceLabel" => new PrometheusMetricNames { ServiceLabel = value },
            _ => new PrometheusMetricNames { CodeLabel = value },
        };
        var ex = Assert.Throws<DevOpsToolsException>(() => new PrometheusQueries(names, ["shop"], TimeSpan.FromHours(1)));
        Assert.Equal(ErrorIds.PrometheusSettingsInvalid, ex.ErrorId);
        Assert.Equal(parameter, ex.Target);
    }

    [Fact]
    public async Task Every_query_parses_in_promtool_whatever_the_service_names_hold()
    {
        // Names that would break a query spliced as text: quotes, backslashes, braces, regex characters, a line break.
        string[] services = ["sh\"op", "back\\slash", "br}ace", "dot.star*", "new\nline", "plain"];
        var queries = new[]
        {
            new PrometheusQueries(new PrometheusMetricNames(), services, TimeSpan.FromMinutes(30), ["handler=~\"/a|/b\""], [new("environment", "pr\"od")]),
            new PrometheusQueries(new PrometheusMetricNames(), [services[0]], TimeSpan.FromMinutes(30)),
        };
        var expressions = queries.SelectMany(q => new[] { q.Requests, q.Successes, q.FailuresByCode, q.Quantile(0.5), q.Quantile(0.99), q.ProbeSuccess, q.Up }).ToList();
        var rules = "groups:\n  - name: \"promql\"\n    rules:\n" + string.Concat(expressions.Select((e, i) =>
            $"      - record: \"q{i}\"\n        expr: {PrometheusConfigFiles.Q(e)}\n"));
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "rules.yml");
        await File.WriteAllTextAsync(file, rules);
        var result = await ExternalProcess.RunAsync("promtool", ["check", "rules", file], CancellationToken.None, timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, result.StdErr + result.StdOut);
        Assert.Contains($"SUCCESS: {expressions.Count} rules found", result.StdOut + result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vector_answer_gives_each_series_its_labels_and_value_with_NaN_and_infinities()
    {
        const string body = """
            {"status":"success","data":{"resultType":"vector","result":[
              {"metric":{"app":"shop"},"value":[1700000000.123,"0.25"]},
              {"metric":{"app":"idle"},"value":[1700000000.123,"NaN"]},
              {"metric":{"app":"tail"},"value":[1700000000.123,"+Inf"]},
              {"metric":{"app":"neg"},"value":[1700000000.123,"-Inf"]},
              {"metric":{},"value":[1700000000.123,"1e3"]}]}}
            """;
        var samples = PrometheusClient.ParseResponse("q", 200, body, Url);
        Assert.Equal(5, samples.Count);
        Assert.Equal("shop", samples[0].Labels["app"]);
        Assert.Equal(0.25, samples[0].Value);
        Assert.True(double.IsNaN(samples[1].Value));
        Assert.Equal(double.PositiveInfinity, samples[2].Value);
        Assert.Equal(double.NegativeInfinity, samples[3].Value);
        Assert.Empty(samples[4].Labels);
        Assert.Equal(1000, samples[4].Value);
    }

    [Fact]
    public void An_empty_vector_is_no_series_and_a_scalar_is_one_without_labels()
    {
        Assert.Empty(PrometheusClient.ParseResponse("q", 200, """{"status":"success","data":{"resultType":"vector","result":[]}}""", Url));
        var scalar = Assert.Single(PrometheusClient.ParseResponse("q", 200, """{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}""", Url));
        Assert.Empty(scalar.Labels);
        Assert.Equal(42, scalar.Value);
    }

    [Fact]
    public void An_error_answer_is_PrometheusQueryFailed_with_prometheus_own_text()
    {
        const string body = """{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:30: parse error: error parsing regexp: missing closing ): `^(?:()$`"}""";
        var ex = Assert.Throws<DevOpsToolsException>(() => PrometheusClient.ParseResponse("up{a=~\"(\"}", 400, body, Url));
        Assert.Equal(ErrorIds.PrometheusQueryFailed, ex.ErrorId);
        Assert.Contains("bad_data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("error parsing regexp: missing closing )", ex.Message, StringComparison.Ordinal);
        Assert.Contains("up{a=~\"(\"}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_matrix_where_a_vector_was_asked_is_PrometheusQueryFailed()
    {
        var ex = Assert.Throws<DevOpsToolsException>(() =>
            PrometheusClient.ParseResponse("up[5m]", 200, """{"status":"success","data":{"resultType":"matrix","result":[]}}""", Url));
        Assert.Equal(ErrorIds.PrometheusQueryFailed, ex.ErrorId);
    }

    [Theory]
    [InlineData(200, "<html><body>Welcome to nginx</body></html>")]
    [InlineData(502, "Bad Gateway")]
    [InlineData(200, """{"hello":"world"}""")]
    public void An_answer_that_is_not_the_api_is_PrometheusUnreachable_naming_the_url(int status, string body)
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => PrometheusClient.ParseResponse("up", status, body, Url));
        Assert.Equal(ErrorIds.PrometheusUnreachable, ex.ErrorId);
        Assert.Contains(Url.AbsoluteUri, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_PrometheusUnreachable_naming_the_url()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new PrometheusClient(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromSeconds(5));
        var ex = await Assert.ThrowsAsync<DevOpsToolsException>(() => client.QueryAsync("up", CancellationToken.None));
        Assert.Equal(ErrorIds.PrometheusUnreachable, ex.ErrorId);
        Assert.Contains($"http://127.0.0.1:{port}/", ex.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9090", true)]
    [InlineData("https://prom.internal/prometheus/", true)]
    [InlineData("ftp://127.0.0.1:9090", false)]
    [InlineData("127.0.0.1:9090", false)]
    [InlineData("http://user:pw@127.0.0.1:9090", false)]
    public void ParseUrl_takes_http_and_https_without_credentials(string text, bool ok) =>
        Assert.Equal(ok, PrometheusClient.ParseUrl(text) is not null);

    [Fact]
    public void Normalize_keeps_a_path_prefix_so_the_api_resolves_under_it() =>
        Assert.Equal("http://h/prometheus/api/v1/query", new Uri(PrometheusClient.Normalize(new Uri("http://h/prometheus")), "api/v1/query").AbsoluteUri);
}
