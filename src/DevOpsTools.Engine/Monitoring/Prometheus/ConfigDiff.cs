using System.Text;

namespace DevOpsTools.Engine.Monitoring.Prometheus;

/// <summary>A line diff of two texts (longest common subsequence), in unified-diff style without hunks.</summary>
public static class ConfigDiff
{
    public static string Of(string path, string? before, string after, Func<string, string>? redact = null)
    {
        redact ??= static line => line;
        var a = Lines(before).Select(redact).ToArray();
        var b = Lines(after).Select(redact).ToArray();
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : path).Append('\n').Append("+++ ").Append(path).Append('\n');
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || common[x, y + 1] >= common[x + 1, y]))
            {
                text.Append('+').Append(b[y++]).Append('\n');
            }
            else
            {
                text.Append('-').Append(a[x++]).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string[] Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.TrimEnd('\n').Split('\n');
}
