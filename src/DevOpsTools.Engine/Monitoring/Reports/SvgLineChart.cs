using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>One sample's value of a series; null (or NaN, infinity) where the sample has none.</summary>
public sealed record ChartPoint(DateTimeOffset Time, double? Value);

/// <summary>A line of a chart. Key is a short CSS-safe name ("p50") that picks its colour and dash.</summary>
public sealed record ChartSeries(string Key, string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>A horizontal line the reader measures against (an objective, "on budget").</summary>
public sealed record ChartReference(double Value, string Label);

/// <summary>
/// What a chart shows: its title, the y axis's name and unit, how a value reads in a tooltip,
/// and the scale's bounds (a floor such as 0 the domain always covers, a ceiling such as 100 %).
/// </summary>
public sealed record ChartSpec
{
    public required string Key { get; init; }

    public required string Title { get; init; }

    /// <summary>The y axis title with its unit: "Latency (ms)".</summary>
    public required string AxisLabel { get; init; }

    public required Func<double, string> FormatValue { get; init; }

    public required IReadOnlyList<ChartSeries> Series { get; init; }

    public IReadOnlyList<ChartReference> References { get; init; } = [];

    /// <summary>Values the y domain always covers (a zero baseline).</summary>
    public IReadOnlyList<double> Include { get; init; } = [];

    public double? Ceiling { get; init; }

    /// <summary>Said in place of the plot when no series has a value.</summary>
    public string EmptyText { get; init; } = "No data to plot.";
}

/// <summary>
/// Renders a time-series line chart as inline SVG: gridlines and tick labels in the invariant
/// culture, axis titles with units, a legend, gaps where a sample has no value, and a marker
/// with a tooltip (an SVG title) for every sample, so one sample is a visible point, not an empty chart.
/// </summary>
public static class SvgLineChart
{
    public const double Width = 560;
    public const double Height = 250;
    private const double Left = 64;
    private const double Right = 16;
    private const double Top = 34;
    private const double Bottom = 46;

    public static string Render(ChartSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var svg = new StringBuilder();
        var times = spec.Series.SelectMany(s => s.Points).Select(p => p.Time).Distinct().ToList();
        var values = spec.Series.SelectMany(s => s.Points).Select(p => p.Value).OfType<double>().Where(double.IsFinite).ToList();
        var titleId = "chart-" + HtmlText.Id(spec.Key);
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" viewBox=\"0 0 {N(Width)} {N(Height)}\" role=\"img\" aria-labelledby=\"{titleId}\" data-chart=\"{HtmlText.Attribute(spec.Key)}\" data-samples=\"{times.Count}\">");
        svg.Append("<title id=\"").Append(titleId).Append("\">").Append(HtmlText.Encode(spec.Title)).Append("</title>");
        svg.Append("<text class=\"chart-title\" x=\"").Append(N(Left)).Append("\" y=\"16\">").Append(HtmlText.Encode(spec.Title)).Append("</text>");

        var x = TimeScale.Nice(times, Left, Width - Right);
        var y = LinearScale.Nice(values, Height - Bottom, Top, spec.Include.Concat(spec.References.Select(r => r.Value)), ceiling: spec.Ceiling);
        Axes(svg, spec, x, y);
        if (values.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"no-data\" x=\"{N((Left + Width - Right) / 2)}\" y=\"{N((Top + Height - Bottom) / 2)}\" text-anchor=\"middle\">")
                .Append(HtmlText.Encode(spec.EmptyText)).Append("</text>");
        }

        foreach (var reference in spec.References)
        {
            var ry = N(y.Map(reference.Value));
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"reference\" x1=\"{N(Left)}\" x2=\"{N(Width - Right)}\" y1=\"{ry}\" y2=\"{ry}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"reference-label\" x=\"{N(Width - Right - 4)}\" y=\"{N(y.Map(reference.Value) - 4)}\" text-anchor=\"end\">")
                .Append(HtmlText.Encode(reference.Label)).Append("</text>");
        }

        foreach (var series in spec.Series)
        {
            Series(svg, spec, series, x, y);
        }

        Legend(svg, spec.Series);
        return svg.Append("</svg>").ToString();
    }

    private static void Axes(StringBuilder svg, ChartSpec spec, TimeScale x, LinearScale y)
    {
        svg.Append("<g class=\"axis y-axis\">");
        foreach (var tick in y.Ticks)
        {
            var ty = N(y.Map(tick));
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(Left)}\" x2=\"{N(Width - Right)}\" y1=\"{ty}\" y2=\"{ty}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left - 6)}\" y=\"{ty}\" text-anchor=\"end\" dominant-baseline=\"middle\">{HtmlText.Encode(y.Label(tick))}</text>");
        }

        var middle = N((Top + Height - Bottom) / 2);
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-title\" x=\"14\" y=\"{middle}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {middle})\">")
            .Append(HtmlText.Encode(spec.AxisLabel)).Append("</text></g>");

        svg.Append("<g class=\"axis x-axis\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"frame\" x1=\"{N(Left)}\" x2=\"{N(Width - Right)}\" y1=\"{N(Height - Bottom)}\" y2=\"{N(Height - Bottom)}\"/>");
        foreach (var tick in x.Ticks)
        {
            var tx = N(x.Map(tick));
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"tick\" x1=\"{tx}\" x2=\"{tx}\" y1=\"{N(Height - Bottom)}\" y2=\"{N(Height - Bottom + 4)}\"/>");
            // A label centred on a tick near the right edge would be cut off by the frame: it ends there instead.
            var anchor = x.Map(tick) > Width - Right - 24 ? "end" : "middle";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{tx}\" y=\"{N(Height - Bottom + 16)}\" text-anchor=\"{anchor}\">{HtmlText.Encode(x.Label(tick))}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-title\" x=\"{N((Left + Width - Right) / 2)}\" y=\"{N(Height - 6)}\" text-anchor=\"middle\">Time (UTC)</text></g>");
    }

    private static void Series(StringBuilder svg, ChartSpec spec, ChartSeries series, TimeScale x, LinearScale y)
    {
        var points = series.Points.OrderBy(p => p.Time).ToList();
        var drawn = points.Where(p => p.Value is { } v && double.IsFinite(v)).ToList();
        var key = HtmlText.Id(series.Key);
        svg.Append(CultureInfo.InvariantCulture, $"<g class=\"series s-{key}\" data-series=\"{HtmlText.Attribute(series.Key)}\" data-points=\"{drawn.Count}\">");

        // A sample without a value breaks the line: the next value starts a new segment.
        var path = new StringBuilder();
        var pen = 'M';
        foreach (var point in points)
        {
            if (point.Value is { } v && double.IsFinite(v))
            {
                path.Append(pen).Append(N(x.Map(point.Time))).Append(' ').Append(N(y.Map(v)));
                pen = 'L';
            }
            else
            {
                pen = 'M';
            }
        }

        if (path.Length > 0)
        {
            svg.Append("<path class=\"line\" d=\"").Append(path).Append("\"/>");
        }

        var radius = drawn.Count > 120 ? 1.5 : 3;
        foreach (var point in drawn)
        {
            var tip = $"{series.Name} at {point.Time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC: {spec.FormatValue(point.Value!.Value)}";
            svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" cx=\"{N(x.Map(point.Time))}\" cy=\"{N(y.Map(point.Value!.Value))}\" r=\"{N(radius)}\"><title>{HtmlText.Encode(tip)}</title></circle>");
        }

        svg.Append("</g>");
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<ChartSeries> series)
    {
        if (series.Count < 2)
        {
            return;
        }

        svg.Append("<g class=\"legend\">");
        var at = Width - Right;
        foreach (var s in series.Reverse())
        {
            // About 6.5 px a character at the legend's 11 px: enough to keep entries apart.
            at -= (s.Name.Length * 6.5) + 34;
            var key = HtmlText.Id(s.Key);
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"s-{key}\"><line class=\"line\" x1=\"{N(at)}\" x2=\"{N(at + 20)}\" y1=\"12\" y2=\"12\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(at + 24)}\" y=\"12\" dominant-baseline=\"middle\">{HtmlText.Encode(s.Name)}</text></g>");
        }

        svg.Append("</g>");
    }

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
