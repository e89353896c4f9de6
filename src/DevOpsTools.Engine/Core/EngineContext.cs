namespace DevOpsTools.Engine.Core;

/// <summary>
/// What every engine entry point receives: where to report (verbose, warnings, progress,
/// per-item errors), where results go (<see cref="Emit"/>), and the token that Ctrl+C cancels.
/// The cmdlet layer builds one per call and writes everything on the pipeline thread; tests
/// build one over a recording sink. Engine code never sees a PSCmdlet.
/// </summary>
public sealed class EngineContext
{
    private readonly Action<object?> _emit;

    public EngineContext(IOutputSink output, CancellationToken cancellationToken = default, Action<object?>? emit = null)
    {
        Output = output;
        CancellationToken = cancellationToken;
        _emit = emit ?? (_ => { });
    }

    /// <summary>A context that reports nothing and emits nowhere; for callers that only want the return value.</summary>
    public static EngineContext Silent(CancellationToken cancellationToken = default) => new(NullOutputSink.Instance, cancellationToken);

    public IOutputSink Output { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Sends a result down the pipeline. Safe from any thread.</summary>
    public void Emit(object? value) => _emit(value);

    /// <summary>The same sink and emit with another token (a stage time-out linked to this one, or a clean-up that must outlive Ctrl+C).</summary>
    public EngineContext WithCancellation(CancellationToken cancellationToken) => new(Output, cancellationToken, _emit);

    /// <summary>The same sink and token, with results sent to <paramref name="emit"/> instead (an engine step that collects before it emits).</summary>
    public EngineContext WithEmit(Action<object?> emit) => new(Output, CancellationToken, emit);

    /// <summary>The same token and emit, reporting to <paramref name="output"/> instead.</summary>
    public EngineContext WithOutput(IOutputSink output) => new(output, CancellationToken, _emit);
}
