using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Watch;

/// <summary>How Watch-ServiceStats shows its rounds.</summary>
public enum WatchDisplay
{
    /// <summary>A terminal: the table redrawn in place on the alternate screen.</summary>
    Screen,

    /// <summary>Output redirected (a file, a pipe, TERM=dumb): each round's table as plain lines, no control sequences.</summary>
    Plain,

    /// <summary>-PassThru: the samples go down the pipeline and nothing is drawn.</summary>
    None,
}

/// <summary>
/// The state of one Watch-ServiceStats run: its targets, each one's latest sample, and the
/// round count. Each round is one Get-ServiceStats run over every target (the same probe
/// engine, settings and status rules), with the progress bars left out because the table is
/// the progress.
/// </summary>
public sealed class ServiceWatch
{
    private readonly IReadOnlyList<ProbeTarget> _targets;
    private readonly ProbeSettings _settings;
    private readonly WatchRow[] _rows;

    public ServiceWatch(IReadOnlyList<ProbeTarget> targets, ProbeSettings settings, TimeSpan interval, int? count = null)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new DevOpsToolsException(ErrorIds.ProbeSettingsInvalid, ErrorKind.InvalidArgument,
                $"The interval must be positive (got {interval}).", "Interval");
        }

        if (count is < 1)
        {
            throw new DevOpsToolsException(ErrorIds.ProbeSettingsInvalid, ErrorKind.InvalidArgument,
                $"The count of rounds must be at least 1 (got {count}).", "Count");
        }

        settings.Validate();
        _targets = targets;
        _settings = settings;
        Interval = interval;
        Count = count;
        _rows = targets.Select(t => WatchRow.Pending(t.Service)).ToArray();
    }

    public TimeSpan Interval { get; }

    /// <summary>The rounds to run; null: until Ctrl+C.</summary>
    public int? Count { get; }

    /// <summary>Rounds completed.</summary>
    public int Round { get; private set; }

    public bool Done => Count is { } n && Round >= n;

    /// <summary>One row per target, in the order given: its latest sample, or pending.</summary>
    public IReadOnlyList<WatchRow> Rows => _rows;

    /// <summary>
    /// Probes every target once and returns the samples in target order. With
    /// <paramref name="quiet"/> (a table on screen) progress and verbose lines are dropped so
    /// they cannot scribble over the table; warnings and errors still go through.
    /// </summary>
    public async Task<IReadOnlyList<ServiceStats>> NextRoundAsync(EngineContext context, bool quiet, int throttleLimit = 1)
    {
        var probing = context.WithEmit(_ => { });
        if (quiet)
        {
            probing = probing.WithOutput(new QuietSink(context.Output));
        }

        var samples = await ServiceProbe.RunAsync(probing, _targets, _settings, throttleLimit).ConfigureAwait(false);
        var unused = samples.ToList();
        for (var i = 0; i < _targets.Count; i++)
        {
            // Matched by name and URL, not position: a target whose probe failed has no sample and keeps its last row.
            var sample = unused.FirstOrDefault(s => s.Service == _targets[i].Service && s.Target == _targets[i].Display);
            if (sample is not null)
            {
                unused.Remove(sample);
                _rows[i] = WatchRow.FromStats(sample);
            }
        }

        Round++;
        return samples;
    }

    /// <summary>The screen as of now (see WatchLayout.Lines).</summary>
    public IReadOnlyList<string> Lines(int width, int height, bool color, DateTimeOffset at) =>
        WatchLayout.Lines(new WatchHeading(Math.Max(Round, 1), Count, Interval, at), _rows, width, height, color);

    /// <summary>How long to wait before the next round so rounds start every Interval (none when a round took longer).</summary>
    public TimeSpan WaitAfter(TimeSpan roundTook) => roundTook >= Interval ? TimeSpan.Zero : Interval - roundTook;

    /// <summary>
    /// Screen on a terminal; Plain when the output is redirected or the terminal is dumb; None
    /// with -PassThru, whose samples go to the pipeline: drawing there too would interleave the
    /// table with the formatted objects when they reach the console.
    /// </summary>
    public static WatchDisplay ChooseDisplay(bool passThru, bool outputRedirected, string? term) =>
        passThru ? WatchDisplay.None
        : outputRedirected || string.Equals(term, "dumb", StringComparison.Ordinal) ? WatchDisplay.Plain
        : WatchDisplay.Screen;

    /// <summary>Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org).</summary>
    public static bool UseColor(WatchDisplay display, string? noColor) =>
        display == WatchDisplay.Screen && string.IsNullOrEmpty(noColor);

    /// <summary>Passes warnings and errors on; drops progress, verbose and debug lines.</summary>
    private sealed class QuietSink(IOutputSink inner) : IOutputSink
    {
        public void WriteVerbose(string message)
        {
        }

        public void WriteWarning(string message) => inner.WriteWarning(message);

        public void WriteDebug(string message)
        {
        }

        public void WriteProgress(ProgressUpdate progress)
        {
        }

        public void WriteError(DevOpsToolsException error) => inner.WriteError(error);
    }
}
