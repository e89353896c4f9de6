using System.Net;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.StatsEndpoint;
using Microsoft.AspNetCore.Builder;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>The probe engine against the test server's known latency and error mix, on 127.0.0.1.</summary>
public sealed class ServiceProbeTests : IAsyncLifetime
{
    // Latency measured by a client includes its own scheduling, the loopback round trip and a
    // shared, busy CPU (2 vCPU, load average above 10 seen): quantiles may read above the server's
    // delay by this much, never below. It stays under the gap between the mix's two delays, so
    // a fast quantile can never pass for a slow one.
    private const double SchedulingToleranceMs = 150;

    // A tail quantile is a handful of requests that are in flight together (the mix's slow slots
    // are consecutive, four at a time at concurrency 4), so one stall of the machine lifts all of
    // them at once: its high side only bounds it, the low side is what proves the measurement.
    private const double TailToleranceMs = 1000;

    private WebApplication? _app;
    private string _base = "";

    public async Task InitializeAsync() => (_app, _base) = await StatsEndpointServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static async Task<ServiceStats> Probe(string url, ProbeSettings settings, RecordingSink? sink = null, CancellationToken token = default)
    {
        var context = new EngineContext(sink ?? new RecordingSink(), token);
        var results = await ServiceProbe.RunAsync(context, [ProbeTarget.Parse(url)], settings);
        return Assert.Single(results);
    }

    private static void InRange(double? actualMs, double expectedMs, double toleranceMs = SchedulingToleranceMs)
    {
        Assert.NotNull(actualMs);
        // Low side: the histogram's relative precision; high side: that plus scheduling.
        Assert.InRange(actualMs!.Value, expectedMs * (1 - LatencyHistogram.Precision), expectedMs * (1 + LatencyHistogram.Precision) + toleranceMs);
    }

    [Fact]
    public async Task Quantiles_of_a_known_latency_mix_are_within_precision_and_scheduling()
    {
        // Warm both ends up (JIT, connection pool) so the run measures the mix, not start-up.
        await Probe($"{_base}/mix?key=warm&fastMs=1", new ProbeSettings { Requests = 50, Concurrency = 4 });

        // 95 % answer after 50 ms, 5 % after 500 ms: p50 and p90 are fast, p99 and max slow.
        var stats = await Probe($"{_base}/mix?key=latency&slow=5&fastMs=50&slowMs=500", new ProbeSettings { Requests = 200, Concurrency = 4 });

        Assert.Equal(ServiceStatus.Healthy, stats.Status);
        Assert.Equal(200, stats.Requests);
        Assert.Equal(0, stats.Failures);
        InRange(stats.LatencyP50, 50);
        InRange(stats.LatencyP90, 50);
        InRange(stats.LatencyP99, 500, TailToleranceMs);
        // The max is one request: a single scheduling stall can lift it, so only its floor is asserted.
        Assert.True(stats.LatencyMax >= 500 * (1 - LatencyHistogram.Precision), $"max {stats.LatencyMax} ms");
        Assert.Equal("probe", stats.Sources["LatencyP99"]);
    }

    [Fact]
    public async Task Error_rate_of_a_known_error_mix_is_exact_and_failures_stay_out_of_the_latencies()
    {
        // 10 % answer 503 at once; the successes take 30 ms, so a failure in the quantiles would show.
        var stats = await Probe($"{_base}/mix?key=errors&fail=10&fastMs=30", new ProbeSettings { Requests = 300, Concurrency = 3 });

        Assert.Equal(300, stats.Requests);
        Assert.Equal(30, stats.Failures);
        Assert.Equal(0.1, stats.ErrorRate, 12);
        Assert.Equal(0.9, stats.Availability, 12);
        Assert.Equal(30, stats.Errors["HTTP 503"]);
        Assert.Equal(ServiceStatus.Degraded, stats.Status);
        Assert.Contains("error rate 10.00 %", stats.Reason);
        InRange(stats.LatencyP50, 30);
        // Every success took 30 ms, so even the tail reads no less: no instant 503 slipped into it.
        InRange(stats.LatencyP99, 30, TailToleranceMs);
    }

    [Fact]
    public async Task A_closed_port_is_Down_with_the_reason_not_an_exception()
    {
        var port = FreePort();
        var sink = new RecordingSink();
        var stats = await Probe($"http://127.0.0.1:{port}/", new ProbeSettings { Requests = 5 }, sink);

        Assert.Equal(ServiceStatus.Down, stats.Status);
        Assert.Equal(5, stats.Requests);
        Assert.Equal(0, stats.Availability);
        Assert.Equal(5, stats.Errors["connection refused"]);
        Assert.Contains("connection refused", stats.Reason);
        Assert.Null(stats.LatencyP50);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Tcp_probe_measures_connects_and_a_closed_port_is_Down()
    {
        var port = new Uri(_base).Port;
        var up = await Probe($"tcp://127.0.0.1:{port}", new ProbeSettings { Requests = 20, Concurrency = 2 });
        Assert.Equal(ServiceStatus.Healthy, up.Status);
        Assert.Equal(20, up.Requests);
        Assert.Equal($"tcp://127.0.0.1:{port}", up.Target);
        Assert.NotNull(up.LatencyP50);

        var down = await Probe($"tcp://127.0.0.1:{FreePort()}", new ProbeSettings { Requests = 3 });
        Assert.Equal(ServiceStatus.Down, down.Status);
        Assert.Equal(3, down.Errors["connection refused"]);
    }

    [Fact]
    public async Task Body_and_status_conditions_decide_success()
    {
        var body = await Probe($"{_base}/healthz", new ProbeSettings { Requests = 4, BodyContains = "nope" });
        Assert.Equal(ServiceStatus.Down, body.Status);
        Assert.Equal(4, body.Errors["body lacks 'nope'"]);

        var status = await Probe($"{_base}/status/404", new ProbeSettings { Requests = 4, MinStatus = 200, MaxStatus = 404 });
        Assert.Equal(ServiceStatus.Healthy, status.Status);
    }

    [Fact]
    public async Task Open_model_counts_queueing_from_the_scheduled_send_time()
    {
        // 40 requests due every 10 ms through one connection to a server that takes 50 ms each:
        // request i cannot start before 50i ms but was due at 10i ms, so the corrected latency of
        // the last ones is at least 39 * 40 ms. A closed model would report about 50 ms throughout.
        var stats = await Probe($"{_base}/mix?key=open&fastMs=50", new ProbeSettings { Requests = 40, Concurrency = 1, Rate = 100 });

        Assert.Equal(40, stats.Requests);
        Assert.True(stats.LatencyMax >= 39 * 40 * (1 - LatencyHistogram.Precision), $"max {stats.LatencyMax} ms");
        Assert.True(stats.LatencyP50 >= 20 * 40 * (1 - LatencyHistogram.Precision), $"p50 {stats.LatencyP50} ms");
    }

    [Fact]
    public async Task A_request_over_the_timeout_fails_as_timed_out()
    {
        var stats = await Probe($"{_base}/mix?key=timeout&fastMs=5000", new ProbeSettings { Requests = 2, Concurrency = 2, Timeout = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(ServiceStatus.Down, stats.Status);
        Assert.Equal("timed out after 0.2s", Assert.Single(stats.Errors).Key);
        Assert.Equal(2, stats.Errors.Values.Single());
    }

    [Fact]
    public async Task High_concurrency_counts_every_request_once()
    {
        // More workers than shards: every request is recorded exactly once across the shards.
        var stats = await Probe($"{_base}/mix?key=wide&fail=3", new ProbeSettings { Requests = 1000, Concurrency = 50 });
        Assert.Equal(1000, stats.Requests);
        Assert.Equal(30, stats.Failures);
        Assert.Equal(970, stats.Requests - stats.Failures);
    }

    [Fact]
    public async Task A_latency_objective_missed_is_Degraded()
    {
        var stats = await Probe($"{_base}/mix?key=slo&fastMs=30", new ProbeSettings { Requests = 10, LatencyObjective = TimeSpan.FromMilliseconds(5) });
        Assert.Equal(ServiceStatus.Degraded, stats.Status);
        Assert.Contains("objective 5 ms", stats.Reason);
        Assert.Equal(5, stats.LatencyObjective);
    }

    [Fact]
    public async Task Cancellation_stops_a_long_run()
    {
        using var cts = new CancellationTokenSource();
        var run = Probe($"{_base}/mix?key=cancel&fastMs=10", new ProbeSettings { Duration = TimeSpan.FromMinutes(10), Concurrency = 2 }, token: cts.Token);
        cts.CancelAfter(300);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Https_reports_the_certificate_expiry_and_an_untrusted_certificate_fails()
    {
        var (app, url) = await StatsEndpointServer.StartAsync(certificateDays: 30);
        await using var _ = app;
        var stats = await Probe($"{url}/healthz", new ProbeSettings { Requests = 2 });

        // Self-signed: not trusted here, so the requests fail, but the expiry was read in the handshake.
        Assert.Equal(ServiceStatus.Down, stats.Status);
        Assert.Equal(2, stats.Errors["TLS handshake failed"]);
        Assert.InRange(stats.CertificateDaysLeft!.Value, 29, 30);
        Assert.Equal("probe", stats.Sources["CertificateDaysLeft"]);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("")]
    public void Urls_that_are_not_http_https_or_tcp_with_a_port_are_ProbeUrlInvalid(string url)
    {
        var error = Assert.Throws<DevOpsToolsException>(() => ProbeTarget.Parse(url));
        Assert.Equal(ErrorIds.ProbeUrlInvalid, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public async Task Zero_requests_is_ProbeSettingsInvalid()
    {
        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => Probe($"{_base}/healthz", new ProbeSettings { Requests = 0 }));
        Assert.Equal(ErrorIds.ProbeSettingsInvalid, error.ErrorId);
    }

    [Fact]
    public void An_endpoint_is_probed_at_its_health_path()
    {
        var endpoint = new AppEndpoint { Address = "127.0.0.1", Port = 8080, HealthPath = "/healthz" };
        var target = ProbeTarget.FromEndpoint(endpoint, "hello", "test");
        Assert.Equal("http://127.0.0.1:8080/healthz", target.Display);
        Assert.Equal("hello", target.Service);
        Assert.Equal("test", target.Environment);
        Assert.Equal("http://127.0.0.1:8080/other", ProbeTarget.FromEndpoint(endpoint, "hello", "test", "/other").Display);
    }

    [Fact]
    public void A_server_port_is_probed_as_tcp_or_at_a_path_as_http()
    {
        var endpoint = new ServerEndpoint { Port = 8080, Address = "127.0.0.1", HostPort = 41000 };
        var tcp = ProbeTarget.FromServerEndpoint(endpoint, "web-1", "test");
        Assert.Equal(ProbeKind.Tcp, tcp.Kind);
        Assert.Equal("tcp://127.0.0.1:41000", tcp.Display);
        Assert.Equal("web-1:8080", tcp.Service);
        var http = ProbeTarget.FromServerEndpoint(endpoint, "web-1", "test", "/healthz");
        Assert.Equal("http://127.0.0.1:41000/healthz", http.Display);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
