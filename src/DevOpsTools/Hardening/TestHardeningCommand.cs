using System.Globalization;
using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Commands.Hardening;

/// <summary>Checks a hardening profile read-only; the same report as Set-Hardening.</summary>
[Cmdlet(VerbsDiagnostic.Test, "Hardening", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(HardeningReport))]
public sealed class TestHardeningCommand : HardeningCommandBase
{
    /// <summary>Terminating error when a server scores below this percentage.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public double? Threshold { get; set; }

    [Parameter]
    [ValidateSet("Json", "JUnit")]
    public string? OutputFormat { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    protected override void BeginProcessingCore()
    {
        if (OutputPath is not null && OutputFormat is null)
        {
            OutputFormat = OutputPath.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? "JUnit" : "Json";
        }
    }

    protected override void EndProcessingCore()
    {
        if (Servers.Count == 0)
        {
            return;
        }

        var profile = ResolveProfile();
        var result = Run(Servers, profile, HardeningMode.Test);
        foreach (var report in result.Reports)
        {
            WriteObject(report);
        }

        if (OutputFormat is not null)
        {
            var path = GetUnresolvedProviderPathFromPSPath(OutputPath ?? (OutputFormat == "JUnit" ? "hardening-junit.xml" : "hardening-report.json"));
            var text = OutputFormat == "JUnit"
                ? HardeningReportWriter.ToJUnit(result.Reports, result.Failures)
                : HardeningReportWriter.ToJson(result.Reports, result.Failures);
            File.WriteAllText(path, text);
            WriteVerbose($"Wrote {OutputFormat} results to {path}.");
        }

        if (Threshold is { } threshold)
        {
            var below = result.Reports.Where(r => r.Score < threshold).Select(r => string.Format(CultureInfo.InvariantCulture, "{0} ({1}%)", r.Server.Name, r.Score))
                .Concat(result.Failures.Select(f => $"{f.Server.Name} (unreachable)")).ToList();
            if (below.Count > 0)
            {
                ThrowEngineError(new DevOpsToolsException(ErrorIds.HardeningThresholdNotMet, ErrorKind.LimitsExceeded,
                    string.Format(CultureInfo.InvariantCulture, "Hardening score below {0}% on: {1}.", threshold, string.Join(", ", below)), profile.Name)
                {
                    RecommendedAction = "Run Set-Hardening with the same profile, or see each report's Rules for what fails.",
                });
            }
        }
    }
}
