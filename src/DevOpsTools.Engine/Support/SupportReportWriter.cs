using System.Globalization;
using System.Text;
using DevOpsTools.Engine.Monitoring;

namespace DevOpsTools.Engine.Support;

/// <summary>
/// Writes a support report as one Markdown document that reads well pasted into a forum thread
/// or an issue: short tables first, long text in fenced blocks. The finished text goes through
/// the redactor as a whole.
/// </summary>
public static class SupportReportWriter
{
    public const int HistoryShown = 5;

    public static string ToMarkdown(SupportReport report, SupportRedactor redactor)
    {
        var md = new StringBuilder();
        md.Append("# DevOpsTools support report: ").Append(report.Environment).Append("\n\n");
        md.Append("Generated ").Append(Time(report.GeneratedAt)).Append(" by New-SupportReport. Secrets, keys and tokens are redacted");
        md.Append(" (shown as `").Append(SupportRedactor.Mask).Append("`); addresses and host names are replaced by placeholders unless -NoRedact was given.\n\n");

        Section(md, "Versions");
        Table(md, ["Component", "Version"], report.Versions.Select(v => new[] { v.Key, v.Value }));

        Section(md, "Environment definition");
        if (report.DefinitionText is null)
        {
            md.Append("No environment file was given (-Definition).\n\n");
        }
        else
        {
            md.Append('`').Append(Path.GetFileName(report.DefinitionPath ?? "environment.yaml")).Append("`:\n\n");
            Fenced(md, "yaml", report.DefinitionText);
        }

        Section(md, "Servers");
        if (report.Servers.Count == 0)
        {
            md.Append("No servers found for this environment.\n\n");
        }
        else
        {
            Table(md, ["Name", "Provider", "State", "Address", "SSH"], report.Servers.Select(s => new[]
            {
                s.Name, s.Provider, s.State, s.Address ?? "-", s.SshPort.ToString(CultureInfo.InvariantCulture),
            }));
        }

        Section(md, "Hardening (last report of each server)");
        if (report.Hardening.Count == 0)
        {
            md.Append("No hardening report kept on this machine for this environment (run Test-Hardening).\n\n");
        }

        foreach (var h in report.Hardening)
        {
            md.Append("**").Append(h.Server).Append("**: ").Append(h.Mode).Append(" of profile ").Append(h.Profile).Append(", score ")
                .Append(h.Score.ToString("0.#", CultureInfo.InvariantCulture)).Append("%, ").Append(Time(h.CheckedAt)).Append(".\n\n");
            if (h.Failing.Count == 0)
            {
                md.Append("Every applicable rule compliant.\n\n");
                continue;
            }

            Table(md, ["Rule", "Status", "Title", "Reason"], h.Failing.Select(f => new[] { f.RuleId, f.Status, f.Title, f.Reason ?? "-" }));
        }

        Section(md, "Deployments");
        if (report.Deployments.Count == 0)
        {
            md.Append("No deployment of this environment's apps was found on the targets read.\n\n");
        }
        else
        {
            Table(md, ["App", "Target", "Rev", "Status", "Ready", "Image"], report.Deployments.Select(d => new[]
            {
                d.App, d.Target, d.Revision.ToString(CultureInfo.InvariantCulture), d.Status.ToString(),
                $"{d.ReplicasReady}/{d.ReplicasDesired}", d.ImageDigest ?? d.Image,
            }));
        }

        foreach (var d in report.Deployments)
        {
            md.Append("### ").Append(d.App).Append(" on ").Append(d.Target).Append("\n\n");
            if (d.RollbackReason is not null)
            {
                md.Append("Last rollout rolled back: ").Append(Inline(d.RollbackReason)).Append("\n\n");
            }

            Table(md, ["Rev", "Status", "Deployed", "Image", "Reason"], d.History.Take(HistoryShown).Select(r => new[]
            {
                r.Revision.ToString(CultureInfo.InvariantCulture), r.Status.ToString(), Time(r.DeployedAt), r.ImageDigest ?? r.Image, r.Reason ?? "-",
            }));
            if (report.LogTails.TryGetValue($"{d.App} on {d.Target}", out var tail) && tail.Count > 0)
            {
                md.Append("Log tail (last ").Append(tail.Count).Append(" lines):\n\n");
                Fenced(md, "text", string.Join('\n', tail));
            }
        }

        Section(md, "Service stats");
        if (report.Stats.Count == 0)
        {
            md.Append("No service was probed.\n\n");
        }
        else
        {
            Table(md, ["Service", "Status", "Avail", "Errors", "p50 ms", "p99 ms", "Reason"], report.Stats.Select(s => new[]
            {
                s.Service, s.Status.ToString(), Percent(s.Availability), Percent(s.ErrorRate), Ms(s.LatencyP50), Ms(s.LatencyP99), s.Reason ?? "-",
            }));
        }

        Section(md, "Recent errors");
        if (report.Errors.Count == 0)
        {
            md.Append("No DevOpsTools error recorded.\n\n");
        }
        else
        {
            Table(md, ["Time", "Command", "ErrorId", "Category", "Message"], report.Errors.Select(e => new[]
            {
                Time(e.Time), e.Command, e.ErrorId, e.Category, e.Message,
            }));
        }

        if (report.Gaps.Count > 0)
        {
            Section(md, "Not gathered");
            foreach (var gap in report.Gaps)
            {
                md.Append("- ").Append(Inline(gap)).Append('\n');
            }

            md.Append('\n');
        }

        return redactor.Redact(md.ToString().TrimEnd() + "\n");
    }

    private static void Section(StringBuilder md, string title) => md.Append("## ").Append(title).Append("\n\n");

    private static void Table(StringBuilder md, IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        md.Append("| ").AppendJoin(" | ", headers).Append(" |\n|").AppendJoin("|", headers.Select(_ => "---")).Append("|\n");
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
        }

        md.Append('\n');
    }

    // A cell is one line; a pipe would end it early, and long messages are cut for the table.
    internal static string Cell(string? value)
    {
        var text = Inline(value ?? "-").Replace("|", "\\|", StringComparison.Ordinal);
        return text.Length > 300 ? text[..297] + "..." : text;
    }

    private static string Inline(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    // The fence is longer than any run of backticks inside, so the content cannot close it.
    internal static void Fenced(StringBuilder md, string language, string text)
    {
        var longest = 0;
        var run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        md.Append(fence).Append(language).Append('\n').Append(text.TrimEnd()).Append('\n').Append(fence).Append("\n\n");
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Percent(double value) => double.IsNaN(value) ? "-" : (value * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Ms(double? value) => value is { } v && !double.IsNaN(v) ? v.ToString("0.#", CultureInfo.InvariantCulture) : "-";
}
