using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>
/// Text into HTML: everything a report shows from its input (service names, URLs, error reasons)
/// passes through Encode, so markup in a name is shown as text and never parsed. Numbers are
/// written in the invariant culture, times in UTC.
/// </summary>
public static class HtmlText
{
    // All of Unicode stays readable (a service called "café"); < > & " ' and controls are escaped.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string? text) => text is null ? string.Empty : Encoder.Encode(text);

    /// <summary>For attribute values, which the report always writes in double quotes.</summary>
    public static string Attribute(string? text) => Encode(text);

    /// <summary>A name reduced to a-z, 0-9 and '-', for ids and class names.</summary>
    public static string Id(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-').ToArray();
        var id = new string(chars).Trim('-');
        return id.Length == 0 ? "x" : id;
    }

    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A figure with the decimals its size needs ("0.85", "12.4", "1520"); "–" when absent or not finite.</summary>
    public static string Number(double? value, string? unit = null)
    {
        if (value is not { } v || double.IsNaN(v))
        {
            return "–";
        }

        if (double.IsInfinity(v))
        {
            return (v > 0 ? "∞" : "-∞") + Unit(unit);
        }

        var magnitude = Math.Abs(v);
        var format = magnitude == 0 ? "0" : magnitude < 10 ? "0.00" : magnitude < 1000 ? "0.0" : "0";
        return v.ToString(format, CultureInfo.InvariantCulture) + Unit(unit);
    }

    /// <summary>A ratio (0.995) as a percentage ("99.50 %").</summary>
    public static string Percent(double? ratio) =>
        ratio is { } r && double.IsFinite(r) ? (r * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %" : Number(ratio * 100, "%");

    private static string Unit(string? unit) => unit is null ? string.Empty : unit == "×" ? unit : " " + unit;
}
