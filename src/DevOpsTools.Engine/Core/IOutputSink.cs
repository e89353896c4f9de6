namespace DevOpsTools.Engine.Core;

/// <summary>
/// How the engine talks back to its host (the cmdlet layer, or a test). Calls may come from
/// any thread; the cmdlet implementation queues them and writes on the pipeline thread.
/// </summary>
public interface IOutputSink
{
    void WriteVerbose(string message);
    void WriteWarning(string message);
    void WriteDebug(string message);
    void WriteProgress(ProgressUpdate progress);

    /// <summary>A non-terminating error about one item (one server among many); the others go on.</summary>
    void WriteError(DevOpsToolsException error);

    /// <summary>A record for the information stream (streamed output lines); a sink that does not show them drops them.</summary>
    void WriteInformation(object messageData, IReadOnlyList<string> tags)
    {
    }
}

/// <summary>One progress bar update. ActivityId distinguishes bars; Completed removes one.</summary>
public sealed record ProgressUpdate(int ActivityId, string Activity, string Status, int PercentComplete = -1, bool Completed = false)
{
    public string? CurrentOperation { get; init; }
    public int ParentActivityId { get; init; } = -1;
}

/// <summary>A sink that drops everything; for callers that do not care.</summary>
public sealed class NullOutputSink : IOutputSink
{
    public static readonly NullOutputSink Instance = new();
    public void WriteVerbose(string message) { }
    public void WriteWarning(string message) { }
    public void WriteDebug(string message) { }
    public void WriteProgress(ProgressUpdate progress) { }
    public void WriteError(DevOpsToolsException error) { }
}
