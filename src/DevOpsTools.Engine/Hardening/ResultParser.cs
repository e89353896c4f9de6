using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Hardening;

/// <summary>One @@RULE line.</summary>
public sealed record RuleOutcome(string Id, string Status, string Detail);

/// <summary>One @@FILE line: a managed file that changed (content "*" = hidden, null = absent).</summary>
public sealed record FileChange(string RuleId, string Path, string? ModeBefore, string? ModeAfter, string? Before, string? After);

/// <summary>Everything a check or fix script printed, parsed from its @@ records.</summary>
public sealed class ScriptOutput
{
    public Dictionary<string, string> Facts { get; } = new(StringComparer.Ordinal);

    /// <summary>Check results before any change (phase "check").</summary>
    public Dictionary<string, RuleOutcome> Checks { get; } = new(StringComparer.Ordinal);

    /// <summary>Check results after the fixes (phase "verify").</summary>
    public Dictionary<string, RuleOutcome> Verify { get; } = new(StringComparer.Ordinal);

    public List<(string RuleId, string Text)> Notes { get; } = [];

    public List<FileChange> Files { get; } = [];

    public Dictionary<string, string> FixFailures { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Reloaded { get; } = new(StringComparer.Ordinal);

    /// <summary>Lockout group → reason, for groups restored by the script itself.</summary>
    public Dictionary<string, string> RolledBack { get; } = new(StringComparer.Ordinal);

    public string? ArmedUnit { get; set; }

    public string? Fatal { get; set; }

    public bool Ended { get; set; }
}

/// <summary>Parses script output robustly: unknown or malformed lines are ignored, never fatal.</summary>
public static class ResultParser
{
    public static ScriptOutput Parse(string stdout)
    {
        var result = new ScriptOutput();
        var phase = "check";
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("@@", StringComparison.Ordinal))
            {
                continue;
            }

            var f = line[2..].Split(' ');
            switch (f[0])
            {
                case "FACT" when f.Length >= 2:
                    result.Facts[f[1]] = f.Length >= 3 ? Decode(f[2]) : string.Empty;
                    break;
                case "RULE" when f.Length >= 3:
                    // "=text" is plain printable ASCII sent as is (base64 never starts with '=').
                    var detail = f.Length < 4 ? string.Empty : f[3].StartsWith('=') ? string.Join(' ', f[3..])[1..] : Decode(f[3]);
                    var outcome = new RuleOutcome(f[1], f[2], detail);
                    (phase == "verify" ? result.Verify : result.Checks)[f[1]] = outcome;
                    break;
                case "CHANGE" when f.Length >= 3:
                    result.Notes.Add((f[1], Decode(f[2])));
                    break;
                case "FILE" when f.Length >= 7:
                    result.Files.Add(new FileChange(f[1], Decode(f[2]), Mode(f[3]), Mode(f[4]), Content(f[5]), Content(f[6])));
                    break;
                case "FIXFAIL" when f.Length >= 3:
                    result.FixFailures[f[1]] = $"exit {f[2]}: " + (f.Length >= 4 ? Decode(f[3]).Trim() : string.Empty);
                    break;
                case "RELOAD" when f.Length >= 2:
                    result.Reloaded.Add(f[1]);
                    break;
                case "ROLLBACK" when f.Length >= 2 && f[1] != "none":
                    result.RolledBack[f[1]] = f.Length >= 3 ? Decode(f[2]) : "rolled back";
                    break;
                case "ARMED" when f.Length >= 2:
                    result.ArmedUnit = f[1];
                    break;
                case "PHASE" when f.Length >= 2:
                    phase = f[1];
                    break;
                case "FATAL":
                    result.Fatal = string.Join(' ', f.Skip(1));
                    break;
                case "END":
                    result.Ended = true;
                    break;
            }
        }

        return result;
    }

    private static string? Mode(string field) => field == "-" ? null : field;

    private static string? Content(string field) => field switch
    {
        "-" => null,
        "*" => "*",
        "=" => string.Empty,
        _ => Decode(field),
    };

    internal static string Decode(string b64)
    {
        if (b64.Length == 0)
        {
            return string.Empty;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return b64;
        }
    }
}

/// <summary>A small line diff (LCS) for the before/after of managed files.</summary>
public static class LineDiff
{
    /// <summary>Changed lines with up to <paramref name="context"/> unchanged lines around them.</summary>
    public static IReadOnlyList<string> Compute(string? before, string? after, int context = 2)
    {
        var a = Lines(before);
        var b = Lines(after);
        if ((long)a.Length * b.Length > 4_000_000)
        {
            return [$"@@ {a.Length} lines replaced by {b.Length} lines (too large to diff)"];
        }

        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var ops = new List<(char Op, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                ops.Add((' ', a[x++]));
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                ops.Add(('-', a[x++]));
            }
            else
            {
                ops.Add(('+', b[y++]));
            }
        }

        var keep = new bool[ops.Count];
        for (var k = 0; k < ops.Count; k++)
        {
            if (ops[k].Op != ' ')
            {
                for (var c = Math.Max(0, k - context); c <= Math.Min(ops.Count - 1, k + context); c++)
                {
                    keep[c] = true;
                }
            }
        }

        var result = new List<string>();
        var skipped = false;
        for (var k = 0; k < ops.Count; k++)
        {
            if (keep[k])
            {
                if (skipped && result.Count > 0)
                {
                    result.Add("...");
                }

                result.Add(ops[k].Op + ops[k].Text);
                skipped = false;
            }
            else
            {
                skipped = true;
            }
        }

        return result;
    }

    private static string[] Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.TrimEnd('\n').Split('\n');

    public static string Describe(FileChange change)
    {
        var parts = new List<string>();
        if (change.Before is null && change.After is not null)
        {
            parts.Add($"create {change.Path}");
        }
        else if (change.Before is not null && change.After is null)
        {
            parts.Add($"remove {change.Path}");
        }
        else if (change.Before != change.After)
        {
            parts.Add($"modify {change.Path}");
        }
        else if (change.Before == "*" && change.ModeBefore == change.ModeAfter)
        {
            parts.Add($"modify {change.Path} (content not shown)");
        }

        if (change.ModeBefore is not null && change.ModeAfter is not null && change.ModeBefore != change.ModeAfter)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, "{0} {1} -> {2}", parts.Count == 0 ? $"{change.Path} mode" : "mode", change.ModeBefore, change.ModeAfter));
        }
        else if (change.ModeAfter is not null && change.Before is null)
        {
            parts.Add($"mode {change.ModeAfter}");
        }

        return parts.Count == 0 ? $"touch {change.Path}" : string.Join(", ", parts);
    }
}
