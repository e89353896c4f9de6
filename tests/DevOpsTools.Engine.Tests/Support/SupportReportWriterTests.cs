using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Support;
using Xunit;

namespace DevOpsTools.Engine.Tests.Support;

public sealed class SupportReportWriterTests
{
    private static readonly SupportRedactor KeepAll = new(true, [], []);

    [Fact]
    public void Every_section_is_written_and_empty_ones_say_so()
    {
        var markdown = SupportReportWriter.ToMarkdown(new SupportReport { Environment = "test", Versions = [new("DevOpsTools", "0.1.0")] }, KeepAll);
        foreach (var section in new[] { "## Versions", "## Environment definition", "## Servers", "## Hardening", "## Deployments", "## Service stats", "## Recent errors" })
        {
            Assert.Contains(section, markdown);
        }

        Assert.Contains("| DevOpsTools | 0.1.0 |", markdown);
        Assert.Contains("No environment file was given", markdown);
        Assert.Contains("No DevOpsTools error recorded.", markdown);
        Assert.DoesNotContain("## Not gathered", markdown);
    }

    [Fact]
    public void Table_cells_cannot_break_the_table_and_fences_cannot_be_closed_by_content()
    {
        var report = new SupportReport
        {
            Environment = "test",
            DefinitionPath = "/x/test.yaml",
            DefinitionText = "name: test\ndescription: \"```\"\n",
            Errors = [new ErrorJournalEntry { Time = DateTimeOffset.UnixEpoch, Command = "Deploy-App", ErrorId = "DeployHealthCheckFailed", Category = "OperationTimeout", Message = "line one | with pipe\nline two" }],
            Hardening = [new StoredHardeningReport { Server = "web-1", Profile = "baseline", Mode = "Test", Score = 87.5, Failing = [new StoredRuleFailure { RuleId = "SSH-003", Title = "No root login", Status = "NonCompliant", Reason = "PermitRootLogin yes" }] }],
            Gaps = ["db-1: SshConnectionFailed: refused"],
        };
        var markdown = SupportReportWriter.ToMarkdown(report, KeepAll);
        Assert.Contains("| 1970-01-01 00:00 UTC | Deploy-App | DeployHealthCheckFailed | OperationTimeout | line one \\| with pipe line two |", markdown);
        Assert.Contains("````yaml\nname: test\ndescription: \"```\"\n````", markdown);
        Assert.Contains("score 87.5%", markdown);
        Assert.Contains("| SSH-003 | NonCompliant | No root login | PermitRootLogin yes |", markdown);
        Assert.Contains("## Not gathered", markdown);
    }

    [Fact]
    public void The_whole_text_goes_through_the_redactor()
    {
        var report = new SupportReport
        {
            Environment = "test",
            DefinitionText = "monitoring:\n  webhookUrl: https://hooks.slack.com/services/T1/B2/C3\n",
            Errors = [new ErrorJournalEntry { ErrorId = "DataConnectionFailed", Message = "postgresql://app:pw-Secret-123@10.0.0.5:5432/shop refused" }],
        };
        var markdown = SupportReportWriter.ToMarkdown(report, new SupportRedactor(false, ["pw-Secret-123"], []));
        Assert.DoesNotContain("pw-Secret-123", markdown);
        Assert.DoesNotContain("T1/B2/C3", markdown);
        Assert.DoesNotContain("10.0.0.5", markdown);
    }
}
