using System.Globalization;
using DevOpsTools.Engine.Monitoring.Reports;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>The report's axes: round ticks, degenerate domains (one value, none, NaN), UTC time ticks and labels.</summary>
public sealed class ChartScaleTests
{
    [Fact]
    public void A_spread_of_values_gets_round_ticks_covering_it()
    {
        var scale = LinearScale.Nice([3, 47], 200, 0);
        Assert.Equal(0, scale.Min);
        Assert.Equal(50, scale.Max);
        Assert.Equal([0, 10, 20, 30, 40, 50], scale.Ticks);
        Assert.Equal(200, scale.Map(0));
        Assert.Equal(0, scale.Map(50));
        Assert.Equal(100, scale.Map(25));
    }

    [Theory]
    [InlineData(0.37, 0.5)]
    [InlineData(1.2, 2)]
    [InlineData(4.9, 5)]
    [InlineData(7, 10)]
    [InlineData(0.0021, 0.005)]
    [InlineData(0, 1)]
    [InlineData(double.NaN, 1)]
    public void Steps_are_one_two_or_five_times_a_power_of_ten(double rough, double expected) =>
        Assert.Equal(expected, LinearScale.NiceStep(rough), 12);

    [Theory]
    [InlineData(12.5)]
    [InlineData(0.4)]
    [InlineData(99.5)]
    [InlineData(-3)]
    [InlineData(0)]
    public void One_value_lies_strictly_inside_a_widened_domain(double value)
    {
        var scale = LinearScale.Nice([value], 100, 0);
        Assert.True(scale.Min < value || value == 0, $"{scale.Min} < {value}");
        Assert.True(scale.Max > value, $"{scale.Max} > {value}");
        Assert.InRange(scale.Map(value), 0, 100);
        Assert.True(scale.Min >= 0 || value < 0, "a non-negative value gets no negative axis");
    }

    [Fact]
    public void Non_finite_values_are_not_data_and_nothing_gives_zero_to_one()
    {
        var scale = LinearScale.Nice([double.NaN, double.PositiveInfinity, 4, 6], 100, 0);
        Assert.Equal(4, scale.Min);
        Assert.Equal(6, scale.Max);

        var empty = LinearScale.Nice([double.NaN], 100, 0);
        Assert.Equal(0, empty.Min);
        Assert.Equal(1, empty.Max);
        Assert.Equal(50, empty.Map(0.5));
    }

    [Fact]
    public void A_ceiling_keeps_percentages_at_or_below_100_and_included_values_widen_the_domain()
    {
        var availability = LinearScale.Nice([100], 100, 0, ceiling: 100);
        Assert.Equal(100, availability.Max);
        Assert.True(availability.Min < 100);

        // A ceiling that is not a multiple of the step: no tick above it.
        var clipped = LinearScale.Nice([-550, 40], 100, 0, ceiling: 100);
        Assert.Equal(100, clipped.Max);
        Assert.All(clipped.Ticks, t => Assert.InRange(t, clipped.Min, clipped.Max));

        var withReference = LinearScale.Nice([2, 3], 100, 0, include: [0, 10]);
        Assert.Equal(0, withReference.Min);
        Assert.Equal(10, withReference.Max);
        Assert.Equal(0, withReference.Map(20)); // clamped to the edge, not drawn outside the frame
    }

    [Fact]
    public void Tick_labels_are_invariant_with_the_decimals_the_step_needs()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var fine = LinearScale.Nice([0.1, 0.9], 100, 0);
            Assert.Equal("0.2", fine.Label(0.2));
            Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], fine.Ticks.Select(fine.Label));
            var coarse = LinearScale.Nice([0, 1800], 100, 0);
            Assert.Equal("1500", coarse.Label(1500));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void One_time_is_drawn_mid_chart_and_labelled_in_utc()
    {
        var at = new DateTimeOffset(2026, 12, 4, 3, 15, 30, TimeSpan.FromHours(2));
        var scale = TimeScale.Nice([at], 0, 500);
        Assert.Equal(250, scale.Map(at), 6);
        Assert.NotEmpty(scale.Ticks);
        Assert.All(scale.Ticks, t => Assert.Equal(TimeSpan.Zero, t.Offset));
        // 03:15 at +02:00 is 01:15 UTC.
        Assert.Contains(scale.Ticks, t => scale.Label(t).StartsWith("01:1", StringComparison.Ordinal));
    }

    [Fact]
    public void Time_ticks_are_round_intervals_inside_the_span()
    {
        var start = new DateTimeOffset(2026, 12, 4, 1, 0, 7, TimeSpan.Zero);
        var times = Enumerable.Range(0, 5).Select(i => start.AddSeconds(i * 30)).ToList();
        var scale = TimeScale.Nice(times, 0, 500);
        Assert.Equal(TimeSpan.FromSeconds(30), scale.Step);
        Assert.True(scale.Map(times[0]) > 0 && scale.Map(times[^1]) < 500, "the end points are inside the frame");
        Assert.All(scale.Ticks, t => Assert.Equal(0, t.Second % 30));
        Assert.Equal("01:00:30", scale.Label(new DateTimeOffset(2026, 12, 4, 1, 0, 30, TimeSpan.Zero)));

        var days = TimeScale.Nice([start, start.AddDays(8)], 0, 500);
        Assert.Equal(TimeSpan.FromDays(2), days.Step);
        Assert.Equal("12-06", days.Label(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero)));
    }
}
