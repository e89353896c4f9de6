using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.PromQl;

/// <summary>
/// Pieces of PromQL text. Every value that comes from outside (a service name, a label value)
/// goes in through <see cref="Quote"/> (and <see cref="RegexLiteral"/> inside =~), so it is
/// always a string literal and never changes the query's shape.
/// </summary>
public static partial class PromQlText
{
    /// <summary>A PromQL double-quoted string literal (Go escapes: backslash, quote, control characters).</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var b = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': b.Append("\\\\"); break;
                case '"': b.Append("\\\""); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append('"').ToString();
    }

    /// <summary>A value matched literally by a Prometheus (RE2, fully anchored) regular expression.</summary>
    public static string RegexLiteral(string value)
    {
        var b = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (@"\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                b.Append('\\');
            }

            b.Append(c);
        }

        return b.ToString();
    }

    /// <summary>
    /// A regex that matches exactly the three-digit status codes low..high: whole hundreds as
    /// "2[0-9][0-9]", whole tens as "30[0-9]", the rest one by one ("200-299" is "2[0-9][0-9]").
    /// </summary>
    public static string StatusRange(int low, int high)
    {
        if (low < 100 || high > 599 || low > high)
        {
            throw new ArgumentOutOfRangeException(nameof(low), $"{low}-{high} is not a range of status codes within 100-599.");
        }

        var parts = new List<string>();
        var code = low;
        while (code <= high)
        {
            if (code % 100 == 0 && code + 99 <= high)
            {
                parts.Add($"{code / 100}[0-9][0-9]");
                code += 100;
            }
            else if (code % 10 == 0 && code + 9 <= high)
            {
                parts.Add($"{code / 10}[0-9]");
                code += 10;
            }
            else
            {
                parts.Add(code.ToString(CultureInfo.InvariantCulture));
                code++;
            }
        }

        return string.Join('|', parts);
    }

    /// <summary>A window as a PromQL range ("1h", "90s"), in the largest unit that divides it.</summary>
    public static string Range(TimeSpan window)
    {
        var seconds = (long)Math.Round(window.TotalSeconds);
        if (seconds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "A window is at least one second.");
        }

        foreach (var (unit, size) in new[] { ("w", 604800L), ("d", 86400L), ("h", 3600L), ("m", 60L) })
        {
            if (seconds % size == 0)
            {
                return $"{seconds / size}{unit}";
            }
        }

        return $"{seconds}s";
    }

    /// <summary>A window given as text: a whole number and a unit, s m h d or w ("1h", "90s"); null when it is not one.</summary>
    public static TimeSpan? ParseWindow(string? text)
    {
        var match = text is null ? null : WindowPattern().Match(text);
        if (match is not { Success: true } || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0 || n > 10_000_000)
        {
            return null;
        }

        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
    }

    public static bool IsMetricName(string? name) => name is not null && MetricNamePattern().IsMatch(name);

    public static bool IsLabelName(string? name) => name is not null && LabelNamePattern().IsMatch(name) && !name.StartsWith("__", StringComparison.Ordinal);

    /// <summary>
    /// Checks a label matcher given as PromQL text (environment="prod", instance=~"10\\..*"): a label
    /// name, an operator and one double-quoted string, nothing else, so it cannot close the
    /// selector or add an expression. What the string says (a regex, say) is Prometheus' to judge.
    /// </summary>
    public static string CheckMatcher(string matcher)
    {
        var match = matcher is null ? null : MatcherPattern().Match(matcher);
        if (match is not { Success: true } || !IsLabelName(match.Groups[1].Value))
        {
            throw new DevOpsToolsException(ErrorIds.PrometheusSettingsInvalid, ErrorKind.InvalidArgument,
                $"'{matcher}' is not a label matcher such as environment=\"prod\" or instance=~\"10\\\\..*\" (a label name, = != =~ or !~, and one double-quoted string).", "Matcher");
        }

        return $"{match.Groups[1].Value}{match.Groups[2].Value}{match.Groups[3].Value}";
    }

    [GeneratedRegex(@"^(\d+)([smhdw])$", RegexOptions.CultureInvariant)]
    private static partial Regex WindowPattern();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelNamePattern();

    // The string: a quote, then any run of non-quote non-backslash characters or escapes, then a quote.
    [GeneratedRegex(@"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(""(?:[^""\\\n]|\\.)*"")\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex MatcherPattern();
}
