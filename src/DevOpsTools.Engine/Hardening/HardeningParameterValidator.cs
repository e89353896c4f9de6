using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// Validates a rule parameter's text by its type and format before it reaches a script, a
/// config file or sshd_config. Lists are space-separated. No control character, quote or
/// backslash passes any type, so a value can never add a line to a configuration file.
/// </summary>
public static partial class HardeningParameterValidator
{
    /// <summary>Null when the value is valid, else why not (the value shown with escapes).</summary>
    public static string? Problem(HardeningRuleParameter parameter, string value)
    {
        if (value.Any(char.IsControl))
        {
            return $"'{Show(value)}' contains a control character (a line break or tab); one line of text is expected.";
        }

        if (value.Contains('\\', StringComparison.Ordinal))
        {
            return $"'{Show(value)}' contains a backslash; escapes are not allowed.";
        }

        var isList = parameter.Type.EndsWith("List", StringComparison.Ordinal);
        if (!isList)
        {
            return ItemProblem(parameter, value);
        }

        foreach (var item in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ItemProblem(parameter, item) is { } problem)
            {
                return problem;
            }
        }

        return value.Contains("  ", StringComparison.Ordinal) || value != value.Trim()
            ? $"'{Show(value)}': list items are separated by single spaces."
            : null;
    }

    private static string? ItemProblem(HardeningRuleParameter p, string item) => p.Type switch
    {
        "Int" => IntProblem(p, item),
        "IntList" => PortPattern().IsMatch(item) && int.Parse(item, CultureInfo.InvariantCulture) is >= 1 and <= 65535
            ? null : $"expected port numbers (1-65535), found '{Show(item)}'.",
        "PortSourceList" => PortSourceProblem(item),
        "Bool" => item is "true" or "false" ? null : $"expected true or false, found '{Show(item)}'.",
        _ => p.Format switch
        {
            HardeningParameterFormat.UserName => UserPattern().IsMatch(item) ? null
                : $"'{Show(item)}' is not a POSIX user name (lower-case letters, digits, _ and -, not starting with -, at most 32 characters).",
            HardeningParameterFormat.Octal => OctalPattern().IsMatch(item) ? null : $"expected an octal umask such as 027, found '{Show(item)}'.",
            HardeningParameterFormat.ModuleName => ModulePattern().IsMatch(item) ? null : $"'{Show(item)}' is not a kernel module name.",
            HardeningParameterFormat.PackageName => PackagePattern().IsMatch(item) ? null : $"'{Show(item)}' is not a Debian package name.",
            HardeningParameterFormat.AbsolutePath => PathPattern().IsMatch(item) && !item.Contains("/../", StringComparison.Ordinal) && !item.EndsWith("/..", StringComparison.Ordinal)
                ? null : $"'{Show(item)}' is not an absolute path of plain names.",
            HardeningParameterFormat.SshAlgorithm => AlgorithmPattern().IsMatch(item) ? null : $"'{Show(item)}' is not an OpenSSH algorithm name.",
            _ when p.Type == "StringList" => WordPattern().IsMatch(item) ? null
                : $"list items are single words of letters, digits and . _ - + @ : /, found '{Show(item)}'.",
            _ => item.Length > 1000 ? $"'{Show(item)}...' is longer than 1000 characters." : null,
        },
    };

    /// <summary>
    /// One port=address[,address...] item: a port 1-65535 and IPv4 or IPv6 addresses or CIDRs,
    /// parsed as such (IPv4 as four dotted numbers, no zone ids, no host bits beyond the prefix).
    /// </summary>
    private static string? PortSourceProblem(string item)
    {
        var eq = item.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || !PortPattern().IsMatch(item[..eq]) || int.Parse(item[..eq], CultureInfo.InvariantCulture) is < 1 or > 65535)
        {
            return $"expected port=address[,address...] with a port 1-65535, found '{Show(item)}'.";
        }

        var sources = item[(eq + 1)..].Split(',');
        foreach (var source in sources)
        {
            if (DevOpsTools.Engine.Servers.PortSources.Problem(source) is { } problem)
            {
                return $"'{Show(item)}': {problem}";
            }
        }

        return null;
    }

    private static string? IntProblem(HardeningRuleParameter p, string item)
    {
        if (!DigitsPattern().IsMatch(item) || !int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return $"expected a whole number, found '{Show(item)}'.";
        }

        return n < p.Min || n > p.Max ? $"{n} is out of range; expected {p.Min} to {p.Max}." : null;
    }

    /// <summary>The text with control characters and backslashes shown as escapes (never printed raw).</summary>
    public static string Show(string value)
    {
        var sb = new StringBuilder();
        foreach (var c in value.Length > 120 ? value[..120] + "..." : value)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    [GeneratedRegex("^[0-9]{1,9}$")]
    private static partial Regex DigitsPattern();

    [GeneratedRegex("^[0-9]{1,5}$")]
    private static partial Regex PortPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserPattern();

    [GeneratedRegex("^0?[0-7]{3}$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex ModulePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]{1,99}$")]
    private static partial Regex PackagePattern();

    [GeneratedRegex("^(/[A-Za-z0-9._+-]+)+$")]
    private static partial Regex PathPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9@.+_-]{0,99}$")]
    private static partial Regex AlgorithmPattern();

    [GeneratedRegex("^[A-Za-z0-9._+@:/-]{1,200}$")]
    private static partial Regex WordPattern();
}
