using System.Management.Automation;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Commands.Infrastructure;

/// <summary>
/// Base of every DevOpsTools cmdlet. It owns:
/// cancellation (a token cancelled by Ctrl+C, passed to every engine call),
/// the error boundary (exceptions become ErrorRecords with stable ids, in one place),
/// writing engine output on the pipeline thread, and ShouldProcess with -Force semantics.
/// </summary>
public abstract class DevOpsToolsCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken CancellationToken => _stop.Token;

    protected sealed override void BeginProcessing() => Guard(BeginProcessingCore);

    protected sealed override void ProcessRecord() => Guard(ProcessRecordCore);

    protected sealed override void EndProcessing() => Guard(EndProcessingCore);

    protected virtual void BeginProcessingCore()
    {
    }

    protected virtual void ProcessRecordCore()
    {
    }

    protected virtual void EndProcessingCore()
    {
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Runs engine work on the thread pool while this (pipeline) thread writes what the work
    /// reports. Engine exceptions propagate to the error boundary.
    /// </summary>
    protected T RunEngine<T>(Func<EngineContext, Task<T>> work)
    {
        using var sink = new PipelineSink();
        var context = new EngineContext(sink, CancellationToken, sink.WriteObject);
        var task = Task.Run(() => work(context), CancellationToken);
        task.ContinueWith(_ => sink.Complete(), TaskScheduler.Default);
        sink.Drain(this);
        return task.GetAwaiter().GetResult();
    }

    protected void RunEngine(Func<EngineContext, Task> work) =>
        RunEngine<bool>(async context =>
        {
            await work(context).ConfigureAwait(false);
            return true;
        });

    /// <summary>
    /// ShouldProcess where -Force skips the confirmation prompt but -WhatIf always wins
    /// (AWS Tools' rule).
    /// </summary>
    protected bool ShouldChange(string target, string action, bool force)
    {
        if (force && !IsWhatIf())
        {
            WriteVerbose($"Performing the operation \"{action}\" on target \"{target}\" (-Force).");
            return true;
        }

        return ShouldProcess(target, action);
    }

    protected bool IsWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var bound))
        {
            return bound is SwitchParameter { IsPresent: true };
        }

        return SessionState.PSVariable.GetValue("WhatIfPreference") is bool and true or SwitchParameter { IsPresent: true };
    }

    /// <summary>Writes a non-terminating error; the pipeline goes on with the next item.</summary>
    protected void WriteEngineError(Exception exception, object? target = null) =>
        WriteError(Journal(ErrorMapping.ToErrorRecord(exception, target)));

    /// <summary>Stops the pipeline with an error (e.g. a failed threshold that a CI job must see).</summary>
    protected void ThrowEngineError(Exception exception, object? target = null) =>
        throw new TerminatingError(Journal(ErrorMapping.ToErrorRecord(exception, target)));

    /// <summary>Keeps the error in the module's error journal (New-SupportReport reads it); never fails.</summary>
    private ErrorRecord Journal(ErrorRecord record)
    {
        var environment = MyInvocation.BoundParameters.TryGetValue("Environment", out var bound) ? bound as string : null;
        new ErrorJournal(ModuleData.Default).Record(new ErrorJournalEntry
        {
            Time = DateTimeOffset.UtcNow,
            Command = MyInvocation.MyCommand?.Name ?? GetType().Name,
            ErrorId = record.FullyQualifiedErrorId,
            Category = record.CategoryInfo.Category.ToString(),
            Environment = environment,
            Message = record.ErrorDetails?.Message ?? record.Exception.Message,
        });
        return record;
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (TerminatingError terminating)
        {
            ThrowTerminatingError(terminating.Record);
        }
        catch (PipelineStoppedException)
        {
            throw;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Ctrl+C: PowerShell reports the stop itself; nothing else to say.
            throw new PipelineStoppedException();
        }
        catch (DevOpsToolsAggregateException many)
        {
            foreach (var error in many.Errors)
            {
                WriteEngineError(error);
            }
        }
        catch (Exception ex) when (ex is not PipelineStoppedException and not ParameterBindingException)
        {
            WriteEngineError(ex);
        }
    }
}

/// <summary>Carries a terminating error through the error boundary untouched.</summary>
internal sealed class TerminatingError : Exception
{
    public TerminatingError(ErrorRecord record)
        : base(record.Exception.Message, record.Exception)
    {
        Record = record;
    }

    public ErrorRecord Record { get; }
}
