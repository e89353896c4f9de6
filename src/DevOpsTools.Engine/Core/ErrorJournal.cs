using System.Text;
using System.Text.Json;

namespace DevOpsTools.Engine.Core;

/// <summary>
/// The module's recent errors (errors.jsonl under the module data directory, one JSON object a
/// line, newest last). A scheduled job's errors are gone with its session; this journal keeps
/// them for the person who looks later (New-SupportReport). Recording never fails the command:
/// a journal that cannot be written is silently skipped. The file is kept 0600 and trimmed to
/// the last <see cref="Capacity"/> entries.
/// </summary>
public sealed class ErrorJournal
{
    public const int Capacity = 500;
    private static readonly object Gate = new();
    private readonly string _path;

    public ErrorJournal(ModuleData data)
    {
        _path = Path.Combine(data.Root, "errors.jsonl");
    }

    public void Record(ErrorJournalEntry entry)
    {
        try
        {
            lock (Gate)
            {
                var lines = File.Exists(_path) ? File.ReadAllLines(_path).ToList() : [];
                lines.Add(JsonSerializer.Serialize(entry));
                // Trim in bulk (at twice the capacity) so most records are one small rewrite.
                var keep = lines.Count > 2 * Capacity ? lines.Skip(lines.Count - Capacity) : lines;
                SecureFiles.WritePrivateFile(_path, string.Join('\n', keep) + "\n");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The journal is a convenience: the error itself has already reached the pipeline.
        }
    }

    /// <summary>The last <paramref name="count"/> entries (optionally of one environment), oldest first.</summary>
    public IReadOnlyList<ErrorJournalEntry> Read(int count, string? environment = null)
    {
        if (!File.Exists(_path))
        {
            return [];
        }

        var entries = new List<ErrorJournalEntry>();
        foreach (var line in File.ReadLines(_path, Encoding.UTF8))
        {
            try
            {
                if (line.Length > 0 && JsonSerializer.Deserialize<ErrorJournalEntry>(line) is { } entry
                    && (environment is null || entry.Environment is null || entry.Environment == environment))
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException)
            {
                // A torn line (a crash mid-write of an older version) is skipped.
            }
        }

        return entries.Skip(Math.Max(0, entries.Count - count)).ToList();
    }
}

/// <summary>One recorded error: when, which command, its ErrorId and category, and its message.</summary>
public sealed class ErrorJournalEntry
{
    public DateTimeOffset Time { get; set; }
    public string Command { get; set; } = string.Empty;
    public string ErrorId { get; set; } = string.Empty;
    public string Category { get; set; } = string.Empty;
    public string? Environment { get; set; }
    public string Message { get; set; } = string.Empty;
}
