using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>Error budgets, burn rates and the multi-window alert table, against figures worked out by hand.</summary>
public sealed class SloTests
{
    private static ServiceLevelObjective Slo(double objective, string window = "30d", int? latencyMs = null) =>
        ServiceLevelObjective.From(new SloSettings { Name = "shop-availability", App = "shop", Objective = objective, Window = window, LatencyMs = latencyMs });

    [Fact]
    public void Budget_and_burn_rate_of_a_known_series()
    {
        var slo = Slo(99.9);
        Assert.Equal(0.001, slo.ErrorBudget);
        Assert.Equal(SloKind.Availability, slo.Kind);

        // 5 failures in 1,000 requests spend the budget five times too fast: 4 budgets over, i.e. -400 % left.
        Assert.Equal(5, slo.BurnRate(5 / 1000.0), 9);
        Assert.Equal(-4, slo.ErrorBudgetRemaining(5 / 1000.0), 9);
        // Half a budget's worth of failures leaves half of it.
        Assert.Equal(0.5, slo.ErrorBudgetRemaining(0.0005), 9);
        Assert.Equal(1, slo.ErrorBudgetRemaining(0));
    }

    [Fact]
    public void An_objective_of_100_percent_burns_infinitely_on_any_bad_event()
    {
        var slo = Slo(100);
        Assert.Equal(0, slo.ErrorBudget);
        Assert.Equal(0, slo.BurnRate(0));
        Assert.True(double.IsPositiveInfinity(slo.BurnRate(1e-9)));
        Assert.True(double.IsNegativeInfinity(slo.ErrorBudgetRemaining(1e-9)));
    }

    [Fact]
    public void A_ratio_outside_0_to_1_is_refused()
    {
        var slo = Slo(99);
        Assert.Throws<ArgumentOutOfRangeException>(() => slo.BurnRate(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => slo.BurnRate(1.5));
    }

    [Fact]
    public void A_latency_slo_is_one_with_a_threshold()
    {
        var slo = Slo(99, "7d", 300);
        Assert.Equal(SloKind.Latency, slo.Kind);
        Assert.Equal(300, slo.LatencyThresholdMs);
        Assert.Equal(TimeSpan.FromDays(7), slo.Window);
    }

    [Fact]
    public void The_30_day_table_is_the_workbooks()
    {
        var alerts = BurnRateAlert.For(TimeSpan.FromDays(30));
        Assert.Equal(
            [
                new BurnRateAlert(AlertSeverity.Page, 14.4, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)),
                new BurnRateAlert(AlertSeverity.Page, 6, TimeSpan.FromHours(6), TimeSpan.FromMinutes(30)),
                new BurnRateAlert(AlertSeverity.Ticket, 3, TimeSpan.FromDays(1), TimeSpan.FromHours(2)),
                new BurnRateAlert(AlertSeverity.Ticket, 1, TimeSpan.FromDays(3), TimeSpan.FromHours(6)),
            ],
            alerts);
        // 2 %, 5 %, 10 % and 10 % of the budget are spent when each fires.
        Assert.Equal([0.02, 0.05, 0.1, 0.1], alerts.Select(a => Math.Round(a.BudgetSpentWhenFiring(TimeSpan.FromDays(30)), 9)));
    }

    [Fact]
    public void Another_window_scales_the_time_windows_and_keeps_the_budget_shares()
    {
        var alerts = BurnRateAlert.For(TimeSpan.FromDays(7));
        Assert.Equal([14.4, 6, 3, 1], alerts.Select(a => a.Factor));
        // 1 h * 7/30 = 14 min; its short window 70 s rounds to 1 min; 3 d * 7/30 = 16 h 48 min.
        Assert.Equal(TimeSpan.FromMinutes(14), alerts[0].LongWindow);
        Assert.Equal(TimeSpan.FromMinutes(1), alerts[0].ShortWindow);
        Assert.Equal(TimeSpan.FromMinutes(1008), alerts[3].LongWindow);
        Assert.Equal(TimeSpan.FromMinutes(84), alerts[3].ShortWindow);
        foreach (var (alert, share) in alerts.Zip(new[] { 0.02, 0.05, 0.1, 0.1 }))
        {
            Assert.InRange(alert.BudgetSpentWhenFiring(TimeSpan.FromDays(7)), share * 0.97, share * 1.03);
        }
    }

    [Theory]
    [InlineData(15.0, 15.0, true)]
    [InlineData(15.0, 2.0, false)]  // the burn has stopped: the short window resets the alert
    [InlineData(2.0, 15.0, false)]  // a blip: not significant over the long window
    [InlineData(14.4, 14.4, false)] // exactly on the factor does not fire, as Sloth's ">" does not
    public void An_alert_fires_only_while_both_windows_burn_above_its_factor(double longBurn, double shortBurn, bool fires)
    {
        var page = BurnRateAlert.For(TimeSpan.FromDays(30))[0];
        Assert.Equal(fires, page.Fires(longBurn, shortBurn));
    }

    [Theory]
    [InlineData("90m", 90)]
    [InlineData("6h", 360)]
    [InlineData("30d", 43200)]
    [InlineData("2w", 20160)]
    public void Windows_parse_as_the_schema_writes_them(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), ServiceLevelObjective.ParseWindow(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("0d")]
    [InlineData("-1d")]
    [InlineData("1y")]
    [InlineData("1.5h")]
    public void Bad_windows_do_not_parse(string text)
    {
        Assert.Null(ServiceLevelObjective.ParseWindow(text));
    }

    [Theory]
    [InlineData(60, "1h")]
    [InlineData(5, "5m")]
    [InlineData(4320, "3d")]
    [InlineData(1008, "1008m")]
    [InlineData(84, "84m")]
    public void Windows_format_as_Prometheus_ranges(int minutes, string range)
    {
        Assert.Equal(range, ServiceLevelObjective.FormatWindow(TimeSpan.FromMinutes(minutes)));
    }
}
