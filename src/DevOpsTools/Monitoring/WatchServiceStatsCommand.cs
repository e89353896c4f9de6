using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Host;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Watch;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// A live view for troubleshooting: probes the same targets as Get-ServiceStats in rounds every
/// -Interval and redraws one row per service in place on the terminal (the alternate screen),
/// until Ctrl+C or -Count rounds. The engine lays the screen out; this only writes it to the host.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "ServiceStats", DefaultParameterSetName = UrlSet)]
[OutputType(typeof(ServiceStats))]
public sealed class WatchServiceStatsCommand : ServiceProbeCommandBase
{
    /// <summary>Requests to each service per round when -Requests is not given: enough for a p99 of a few, light on a service in trouble.</summary>
    public const int DefaultRequestsPerRound = 10;

    /// <summary>Seconds from the start of one round to the start of the next.</summary>
    [Parameter]
    [ValidateRange(0.1, 86_400.0)]
    public double Interval { get; set; } = 2;

    /// <summary>Stop after this many rounds; without it, run until Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Count { get; set; }

    /// <summary>Emit every sample as a ServiceStats and draw nothing.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The layout's widest line; wider terminals get the same table.</summary>
    private const int MaxWidth = 80;

    private readonly List<ProbeTarget> _targets = [];

    protected override void BeginProcessingCore() => ValidateProbeParameters();

    // Targets are gathered from every pipeline record first: the rounds cover all of them.
    protected override void ProcessRecordCore() => _targets.AddRange(ResolveTargets());

    protected override void EndProcessingCore()
    {
        if (_targets.Count == 0)
        {
            return;
        }

        var watch = new ServiceWatch(_targets, SettingsWith(Requests ?? DefaultRequestsPerRound), TimeSpan.FromSeconds(Interval), Count);
        var ui = Host?.UI;
        var display = ui is null ? WatchDisplay.None
            : ServiceWatch.ChooseDisplay(PassThru, Console.IsOutputRedirected, System.Environment.GetEnvironmentVariable("TERM"));
        var color = ServiceWatch.UseColor(display, System.Environment.GetEnvironmentVariable("NO_COLOR"));
        var onScreen = false;
        var finished = false;
        try
        {
            if (display == WatchDisplay.Screen)
            {
                ui!.Write(Ansi.EnterScreen);
                onScreen = true;
                Draw(ui, watch, display, color);
            }

            while (true)
            {
                var round = Stopwatch.StartNew();
                var samples = RunEngine(context => watch.NextRoundAsync(context, quiet: display == WatchDisplay.Screen));
                if (display == WatchDisplay.None)
                {
                    WriteObject(samples, enumerateCollection: true);
                }
                else
                {
                    Draw(ui!, watch, display, color);
                }

                if (watch.Done)
                {
                    break;
                }

                if (CancellationToken.WaitHandle.WaitOne(watch.WaitAfter(round.Elapsed)))
                {
                    // Ctrl+C between rounds: the error boundary turns this into a pipeline stop.
                    throw new OperationCanceledException(CancellationToken);
                }
            }

            finished = true;
        }
        finally
        {
            if (onScreen)
            {
                // Always, on Ctrl+C too: cursor shown, attributes reset, the shell's screen back.
                ui!.Write(Ansi.LeaveScreen);
                if (finished)
                {
                    // -Count ran out: the last table stays on the shell's screen, as a command's output does.
                    foreach (var line in watch.Lines(Width(ui), 0, color, DateTimeOffset.UtcNow))
                    {
                        ui.WriteLine(line);
                    }
                }
            }
        }
    }

    private static void Draw(PSHostUserInterface ui, ServiceWatch watch, WatchDisplay display, bool color)
    {
        if (display == WatchDisplay.Screen)
        {
            var height = Height(ui);
            ui.Write(Ansi.Frame(watch.Lines(Width(ui), height, color, DateTimeOffset.UtcNow)));
            return;
        }

        // Plain: a log of rounds, one table after another.
        foreach (var line in watch.Lines(MaxWidth, 0, color: false, DateTimeOffset.UtcNow))
        {
            ui.WriteLine(line);
        }

        ui.WriteLine();
    }

    private static int Width(PSHostUserInterface ui)
    {
        var width = WindowSize(ui)?.Width ?? MaxWidth;
        return width is > 0 and < MaxWidth ? width : MaxWidth;
    }

    private static int Height(PSHostUserInterface ui) => Math.Max(WindowSize(ui)?.Height ?? 0, 0);

    private static Size? WindowSize(PSHostUserInterface ui)
    {
        try
        {
            return ui.RawUI?.WindowSize;
        }
        catch (Exception ex) when (ex is NotImplementedException or NotSupportedException or HostException or IOException)
        {
            // A host without a window (a remote or a custom host): an 80-column table, any height.
            return null;
        }
    }
}
