using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Watch;
using DevOpsTools.StatsEndpoint;
using Microsoft.AspNetCore.Builder;

namespace DevOpsTools.Engine.Tests.Monitoring.Watch;

/// <summary>Watch rounds against the test server on 127.0.0.1: rows follow each round's samples.</summary>
public sealed class ServiceWatchTests : IAsyncLifetime
{
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

    [Fact]
    public async Task Each_round_probes_every_target_once_and_its_row_shows_the_latest_sample()
    {
        // 10 of every 100 requests fail, the first ten: round one (10 requests) all fail, round two none.
        var targets = new[] { ProbeTarget.Parse($"{_base}/mix?key=watch&fail=10", "flaky"), ProbeTarget.Parse($"{_base}/healthz", "steady") };
        var watch = new ServiceWatch(targets, new ProbeSettings { Requests = 10 }, TimeSpan.FromSeconds(1), count: 2);
        Assert.All(watch.Rows, r => Assert.Null(r.Status));
        Assert.Equal(["flaky", "steady"], watch.Rows.Select(r => r.Service));

        var sink = new RecordingSink();
        var first = await watch.NextRoundAsync(new EngineContext(sink), quiet: true);
        Assert.Equal(2, first.Count);
        Assert.Equal(ServiceStatus.Down, watch.Rows[0].Status);
        Assert.Equal(1.0, watch.Rows[0].ErrorRate);
        Assert.Equal(ServiceStatus.Healthy, watch.Rows[1].Status);
        Assert.False(watch.Done);
        // Quiet: the table is the progress.
        Assert.Empty(sink.Progress);
        Assert.Empty(sink.Verbose);

        await watch.NextRoundAsync(new EngineContext(sink), quiet: true);
        Assert.Equal(ServiceStatus.Healthy, watch.Rows[0].Status);
        Assert.Equal(0.0, watch.Rows[0].ErrorRate);
        Assert.Equal(2, watch.Round);
        Assert.True(watch.Done);

        var lines = watch.Lines(80, 0, false, DateTimeOffset.UtcNow);
        Assert.Contains("round 2/2", lines[0]);
        Assert.StartsWith("flaky ", lines[2]);
        Assert.Contains(" Healthy ", lines[2]);
    }

    [Fact]
    public async Task Not_quiet_the_probe_engine_reports_its_progress_as_usual()
    {
        var watch = new ServiceWatch([ProbeTarget.Parse($"{_base}/healthz")], new ProbeSettings { Requests = 3 }, TimeSpan.FromSeconds(1));
        var sink = new RecordingSink();
        await watch.NextRoundAsync(new EngineContext(sink), quiet: false);
        Assert.NotEmpty(sink.Progress);
    }

    [Fact]
    public async Task Ctrl_C_ends_a_round_promptly()
    {
        var watch = new ServiceWatch([ProbeTarget.Parse($"{_base}/mix?key=slow&slow=100&slowMs=30000")], new ProbeSettings { Requests = 5 }, TimeSpan.FromSeconds(1));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch.NextRoundAsync(new EngineContext(new RecordingSink(), stop.Token), quiet: true));
        Assert.Equal(0, watch.Round);
    }

    [Fact]
    public void Rounds_start_every_interval_and_a_late_round_starts_the_next_at_once()
    {
        var watch = new ServiceWatch([ProbeTarget.Parse($"{_base}/healthz")], new ProbeSettings(), TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(1.5), watch.WaitAfter(TimeSpan.FromSeconds(0.5)));
        Assert.Equal(TimeSpan.Zero, watch.WaitAfter(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void A_zero_interval_or_count_is_ProbeSettingsInvalid_naming_it()
    {
        var target = new[] { ProbeTarget.Parse("http://127.0.0.1:1/") };
        var interval = Assert.Throws<DevOpsToolsException>(() => new ServiceWatch(target, new ProbeSettings(), TimeSpan.Zero));
        Assert.Equal(ErrorIds.ProbeSettingsInvalid, interval.ErrorId);
        Assert.Contains("interval", interval.Message);
        var count = Assert.Throws<DevOpsToolsException>(() => new ServiceWatch(target, new ProbeSettings(), TimeSpan.FromSeconds(1), 0));
        Assert.Contains("count", count.Message);
    }
}
