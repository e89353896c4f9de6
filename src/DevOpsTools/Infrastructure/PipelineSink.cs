using System.Collections.Concurrent;
using System.Management.Automation;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Commands.Infrastructure;

/// <summary>
/// Collects what engine threads report and replays it on the pipeline thread: PowerShell
/// only accepts Write* calls from the thread that runs the cmdlet.
/// </summary>
internal sealed class PipelineSink : IOutputSink, IDisposable
{
    private readonly BlockingCollection<Action<DevOpsToolsCmdlet>> _queue = new();
    private volatile System.Management.Automation.Host.PSHostUserInterface? _afterStop;

    public void WriteVerbose(string message) => Post(c => c.WriteVerbose(message));

    public void WriteWarning(string message)
    {
        if (_afterStop is { } ui)
        {
            ui.WriteWarningLine(message);
            return;
        }

        Post(c => c.WriteWarning(message));
    }

    public void WriteDebug(string message) => Post(c => c.WriteDebug(message));

    public void WriteProgress(ProgressUpdate progress) => Post(c => c.WriteProgress(ToRecord(progress)));

    public void WriteError(DevOpsToolsException error)
    {
        if (_afterStop is { } ui)
        {
            ui.WriteErrorLine(error.Message);
            return;
        }

        Post(c => c.WriteError(ErrorMapping.ToErrorRecord(error)));
    }

    public void WriteInformation(object messageData, IReadOnlyList<string> tags) => Post(c =>
    {
        var record = new InformationRecord(messageData, c.MyInvocation.MyCommand.Name);
        foreach (var tag in tags)
        {
            record.Tags.Add(tag);
        }

        c.WriteInformation(record);
    });

    public void WriteObject(object? value) => Post(c => c.WriteObject(value));

    public void Complete() => _queue.CompleteAdding();

    /// <summary>
    /// Writes queued messages until the engine finishes. After a stop (Ctrl+C) the pipeline
    /// refuses writes, but the engine may still be cleaning up what it created: keep consuming
    /// until it is done, show its warnings and errors on the host, then report the stop.
    /// </summary>
    public void Drain(DevOpsToolsCmdlet cmdlet)
    {
        PipelineStoppedException? stopped = null;
        foreach (var action in _queue.GetConsumingEnumerable())
        {
            if (stopped is not null)
            {
                continue;
            }

            try
            {
                action(cmdlet);
            }
            catch (PipelineStoppedException ex)
            {
                stopped = ex;
                _afterStop = cmdlet.Host?.UI;
            }
        }

        if (stopped is not null)
        {
            throw stopped;
        }
    }

    public void Dispose() => _queue.Dispose();

    private void Post(Action<DevOpsToolsCmdlet> action)
    {
        try
        {
            _queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // Completed: the cmdlet has stopped listening (Ctrl+C); late messages are dropped.
        }
    }

    private static ProgressRecord ToRecord(ProgressUpdate p)
    {
        var record = new ProgressRecord(p.ActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? " " : p.Status)
        {
            PercentComplete = Math.Clamp(p.PercentComplete, -1, 100),
            ParentActivityId = p.ParentActivityId,
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (p.CurrentOperation is not null)
        {
            record.CurrentOperation = p.CurrentOperation;
        }

        return record;
    }
}
