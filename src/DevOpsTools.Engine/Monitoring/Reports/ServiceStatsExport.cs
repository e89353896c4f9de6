using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>The formats Export-ServiceStats writes.</summary>
public enum ServiceStatsFormat
{
    /// <summary>An array of objects, one per service, with every figure, its errors and sources.</summary>
    Json,

    /// <summary>One row per service (RFC 4180), for spreadsheets.</summary>
    Csv,

    /// <summary>Prometheus text exposition format 0.0.4: node_exporter's textfile collector or a Pushgateway.</summary>
    Prometheus,

    /// <summary>One self-contained HTML page: status tiles, charts over time of the samples, the latest figures.</summary>
    Html,
}

/// <summary>
/// Renders ServiceStats as files other tools read. Numbers are written in the invariant culture
/// (a German session must not write "0,99"), times in ISO 8601 UTC and durations in seconds.
/// </summary>
public static class ServiceStatsExport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The columns of one service, in the order CSV writes them.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "Service", "Environment", "Target", "StartedAt", "WindowSeconds", "Status", "Reason",
        "Availability", "ErrorRate", "Requests", "Failures", "Throughput",
        "LatencyP50", "LatencyP90", "LatencyP95", "LatencyP99", "LatencyMax", "LatencyObjective",
        "Slo", "SloObjective", "BadEvents", "ErrorBudgetRemaining", "BurnRate", "SloBreached",
        "CertificateExpiresAt", "CertificateDaysLeft",
    ];

    /// <summary>Renders the stats; <paramref name="generatedAt"/> (default now) is the time an HTML report says it was made.</summary>
    public static string Render(IEnumerable<ServiceStats> stats, ServiceStatsFormat format, DateTimeOffset? generatedAt = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var list = stats.ToList();
        return format switch
        {
            ServiceStatsFormat.Json => ToJson(list),
            ServiceStatsFormat.Csv => ToCsv(list),
            ServiceStatsFormat.Prometheus => PrometheusText.Render(list),
            ServiceStatsFormat.Html => HtmlReport.Render(list, generatedAt ?? DateTimeOffset.UtcNow),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }

    /// <summary>
    /// Writes the rendering under a temporary name beside the file and renames it: a textfile
    /// collector or a reader scraping mid-write sees the old file or the new one, never half of one.
    /// </summary>
    public static FileInfo WriteFile(string path, string content)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return new FileInfo(full);
    }

    private static string ToJson(IReadOnlyList<ServiceStats> stats) =>
        JsonSerializer.Serialize(stats.Select(s => new
        {
            s.Service,
            s.Environment,
            s.Target,
            StartedAt = s.StartedAt.ToUniversalTime(),
            WindowSeconds = s.Window.TotalSeconds,
            s.Status,
            s.Reason,
            s.Availability,
            s.ErrorRate,
            s.Requests,
            s.Failures,
            s.Throughput,
            s.LatencyP50,
            s.LatencyP90,
            s.LatencyP95,
            s.LatencyP99,
            s.LatencyMax,
            s.LatencyObjective,
            s.Slo,
            s.SloObjective,
            s.SloKind,
            s.SloLatencyThresholdMs,
            s.BadEvents,
            s.ErrorBudgetRemaining,
            s.BurnRate,
            s.SloBreached,
            Slos = s.Slos.Select(o => new { o.Name, o.Kind, o.Objective, o.LatencyThresholdMs, WindowSeconds = o.Window.TotalSeconds, o.Requests, o.BadEvents, o.GoodRatio, o.BurnRate, o.ErrorBudgetRemaining, o.Breached }),
            CertificateExpiresAt = s.CertificateExpiresAt?.ToUniversalTime(),
            s.CertificateDaysLeft,
            s.Errors,
            s.Sources,
        }), Json) + "\n";

    private static string ToCsv(IReadOnlyList<ServiceStats> stats)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', Columns).Append("\r\n");
        foreach (var s in stats)
        {
            string?[] row =
            [
                Text(s.Service), Text(s.Environment), Text(s.Target), Time(s.StartedAt), Number(s.Window.TotalSeconds), s.Status.ToString(), Text(s.Reason),
                Number(s.Availability), Number(s.ErrorRate), Number(s.Requests), Number(s.Failures), Number(s.Throughput),
                Number(s.LatencyP50), Number(s.LatencyP90), Number(s.LatencyP95), Number(s.LatencyP99), Number(s.LatencyMax), Number(s.LatencyObjective),
                Text(s.Slo), Number(s.SloObjective), Number(s.BadEvents), Number(s.ErrorBudgetRemaining), Number(s.BurnRate), s.SloBreached ? "true" : "false",
                s.CertificateExpiresAt is { } expires ? Time(expires) : null, Number(s.CertificateDaysLeft),
            ];
            text.AppendJoin(',', row.Select(Quote)).Append("\r\n");
        }

        return text.ToString();
    }

    // A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection): a service's
    // error reason is text from the network, so such text gets a leading apostrophe.
    private static string? Text(string? value) =>
        value is { Length: > 0 } && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;

    private static string Quote(string? value) =>
        value is null ? string.Empty
        : value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture);

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);
}
