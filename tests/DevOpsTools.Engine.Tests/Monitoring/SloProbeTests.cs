using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Slo;
using DevOpsTools.StatsEndpoint;
using Microsoft.AspNetCore.Builder;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>SLOs scored on a probe run against the test server's exact error and latency mix, on 127.0.0.1.</summary>
public sealed class SloProbeTests : IAsyncLifetime
{
    private WebApplication? _app;
    private string _base = "";

    public async Task InitializeAsync()
    {
        (_app, _base) = await StatsEndpointServer.StartAsync();
        // Warm both ends up (JIT, Kestrel's first connections): a cold first answer can take longer
        // than a latency threshold and would count as a slow success.
        await Probe($"{_base}/mix?key=warm", new ProbeSettings { Requests = 50, Concurrency = 10 });
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static ServiceLevelObjective Slo(string name, double objective, int? latencyMs = null) =>
        ServiceLevelObjective.From(new SloSettings { Name = name, App = "shop", Objective = objective, LatencyMs = latencyMs });

    private static async Task<ServiceStats> Probe(string url, ProbeSettings settings, params ServiceLevelObjective[] slos)
    {
        var context = new EngineContext(new RecordingSink(), CancellationToken.None);
        var results = await ServiceProbe.RunAsync(context, [ProbeTarget.Parse(url, "shop").WithSlos(slos)], settings);
        return Assert.Single(results);
    }

    [Fact]
    public async Task An_availability_slo_breached_by_a_known_error_mix_makes_the_service_Degraded_naming_it()
    {
        // 5 % answer 503: 10 bad of 200 against a budget of 0.1 %: burn rate 50, 49 budgets overspent.
        // The error-rate rule is switched off (MaxErrorRate 1) so the SLO alone degrades it.
        var stats = await Probe($"{_base}/mix?key=avail&fail=5", new ProbeSettings { Requests = 200, Concurrency = 2, MaxErrorRate = 1 },
            Slo("shop-availability", 99.9));

        Assert.Equal(ServiceStatus.Degraded, stats.Status);
        Assert.Equal("shop-availability", stats.Slo);
        Assert.Equal(99.9, stats.SloObjective);
        Assert.Equal(SloKind.Availability, stats.SloKind);
        Assert.Equal(10, stats.BadEvents);
        Assert.Equal(50, stats.BurnRate!.Value, 9);
        Assert.Equal(-49, stats.ErrorBudgetRemaining!.Value, 9);
        Assert.True(stats.SloBreached);
        Assert.Equal("probe", stats.Sources["BurnRate"]);
        Assert.Contains("SLO 'shop-availability' breached: 95.00 % good (10 of 200 failed), objective 99.9 %", stats.Reason);
    }

    [Fact]
    public async Task A_latency_slo_counts_failures_and_slow_successes_exactly()
    {
        // Per 100 requests: 5 fail at once, 10 answer after 600 ms, 85 at once. Against 300 ms,
        // 30 of 200 are bad (15 %): a 90 % latency objective burns at 1.5, the 90 % availability
        // one (10 bad) at 0.5. The latency SLO has the least budget left, so it is the one shown.
        var stats = await Probe($"{_base}/mix?key=lat&fail=5&slow=10&slowMs=600", new ProbeSettings { Requests = 200, Concurrency = 10, MaxErrorRate = 1 },
            Slo("shop-availability", 90), Slo("shop-latency", 90, latencyMs: 300));

        Assert.Equal(2, stats.Slos.Count);
        var availability = stats.Slos.Single(s => s.Kind == SloKind.Availability);
        Assert.Equal(10, availability.BadEvents);
        Assert.False(availability.Breached);
        Assert.Equal(0.5, availability.ErrorBudgetRemaining!.Value, 9);

        Assert.Equal("shop-latency", stats.Slo);
        Assert.Equal(SloKind.Latency, stats.SloKind);
        Assert.Equal(300, stats.SloLatencyThresholdMs);
        Assert.Equal(30, stats.BadEvents);
        Assert.Equal(1.5, stats.BurnRate!.Value, 9);
        Assert.Equal(-0.5, stats.ErrorBudgetRemaining!.Value, 9);
        Assert.True(stats.SloBreached);
        Assert.Equal(ServiceStatus.Degraded, stats.Status);
        Assert.Contains("SLO 'shop-latency' breached: 85.00 % good (30 of 200 failed or slower than 300 ms), objective 90 %", stats.Reason);
        Assert.DoesNotContain("shop-availability", stats.Reason);
    }

    [Fact]
    public async Task A_met_slo_leaves_the_service_Healthy_with_its_budget_left()
    {
        // 1 % errors against a 95 % objective: a fifth of the budget burns, 80 % is left.
        var stats = await Probe($"{_base}/mix?key=met&fail=1", new ProbeSettings { Requests = 100, MaxErrorRate = 0.05 }, Slo("shop-availability", 95));

        Assert.Equal(ServiceStatus.Healthy, stats.Status);
        Assert.Null(stats.Reason);
        Assert.False(stats.SloBreached);
        Assert.Equal(1, stats.BadEvents);
        Assert.Equal(0.2, stats.BurnRate!.Value, 9);
        Assert.Equal(0.8, stats.ErrorBudgetRemaining!.Value, 9);
    }

    [Fact]
    public async Task A_target_with_no_slo_carries_no_slo_figures()
    {
        var stats = await Probe($"{_base}/healthz", new ProbeSettings { Requests = 5 });

        Assert.Null(stats.Slo);
        Assert.Null(stats.BurnRate);
        Assert.False(stats.SloBreached);
        Assert.Empty(stats.Slos);
        Assert.False(stats.Sources.ContainsKey("BurnRate"));
    }

    [Fact]
    public void A_100_percent_objective_is_breached_by_one_bad_event_and_untouched_by_none()
    {
        var breached = SloResult.Evaluate(Slo("strict", 100), 1000, 1);
        Assert.True(breached.Breached);
        Assert.True(double.IsNegativeInfinity(breached.ErrorBudgetRemaining!.Value));
        Assert.Contains("burn rate infinite", breached.Describe());

        var clean = SloResult.Evaluate(Slo("strict", 100), 1000, 0);
        Assert.False(clean.Breached);
        Assert.Equal(1, clean.ErrorBudgetRemaining);

        var empty = SloResult.Evaluate(Slo("strict", 100), 0, 0);
        Assert.Null(empty.BurnRate);
        Assert.False(empty.Breached);
    }

    [Fact]
    public void An_environment_files_slos_are_matched_to_an_app_by_name_in_file_order()
    {
        var environment = DevOpsTools.Engine.Environments.EnvironmentLoader.Load("env.yaml", """
            apiVersion: devopstools/v1
            name: test
            provider:
              type: podman
            apps:
              - name: shop
                image: localhost/shop:1.0.0
                port: 8080
              - name: web
                image: localhost/web:1.0.0
                port: 8080
            monitoring:
              slos:
                - name: shop-availability
                  app: shop
                  objective: 99.5
                  window: 7d
                - name: web-availability
                  app: web
                  objective: 99
                - name: shop-latency
                  app: shop
                  objective: 99
                  latencyMs: 300
            """).Single();

        var shop = ServiceLevelObjective.OfApp(environment, "shop");
        Assert.Equal(["shop-availability", "shop-latency"], shop.Select(s => s.Name));
        Assert.Equal(TimeSpan.FromDays(7), shop[0].Window);
        Assert.Equal(300, shop[1].LatencyThresholdMs);
        Assert.Empty(ServiceLevelObjective.OfApp(environment, "Shop"));
    }
}
