using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DevOpsTools.StatsEndpoint;

/// <summary>
/// The server's own Prometheus metrics, in the text exposition format (version 0.0.4), as an
/// instrumented app exposes them: http_requests_total{handler,code} and the latency histogram
/// http_request_duration_seconds{handler,code} with the client libraries' default buckets.
/// Every request but GET /metrics is counted, timed from when Kestrel hands it over to when the
/// handler returns. The series of /mix and /healthz start at 0 so that Prometheus' increase()
/// sees the first request of each (a counter born at 1 between scrapes would lose it).
/// </summary>
public sealed class RequestMetrics
{
    /// <summary>The default buckets of the Prometheus client libraries, in seconds.</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Handler, string Code), Series> _series = new();

    public RequestMetrics()
    {
        foreach (var key in new[] { ("/mix", "200"), ("/mix", "503"), ("/healthz", "200") })
        {
            _series[key] = new Series();
        }
    }

    private sealed class Series
    {
        public readonly long[] Buckets = new long[RequestMetrics.Buckets.Length];
        public long Count;
        public double Sum;
    }

    /// <summary>Counts and times every request of the app (but the scrapes themselves).</summary>
    public void Instrument(WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.Request.Path == "/metrics")
            {
                await next(http);
                return;
            }

            var clock = Stopwatch.StartNew();
            try
            {
                await next(http);
            }
            finally
            {
                var handler = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
                Observe(handler, http.Response.StatusCode.ToString(CultureInfo.InvariantCulture), clock.Elapsed.TotalSeconds);
            }
        });
        app.MapGet("/metrics", () => Results.Text(Render(), "text/plain; version=0.0.4; charset=utf-8"));
    }

    public void Observe(string handler, string code, double seconds)
    {
        var series = _series.GetOrAdd((handler, code), _ => new Series());
        lock (series)
        {
            series.Count++;
            series.Sum += seconds;
            for (var i = 0; i < Buckets.Length; i++)
            {
                if (seconds <= Buckets[i])
                {
                    series.Buckets[i]++;
                }
            }
        }
    }

    public string Render()
    {
        var b = new StringBuilder();
        var all = _series.OrderBy(s => s.Key.Handler, StringComparer.Ordinal).ThenBy(s => s.Key.Code, StringComparer.Ordinal)
            .Select(s => { lock (s.Value) { return (s.Key, Count: s.Value.Count, Sum: s.Value.Sum, Buckets: s.Value.Buckets.ToArray()); } }).ToList();
        b.Append("# HELP http_requests_total Requests handled, by handler and status code.\n# TYPE http_requests_total counter\n");
        foreach (var s in all)
        {
            b.Append("http_requests_total").Append(Labels(s.Key)).Append(' ').Append(s.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        b.Append("# HELP http_request_duration_seconds How long requests took, by handler and status code.\n# TYPE http_request_duration_seconds histogram\n");
        foreach (var s in all)
        {
            for (var i = 0; i < Buckets.Length; i++)
            {
                b.Append("http_request_duration_seconds_bucket").Append(Labels(s.Key, Buckets[i].ToString("R", CultureInfo.InvariantCulture)))
                    .Append(' ').Append(s.Buckets[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            b.Append("http_request_duration_seconds_bucket").Append(Labels(s.Key, "+Inf")).Append(' ').Append(s.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            b.Append("http_request_duration_seconds_sum").Append(Labels(s.Key)).Append(' ').Append(s.Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            b.Append("http_request_duration_seconds_count").Append(Labels(s.Key)).Append(' ').Append(s.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return b.ToString();
    }

    private static string Labels((string Handler, string Code) key, string? le = null) =>
        $"{{handler=\"{Escape(key.Handler)}\",code=\"{Escape(key.Code)}\"{(le is null ? "" : $",le=\"{le}\"")}}}";

    // The exposition format's label value escapes: backslash, double quote and line feed.
    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
