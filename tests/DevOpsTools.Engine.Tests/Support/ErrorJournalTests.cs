using DevOpsTools.Engine.Core;
using Xunit;

namespace DevOpsTools.Engine.Tests.Support;

public sealed class ErrorJournalTests
{
    [Fact]
    public void Entries_are_kept_private_newest_last_and_filtered_by_environment()
    {
        using var scratch = ScratchDirectory.Create("devopstools-journal");
        var journal = new ErrorJournal(new ModuleData(scratch.Path));
        for (var i = 0; i < 5; i++)
        {
            journal.Record(new ErrorJournalEntry { Time = DateTimeOffset.UnixEpoch.AddMinutes(i), Command = "Get-AppDeployment", ErrorId = "AppNotFound", Environment = i % 2 == 0 ? "test" : "prod", Message = $"m{i}" });
        }

        Assert.Equal(["m2", "m4"], journal.Read(2, "test").Select(e => e.Message));
        Assert.Equal(["m3", "m4"], journal.Read(2).Select(e => e.Message));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(scratch.Path, "errors.jsonl")));
        }
    }

    [Fact]
    public void The_journal_is_trimmed_to_its_capacity_and_skips_torn_lines()
    {
        using var scratch = ScratchDirectory.Create("devopstools-journal");
        var journal = new ErrorJournal(new ModuleData(scratch.Path));
        File.WriteAllText(Path.Combine(scratch.Path, "errors.jsonl"), "{\"ErrorId\":\"Torn\n");
        for (var i = 0; i < 2 * ErrorJournal.Capacity + 1; i++)
        {
            journal.Record(new ErrorJournalEntry { ErrorId = "X", Message = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        var lines = File.ReadAllLines(Path.Combine(scratch.Path, "errors.jsonl"));
        Assert.True(lines.Length <= 2 * ErrorJournal.Capacity, $"{lines.Length} lines kept");
        var all = journal.Read(int.MaxValue);
        Assert.Equal((2 * ErrorJournal.Capacity).ToString(System.Globalization.CultureInfo.InvariantCulture), all[^1].Message);
        Assert.DoesNotContain(all, e => e.ErrorId == "Torn");
    }
}
