using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Monitoring.Watch;

/// <summary>
/// One service's row of Watch-ServiceStats: its latest sample, or nothing yet (Status null)
/// before its first round ends. The replica counts and Restarts are a deployment's platform
/// figures; their columns are shown only when some row has them.
/// </summary>
public sealed record WatchRow(
    string Service,
    ServiceStatus? Status = null,
    double? Availability = null,
    double? ErrorRate = null,
    double? LatencyP50 = null,
    double? LatencyP99 = null,
    double? Throughput = null,
    int? ReplicasReady = null,
    int? ReplicasDesired = null,
    long? Restarts = null,
    string? Reason = null)
{
    /// <summary>A service not probed yet: its name, and dashes.</summary>
    public static WatchRow Pending(string service) => new(service);

    /// <summary>The row of one sample.</summary>
    public static WatchRow FromStats(ServiceStats stats) => new(
        stats.Service,
        stats.Status,
        stats.Availability,
        stats.ErrorRate,
        stats.LatencyP50,
        stats.LatencyP99,
        stats.Throughput,
        // Null for URLs and servers (no platform): the columns are shown only when a row has them.
        ReplicasReady: stats.ReplicasReady,
        ReplicasDesired: stats.ReplicasDesired,
        Restarts: stats.Restarts,
        Reason: stats.Reason);

    /// <summary>"2/3" (ready of desired), "2" or "-/3" when only one is known, null when neither is.</summary>
    public string? Replicas => (ReplicasReady, ReplicasDesired) switch
    {
        (null, null) => null,
        ({ } ready, null) => ready.ToString(CultureInfo.InvariantCulture),
        (var ready, { } desired) => $"{ready?.ToString(CultureInfo.InvariantCulture) ?? "-"}/{desired.ToString(CultureInfo.InvariantCulture)}",
    };
}

/// <summary>What the title line says: which round, how often, when.</summary>
public sealed record WatchHeading(int Round, int? Count, TimeSpan Interval, DateTimeOffset At);

/// <summary>
/// Lays out Watch-ServiceStats' screen as lines of at most <c>width</c> visible characters: a
/// title, the column header, one row per service (names truncated to fit), then the reason of
/// each service that is not Healthy. Colour (SGR codes around the status only, so widths are
/// computed on plain text) is on or off as the caller decides. Pure: the cmdlet only writes the
/// lines.
/// </summary>
public static class WatchLayout
{
    public const int StatusWidth = 8;
    public const int PercentWidth = 7;
    public const int LatencyWidth = 7;
    public const int RateWidth = 7;
    public const int PlatformWidth = 8;
    public const int MinServiceWidth = 8;
    public const int MaxServiceWidth = 40;

    /// <summary>Marks a truncated name or line.</summary>
    public const string Ellipsis = "..";

    private const string Dash = "-";

    /// <summary>The screen's lines; with <paramref name="height"/> above 0 at most that many (the rows that do not fit are counted on the last line).</summary>
    public static IReadOnlyList<string> Lines(WatchHeading heading, IReadOnlyList<WatchRow> rows, int width, int height, bool color)
    {
        width = Math.Max(width, 1);
        var platform = rows.Any(r => r.Replicas is not null || r.Restarts is not null);
        var serviceWidth = ServiceWidth(width, platform);
        var lines = new List<string> { Fit(Title(heading), width) };
        var header = Row(serviceWidth, platform, "SERVICE", "STATUS", "AVAIL", "ERRORS", "P50", "P99", "REQ/S", "REPLICAS", "RESTARTS");
        lines.Add(color ? Ansi.Bold + Fit(header, width) + Ansi.Reset : Fit(header, width));

        var room = height > 0 ? height - lines.Count : int.MaxValue;
        var shown = rows.Count <= room ? rows.Count : Math.Max(room - 1, 0);
        foreach (var row in rows.Take(shown))
        {
            lines.Add(ServiceLine(row, serviceWidth, platform, width, color));
        }

        if (shown < rows.Count)
        {
            if (room > 0)
            {
                lines.Add(Fit($"+{rows.Count - shown} more services: enlarge the terminal", width));
            }

            return lines;
        }

        foreach (var row in rows.Where(r => r.Status is not null and not ServiceStatus.Healthy && r.Reason is not null))
        {
            if (height > 0 && lines.Count >= height)
            {
                break;
            }

            lines.Add(Fit($"{row.Service}: {row.Reason}", width));
        }

        return lines;
    }

    /// <summary>The service column's width: what the other columns leave, within bounds.</summary>
    public static int ServiceWidth(int width, bool platform)
    {
        var others = StatusWidth + 2 * PercentWidth + 2 * LatencyWidth + RateWidth + (platform ? 2 * PlatformWidth : 0);
        var separators = platform ? 8 : 6;
        return Math.Clamp(width - others - separators, MinServiceWidth, MaxServiceWidth);
    }

    /// <summary><paramref name="text"/> cut to <paramref name="width"/> characters, ending in ".." when cut.</summary>
    public static string Fit(string text, int width)
    {
        if (text.Length <= width)
        {
            return text;
        }

        return width <= Ellipsis.Length ? text[..width] : text[..(width - Ellipsis.Length)] + Ellipsis;
    }

    /// <summary>A fraction as a percentage with two decimals ("99.95%"); "-" when unknown.</summary>
    public static string Percent(double? fraction) =>
        fraction is { } f && double.IsFinite(f) ? (f * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%" : Dash;

    /// <summary>Milliseconds in at most 7 characters: "0.84ms", "12.3ms", "250ms", "1.50s", "12.3s", "250s".</summary>
    public static string Latency(double? milliseconds)
    {
        if (milliseconds is not { } ms || !double.IsFinite(ms) || ms < 0)
        {
            return Dash;
        }

        var c = CultureInfo.InvariantCulture;
        // Rounding is decided on the rounded value, so 9.996 ms reads "10.0ms", not "10.00ms".
        if (Math.Round(ms, 2) < 10)
        {
            return ms.ToString("0.00", c) + "ms";
        }

        if (Math.Round(ms, 1) < 100)
        {
            return ms.ToString("0.0", c) + "ms";
        }

        if (Math.Round(ms) < 1000)
        {
            return ms.ToString("0", c) + "ms";
        }

        var s = ms / 1000;
        return Math.Round(s, 2) < 10 ? s.ToString("0.00", c) + "s"
            : Math.Round(s, 1) < 100 ? s.ToString("0.0", c) + "s"
            : s.ToString("0", c) + "s";
    }

    /// <summary>Requests per second: "0.50", "12.3", "250", "1.5k", "2.0M".</summary>
    public static string Rate(double? perSecond)
    {
        if (perSecond is not { } r || !double.IsFinite(r) || r < 0)
        {
            return Dash;
        }

        var c = CultureInfo.InvariantCulture;
        return Math.Round(r, 2) < 10 ? r.ToString("0.00", c)
            : Math.Round(r, 1) < 100 ? r.ToString("0.0", c)
            : Math.Round(r) < 1000 ? r.ToString("0", c)
            : Math.Round(r / 1000, 1) < 1000 ? (r / 1000).ToString("0.0", c) + "k"
            : (r / 1_000_000).ToString("0.0", c) + "M";
    }

    /// <summary>The SGR colour of a status: green Healthy, yellow Degraded, red Down.</summary>
    public static string ColorOf(ServiceStatus status) => status switch
    {
        ServiceStatus.Healthy => Ansi.Green,
        ServiceStatus.Degraded => Ansi.Yellow,
        _ => Ansi.Red,
    };

    private static string Title(WatchHeading h)
    {
        var c = CultureInfo.InvariantCulture;
        var round = h.Count is { } n ? $"round {h.Round}/{n}" : $"round {h.Round}";
        var every = h.Interval.TotalSeconds.ToString("0.###", c);
        return $"Watch-ServiceStats  {round}  every {every}s  {h.At.ToUniversalTime().ToString("HH:mm:ss", c)}Z  Ctrl+C stops";
    }

    private static string ServiceLine(WatchRow row, int serviceWidth, bool platform, int width, bool color)
    {
        var status = row.Status?.ToString() ?? "...";
        var line = Row(serviceWidth, platform, Fit(row.Service, serviceWidth), status,
            Percent(row.Availability), Percent(row.ErrorRate), Latency(row.LatencyP50), Latency(row.LatencyP99), Rate(row.Throughput),
            row.Replicas ?? Dash, row.Restarts?.ToString(CultureInfo.InvariantCulture) ?? Dash);
        line = Fit(line, width);
        if (!color || row.Status is not { } known)
        {
            return line;
        }

        // The status cell starts right after the service column and its separator.
        var start = serviceWidth + 1;
        if (line.Length <= start)
        {
            return line;
        }

        var length = Math.Min(status.Length, line.Length - start);
        return line[..start] + ColorOf(known) + line.Substring(start, length) + Ansi.Reset + line[(start + length)..];
    }

    private static string Row(int serviceWidth, bool platform, string service, string status, string availability, string errors, string p50, string p99, string rate, string replicas, string restarts)
    {
        var text = new StringBuilder();
        text.Append(service.PadRight(serviceWidth)).Append(' ')
            .Append(status.PadRight(StatusWidth)).Append(' ')
            .Append(availability.PadLeft(PercentWidth)).Append(' ')
            .Append(errors.PadLeft(PercentWidth)).Append(' ')
            .Append(p50.PadLeft(LatencyWidth)).Append(' ')
            .Append(p99.PadLeft(LatencyWidth)).Append(' ')
            .Append(rate.PadLeft(RateWidth));
        if (platform)
        {
            text.Append(' ').Append(replicas.PadLeft(PlatformWidth)).Append(' ').Append(restarts.PadLeft(PlatformWidth));
        }

        return text.ToString();
    }
}
