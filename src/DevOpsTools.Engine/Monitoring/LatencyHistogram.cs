using HdrHistogram;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>
/// Latencies in an HdrHistogram: microsecond resolution, values up to an hour, three
/// significant digits (a quantile is within 0.1 % of the true value), and a fixed memory
/// footprint whatever the run's length. Not thread-safe: ProbeRunner records under a lock per
/// shard and adds the shards' histograms up once the run ends.
/// </summary>
internal sealed class LatencyHistogram
{
    private const long HighestMicroseconds = 3_600_000_000;
    private const int SignificantDigits = 3;

    private readonly LongHistogram _histogram = new(HighestMicroseconds, SignificantDigits);

    public long Count => _histogram.TotalCount;

    /// <summary>The relative error of every quantile read from this histogram.</summary>
    public static double Precision => Math.Pow(10, -SignificantDigits);

    public void Record(TimeSpan latency)
    {
        // A latency beyond the range is clamped rather than lost: it still counts as a request.
        var micros = Math.Clamp((long)Math.Round(latency.Ticks / 10.0), 1, HighestMicroseconds);
        _histogram.RecordValue(micros);
    }

    public void Add(LatencyHistogram other) => _histogram.Add(other._histogram);

    /// <summary>The latency at a percentile (0-100) in milliseconds; null when nothing was recorded.</summary>
    public double? Percentile(double percentile) =>
        Count == 0 ? null : _histogram.GetValueAtPercentile(percentile) / 1000.0;

    public double? Max => Count == 0 ? null : _histogram.GetMaxValue() / 1000.0;
}
