using System.Globalization;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>
/// A linear axis: a data domain widened to round tick values (steps of 1, 2 or 5 times a power of
/// ten) and mapped onto a pixel range. A domain of one value (one sample, or a flat line) is
/// widened around it, so a single point sits inside the chart instead of dividing by zero.
/// </summary>
public sealed class LinearScale
{
    private LinearScale(double min, double max, double step, double pixelFrom, double pixelTo)
    {
        Min = min;
        Max = max;
        Step = step;
        PixelFrom = pixelFrom;
        PixelTo = pixelTo;
    }

    public double Min { get; }

    public double Max { get; }

    public double Step { get; }

    public double PixelFrom { get; }

    public double PixelTo { get; }

    /// <summary>The tick values, Min to Max by Step (computed by index, so no rounding drift).</summary>
    public IReadOnlyList<double> Ticks
    {
        get
        {
            // Floor: under a ceiling Max need not be a multiple of Step, and no tick may lie above it.
            var count = (int)Math.Floor(((Max - Min) / Step) + 1e-9);
            return Enumerable.Range(0, count + 1).Select(i => Clean(Min + (i * Step))).ToArray();
        }
    }

    /// <summary>
    /// A scale over the finite values (NaN and infinities are not data), also covering
    /// <paramref name="include"/> (a baseline or a reference line), with about <paramref name="intervals"/> intervals between ticks.
    /// Without a finite value the domain is 0 to 1.
    /// </summary>
    public static LinearScale Nice(IEnumerable<double> values, double pixelFrom, double pixelTo, IEnumerable<double>? include = null, int intervals = 5, double? ceiling = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Concat(include ?? []).Where(double.IsFinite).ToList();
        var low = finite.Count == 0 ? 0 : finite.Min();
        var high = finite.Count == 0 ? 1 : finite.Max();
        if (high - low < Math.Max(Math.Abs(high), 1) * 1e-9)
        {
            // One value: a span of a tenth of its size (at least 1) centred on it, kept off
            // zero for a non-negative value so 0.5 ms does not get a negative axis.
            var half = Math.Max(Math.Abs(high) * 0.1, 1) / 2;
            low = low >= 0 && low - half < 0 ? 0 : low - half;
            high += half;
        }

        if (ceiling is { } c && high > c && low < c)
        {
            high = c;
        }

        var step = NiceStep((high - low) / Math.Max(intervals, 1));
        var min = Math.Floor(low / step) * step;
        var max = Math.Ceiling(high / step) * step;
        if (ceiling is { } top && max > top && high <= top)
        {
            max = top;
        }

        return new LinearScale(Clean(min), Clean(max), step, pixelFrom, pixelTo);
    }

    /// <summary>The pixel of a value; values outside the domain are clamped to its edges.</summary>
    public double Map(double value)
    {
        var t = (Math.Clamp(value, Min, Max) - Min) / (Max - Min);
        return PixelFrom + (t * (PixelTo - PixelFrom));
    }

    /// <summary>A tick label: as many decimals as the step needs, invariant culture ("0.25", "1200").</summary>
    public string Label(double value)
    {
        var decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(Step) - 1e-9), 0, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>1, 2 or 5 times a power of ten, the smallest at least <paramref name="rough"/>.</summary>
    internal static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / power;
        var nice = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;
        return nice * power;
    }

    // 0.1 * 3 is 0.30000000000000004: rounding to 12 significant digits keeps labels and tests exact.
    private static double Clean(double value) => value == 0 ? 0 : Math.Round(value, Math.Clamp(12 - (int)Math.Ceiling(Math.Log10(Math.Abs(value))), 0, 15));
}

/// <summary>
/// A time axis in UTC: the samples' span widened to round intervals (seconds to days) with labels
/// to match. One sample gets a minute either side, so it is drawn as a point mid-chart.
/// </summary>
public sealed class TimeScale
{
    private static readonly TimeSpan[] Intervals =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12),
        TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(7), TimeSpan.FromDays(14), TimeSpan.FromDays(30),
    ];

    private TimeScale(DateTimeOffset min, DateTimeOffset max, TimeSpan step, double pixelFrom, double pixelTo)
    {
        Min = min;
        Max = max;
        Step = step;
        PixelFrom = pixelFrom;
        PixelTo = pixelTo;
    }

    public DateTimeOffset Min { get; }

    public DateTimeOffset Max { get; }

    public TimeSpan Step { get; }

    public double PixelFrom { get; }

    public double PixelTo { get; }

    public IReadOnlyList<DateTimeOffset> Ticks
    {
        get
        {
            var first = new DateTimeOffset(Min.UtcTicks + ((Step.Ticks - (Min.UtcTicks % Step.Ticks)) % Step.Ticks), TimeSpan.Zero);
            var ticks = new List<DateTimeOffset>();
            for (var t = first; t <= Max && ticks.Count < 50; t += Step)
            {
                ticks.Add(t);
            }

            return ticks;
        }
    }

    public static TimeScale Nice(IEnumerable<DateTimeOffset> times, double pixelFrom, double pixelTo, int intervals = 5)
    {
        ArgumentNullException.ThrowIfNull(times);
        var list = times.Select(t => t.ToUniversalTime()).ToList();
        var low = list.Count == 0 ? DateTimeOffset.UnixEpoch : list.Min();
        var high = list.Count == 0 ? DateTimeOffset.UnixEpoch.AddMinutes(1) : list.Max();
        if (high - low < TimeSpan.FromSeconds(1))
        {
            low -= TimeSpan.FromMinutes(1);
            high += TimeSpan.FromMinutes(1);
        }
        else
        {
            // A margin of 4 % each side, so the first and last points are not cut by the frame.
            var margin = TimeSpan.FromTicks((high - low).Ticks / 25);
            low -= margin;
            high += margin;
        }

        var rough = TimeSpan.FromTicks((high - low).Ticks / Math.Max(intervals, 1));
        var step = Intervals.FirstOrDefault(i => i >= rough, Intervals[^1]);
        return new TimeScale(low, high, step, pixelFrom, pixelTo);
    }

    public double Map(DateTimeOffset time)
    {
        var t = (double)(Math.Clamp(time.UtcTicks, Min.UtcTicks, Max.UtcTicks) - Min.UtcTicks) / (Max.UtcTicks - Min.UtcTicks);
        return PixelFrom + (t * (PixelTo - PixelFrom));
    }

    /// <summary>"01:02:03" under a minute's step, "01:02" under a day's, "12-04" beyond; always UTC.</summary>
    public string Label(DateTimeOffset time)
    {
        var format = Step < TimeSpan.FromMinutes(1) ? "HH:mm:ss" : Step < TimeSpan.FromDays(1) ? "HH:mm" : "MM-dd";
        return time.ToUniversalTime().ToString(format, CultureInfo.InvariantCulture);
    }
}
