using System.Globalization;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>Sizes ("256Mi", "1Gi"), CPU amounts ("0.5", "500m") and durations ("5s") as the app spec writes them.</summary>
public static class Quantities
{
    public const string CpuPattern = @"^([0-9]{1,4}(\.[0-9]{1,3})?|[0-9]{1,7}m)$";

    public const string SizePattern = @"^[0-9]{1,15}(Ki|Mi|Gi|Ti|k|M|G|T)?$";

    public const string DurationPattern = @"^[0-9]{1,6}(ms|s|m|h)$";

    /// <summary>Cores: "0.5" is 0.5, "500m" is 0.5. Null when the text does not match <see cref="CpuPattern"/>.</summary>
    public static decimal? ParseCpu(string text)
    {
        if (!Validation.IsWhole(CpuPattern, text))
        {
            return null;
        }

        return text.EndsWith('m')
            ? decimal.Parse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture) / 1000m
            : decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
    }

    /// <summary>Bytes: "1Gi" is 1073741824, "1G" is 1000000000. Null when the text does not match or overflows.</summary>
    public static long? ParseSize(string text)
    {
        if (!Validation.IsWhole(SizePattern, text))
        {
            return null;
        }

        var digits = text.TrimEnd('K', 'M', 'G', 'T', 'i', 'k');
        var multiplier = text[digits.Length..] switch
        {
            "Ki" => 1L << 10,
            "Mi" => 1L << 20,
            "Gi" => 1L << 30,
            "Ti" => 1L << 40,
            "k" => 1_000L,
            "M" => 1_000_000L,
            "G" => 1_000_000_000L,
            "T" => 1_000_000_000_000L,
            _ => 1L,
        };
        var number = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return number > long.MaxValue / multiplier ? null : number * multiplier;
    }

    /// <summary>"500ms", "5s", "1m", "1h". Null when the text does not match <see cref="DurationPattern"/>.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (!Validation.IsWhole(DurationPattern, text))
        {
            return null;
        }

        var unit = text.EndsWith("ms", StringComparison.Ordinal) ? "ms" : text[^1..];
        var number = int.Parse(text[..^unit.Length], NumberStyles.None, CultureInfo.InvariantCulture);
        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "s" => TimeSpan.FromSeconds(number),
            "m" => TimeSpan.FromMinutes(number),
            _ => TimeSpan.FromHours(number),
        };
    }
}
