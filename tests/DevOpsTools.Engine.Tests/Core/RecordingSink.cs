using System.Collections.Concurrent;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Tests;

/// <summary>Records everything the engine reports, from any thread, for assertions.</summary>
public sealed class RecordingSink : IOutputSink
{
    private readonly ConcurrentQueue<DevOpsToolsException> _errors = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly ConcurrentQueue<string> _verbose = new();
    private readonly ConcurrentQueue<ProgressUpdate> _progress = new();

    public IReadOnlyList<DevOpsToolsException> Errors => _errors.ToList();

    public IReadOnlyList<string> Warnings => _warnings.ToList();

    public IReadOnlyList<string> Verbose => _verbose.ToList();

    public IReadOnlyList<ProgressUpdate> Progress => _progress.ToList();

    public void WriteVerbose(string message) => _verbose.Enqueue(message);

    public void WriteWarning(string message) => _warnings.Enqueue(message);

    public void WriteDebug(string message)
    {
    }

    public void WriteProgress(ProgressUpdate progress) => _progress.Enqueue(progress);

    public void WriteError(DevOpsToolsException error) => _errors.Enqueue(error);
}
