namespace DevOpsTools.Engine.Core;

/// <summary>How one fan-out shows itself and how wide it runs.</summary>
public sealed class FanOutOptions
{
    /// <summary>The progress bar's title, e.g. "Creating servers".</summary>
    public required string Activity { get; init; }

    /// <summary>What a finished item is, for the status line "3/10 ready".</summary>
    public string DoneWord { get; init; } = "done";

    public int ThrottleLimit { get; init; } = 10;

    public int ProgressId { get; init; } = 1;

    public int ParentProgressId { get; init; } = -1;

    /// <summary>Shown as the current operation before any item reports (e.g. the profile being applied).</summary>
    public string? Detail { get; init; }
}

/// <summary>What one item's work receives: its position, its label, the token, and a way to say what it is doing.</summary>
public sealed class FanOutStep
{
    private readonly Action<string> _report;

    internal FanOutStep(int index, string label, CancellationToken cancellationToken, Action<string> report)
    {
        Index = index;
        Label = label;
        CancellationToken = cancellationToken;
        _report = report;
    }

    public int Index { get; }

    public string Label { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Shows "label: status" as the bar's current operation.</summary>
    public void Report(string status) => _report($"{Label}: {status}");
}

/// <summary>One item's outcome. Exactly one of Result (Succeeded) or Error is meaningful.</summary>
public sealed record FanOutOutcome<TItem, TResult>(TItem Item, bool Succeeded, TResult? Result, DevOpsToolsException? Error);

/// <summary>Every item's outcome, in the order the items were given. Items never started (Ctrl+C) are absent.</summary>
public sealed class FanOutResult<TItem, TResult>
{
    internal FanOutResult(IReadOnlyList<FanOutOutcome<TItem, TResult>> outcomes)
    {
        Outcomes = outcomes;
    }

    public IReadOnlyList<FanOutOutcome<TItem, TResult>> Outcomes { get; }

    public IEnumerable<TResult> Results => Outcomes.Where(o => o.Succeeded).Select(o => o.Result!);

    public IEnumerable<FanOutOutcome<TItem, TResult>> Failures => Outcomes.Where(o => !o.Succeeded);
}

/// <summary>
/// The one throttled parallel loop of the engine (servers, commands, hardening, deploys, probes):
/// at most ThrottleLimit items run at once under one progress bar; an item that fails is reported
/// as a non-terminating error for that item while the others go on; Ctrl+C stops items that have
/// not started, cancels the running ones through their token, and is rethrown once all have ended,
/// so callers' clean-up sees every item finished.
/// </summary>
public static class FanOut
{
    public static async Task<FanOutResult<TItem, TResult>> RunAsync<TItem, TResult>(
        EngineContext context,
        IReadOnlyList<TItem> items,
        FanOutOptions options,
        Func<TItem, string> label,
        Func<TItem, FanOutStep, Task<TResult>> work,
        Func<TItem, Exception, DevOpsToolsException>? describeError = null)
    {
        var outcomes = new FanOutOutcome<TItem, TResult>?[items.Count];
        if (items.Count == 0)
        {
            return new FanOutResult<TItem, TResult>([]);
        }

        var token = context.CancellationToken;
        var total = items.Count;
        var done = 0;
        var gate = new object();
        // Under a lock so the count shown never goes backwards when items finish together.
        void Show(string? operation)
        {
            lock (gate)
            {
                context.Output.WriteProgress(new ProgressUpdate(options.ProgressId, options.Activity, $"{done}/{total} {options.DoneWord}", done * 100 / total)
                {
                    CurrentOperation = operation,
                    ParentActivityId = options.ParentProgressId,
                });
            }
        }

        void Finished(string name)
        {
            lock (gate)
            {
                done++;
                Show($"{name}: done");
            }
        }

        Show(options.Detail);
        using var throttle = new SemaphoreSlim(Math.Max(1, options.ThrottleLimit));
        var tasks = items.Select(async (item, index) =>
        {
            var name = label(item);
            try
            {
                await throttle.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C before this item started: it never runs.
            }

            try
            {
                var step = new FanOutStep(index, name, token, Show);
                var result = await work(item, step).ConfigureAwait(false);
                outcomes[index] = new FanOutOutcome<TItem, TResult>(item, true, result, null);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopped by Ctrl+C: not this item's failure; the caller sees the stop.
            }
            catch (Exception ex)
            {
                var error = describeError?.Invoke(item, ex) ?? DescribeError(item, name, ex);
                outcomes[index] = new FanOutOutcome<TItem, TResult>(item, false, default, error);
                context.Output.WriteError(error);
            }
            finally
            {
                throttle.Release();
                Finished(name);
            }
        }).ToList();

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            context.Output.WriteProgress(new ProgressUpdate(options.ProgressId, options.Activity, "done", 100, Completed: true) { ParentActivityId = options.ParentProgressId });
        }

        token.ThrowIfCancellationRequested();
        return new FanOutResult<TItem, TResult>(outcomes.OfType<FanOutOutcome<TItem, TResult>>().ToList());
    }

    /// <summary>The same, for work without a result.</summary>
    public static async Task<FanOutResult<TItem, bool>> RunAsync<TItem>(
        EngineContext context,
        IReadOnlyList<TItem> items,
        FanOutOptions options,
        Func<TItem, string> label,
        Func<TItem, FanOutStep, Task> work,
        Func<TItem, Exception, DevOpsToolsException>? describeError = null) =>
        await RunAsync<TItem, bool>(context, items, options, label, async (item, step) =>
        {
            await work(item, step).ConfigureAwait(false);
            return true;
        }, describeError).ConfigureAwait(false);

    /// <summary>
    /// The classified error, about the item: when the error names no target of its own, the item
    /// becomes its target and its label leads the message, so one failure among many says whose it is.
    /// </summary>
    public static DevOpsToolsException DescribeError<TItem>(TItem item, string label, Exception exception)
    {
        var error = ErrorClassifier.Classify(exception, item);
        if (error.Target is TItem && error.Message.Contains(label, StringComparison.Ordinal))
        {
            return error;
        }

        return new DevOpsToolsException(error.ErrorId, error.Kind, $"{label}: {error.Message}", item, exception)
        {
            RecommendedAction = error.RecommendedAction,
        };
    }
}
