using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace DevOpsTools.Engine.Hardening;

/// <summary>Machine-readable results for CI dashboards: JSON, or JUnit XML (one suite per server).</summary>
public static class HardeningReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string ToJson(IReadOnlyList<HardeningReport> reports, IReadOnlyList<HardeningServerFailure> failures)
    {
        var doc = new
        {
            generatedAt = DateTimeOffset.UtcNow,
            servers = reports.Select(r => new
            {
                server = r.Server.Name,
                environment = r.Server.Environment,
                address = $"{r.Server.Address}:{r.Server.SshPort}",
                profile = r.Profile,
                mode = r.Mode,
                score = r.Score,
                changed = r.Changed,
                wouldChange = r.WouldChange,
                compliant = r.Compliant,
                nonCompliant = r.NonCompliant,
                notApplicable = r.NotApplicable,
                failed = r.Failed,
                durationSeconds = Math.Round(r.Duration.TotalSeconds, 3),
                rolledBack = r.RolledBack,
                facts = r.Facts,
                rules = r.Rules.Select(x => new
                {
                    id = x.RuleId, title = x.Title, category = x.Category, severity = x.Severity, status = x.Status,
                    detail = x.Detail, reason = x.Reason, rolledBack = x.RolledBack ? true : (bool?)null,
                    changes = x.Changes.Count == 0 ? null : x.Changes.Select(c => new { path = c.Path, description = c.Description, diff = c.Diff.Count == 0 ? null : c.Diff }),
                }),
            }),
            unreachable = failures.Select(f => new { server = f.Server.Name, errorId = f.Error.ErrorId, message = f.Error.Message }),
        };
        return JsonSerializer.Serialize(doc, Json);
    }

    public static string ToJUnit(IReadOnlyList<HardeningReport> reports, IReadOnlyList<HardeningServerFailure> failures)
    {
        var suites = new XElement("testsuites", new XAttribute("name", "DevOpsTools hardening"));
        foreach (var r in reports)
        {
            var suite = new XElement("testsuite",
                new XAttribute("name", $"{r.Server.Name} ({r.Profile})"),
                new XAttribute("tests", r.Rules.Count),
                new XAttribute("failures", r.Rules.Count(x => x.Status is HardeningRuleStatus.NonCompliant or HardeningRuleStatus.WouldChange)),
                new XAttribute("errors", r.Failed),
                new XAttribute("skipped", r.NotApplicable),
                new XAttribute("time", r.Duration.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)),
                new XElement("properties",
                    new XElement("property", new XAttribute("name", "score"), new XAttribute("value", r.Score.ToString(CultureInfo.InvariantCulture))),
                    new XElement("property", new XAttribute("name", "mode"), new XAttribute("value", r.Mode))));
            foreach (var x in r.Rules)
            {
                var testcase = new XElement("testcase", new XAttribute("classname", $"hardening.{x.Category}"), new XAttribute("name", $"{x.RuleId} {x.Title}"));
                switch (x.Status)
                {
                    case HardeningRuleStatus.NotApplicable:
                        testcase.Add(new XElement("skipped", new XAttribute("message", x.Reason ?? string.Empty)));
                        break;
                    case HardeningRuleStatus.NonCompliant:
                    case HardeningRuleStatus.WouldChange:
                        testcase.Add(new XElement("failure", new XAttribute("message", x.Detail ?? string.Empty), new XAttribute("type", x.Severity.ToString()), x.Reason ?? x.Detail ?? string.Empty));
                        break;
                    case HardeningRuleStatus.Failed:
                        testcase.Add(new XElement("error", new XAttribute("message", x.Reason ?? string.Empty), x.Detail ?? string.Empty));
                        break;
                }

                suite.Add(testcase);
            }

            suites.Add(suite);
        }

        foreach (var f in failures)
        {
            suites.Add(new XElement("testsuite", new XAttribute("name", f.Server.Name), new XAttribute("tests", 1), new XAttribute("failures", 0), new XAttribute("errors", 1),
                new XElement("testcase", new XAttribute("classname", "hardening.Connection"), new XAttribute("name", "connect"),
                    new XElement("error", new XAttribute("message", f.Error.Message), new XAttribute("type", f.Error.ErrorId)))));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).ToString();
    }
}
