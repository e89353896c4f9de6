using System.Text.Json;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// The last hardening report of each server (hardening/&lt;environment&gt;/&lt;server&gt;.json under
/// the module data directory), kept so that a later question (New-SupportReport, a person at
/// 3 a.m.) can see which rules failed without logging in again. Only the summary and the rules
/// that are not compliant are kept: details of compliant rules are not worth the disk.
/// </summary>
public sealed partial class HardeningReportStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly ModuleData _data;

    public HardeningReportStore(ModuleData data)
    {
        _data = data;
    }

    public void Save(IEnumerable<HardeningReport> reports)
    {
        foreach (var report in reports)
        {
            if (!NamePattern().IsMatch(report.Server.Environment) || !NamePattern().IsMatch(report.Server.Name))
            {
                continue;
            }

            var stored = new StoredHardeningReport
            {
                Server = report.Server.Name,
                Environment = report.Server.Environment,
                Profile = report.Profile,
                Mode = report.Mode,
                Score = report.Score,
                CheckedAt = DateTimeOffset.UtcNow,
                Compliant = report.Compliant,
                Failing = report.Rules
                    .Where(r => r.Status is HardeningRuleStatus.NonCompliant or HardeningRuleStatus.Failed or HardeningRuleStatus.WouldChange)
                    .Select(r => new StoredRuleFailure { RuleId = r.RuleId, Title = r.Title, Status = r.Status.ToString(), Reason = r.Reason ?? r.Detail })
                    .ToList(),
            };
            var path = Path.Combine(_data.Directory("hardening", report.Server.Environment), report.Server.Name + ".json");
            SecureFiles.WritePrivateFile(path, JsonSerializer.Serialize(stored, Json));
        }
    }

    /// <summary>Forgets a removed server's last report.</summary>
    public void Forget(string environment, string server)
    {
        if (NamePattern().IsMatch(environment) && NamePattern().IsMatch(server))
        {
            var path = Path.Combine(_data.Root, "hardening", environment, server + ".json");
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>The kept reports of an environment, by server name; none when it was never hardened here.</summary>
    public IReadOnlyList<StoredHardeningReport> Load(string environment)
    {
        var directory = Path.Combine(_data.Root, "hardening", environment);
        if (!NamePattern().IsMatch(environment) || !System.IO.Directory.Exists(directory))
        {
            return [];
        }

        var reports = new List<StoredHardeningReport>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize<StoredHardeningReport>(File.ReadAllText(file), Json) is { } report)
                {
                    reports.Add(report);
                }
            }
            catch (JsonException)
            {
                // A damaged record is skipped: the next Set-/Test-Hardening rewrites it.
            }
        }

        return reports;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();
}

/// <summary>A server's last hardening result as kept on disk.</summary>
public sealed class StoredHardeningReport
{
    public string Server { get; set; } = string.Empty;
    public string Environment { get; set; } = string.Empty;
    public string Profile { get; set; } = string.Empty;
    public string Mode { get; set; } = string.Empty;
    public double Score { get; set; }
    public int Compliant { get; set; }
    public DateTimeOffset CheckedAt { get; set; }
    public List<StoredRuleFailure> Failing { get; set; } = [];
}

/// <summary>A rule that was not compliant, with the reason the check gave.</summary>
public sealed class StoredRuleFailure
{
    public string RuleId { get; set; } = string.Empty;
    public string Title { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string? Reason { get; set; }
}
