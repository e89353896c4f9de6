using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>Entry point of Get-ServiceStats' active probes: every target in turn under one progress bar.</summary>
public static class ServiceProbe
{
    /// <summary>
    /// Probes every target and emits one ServiceStats each, in order. An unreachable target is a
    /// Down result, not an error; only Ctrl+C ends the run early (OperationCanceledException).
    /// Targets run one after another (ThrottleLimit 1 by default) so one probe's load does not
    /// skew another's latencies.
    /// </summary>
    public static async Task<IReadOnlyList<ServiceStats>> RunAsync(EngineContext context, IReadOnlyList<ProbeTarget> targets, ProbeSettings settings, int throttleLimit = 1)
    {
        settings.Validate();
        var options = new FanOutOptions { Activity = "Probing services", DoneWord = "probed", ThrottleLimit = throttleLimit };
        var result = await FanOut.RunAsync(context, targets, options, t => t.Service, async (target, step) =>
        {
            step.Report($"{target.Display}: starting");
            using IProbe probe = target.Kind == ProbeKind.Tcp ? new TcpProbe(target.Uri, settings) : new HttpProbe(target.Uri, settings);
            var stats = await new ProbeRunner(target, settings, probe).RunAsync(s => step.Report(s), step.CancellationToken).ConfigureAwait(false);
            context.Output.WriteVerbose($"{target.Display}: {stats.Requests} requests, {stats.Status}" + (stats.Reason is null ? "" : $": {stats.Reason}"));
            context.Emit(stats);
            return stats;
        }).ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        return result.Results.ToList();
    }
}
