using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>
/// What the platform a deployment runs on says about it: instances ready and wanted, restarts,
/// CPU and memory. Each figure is null when the platform could not give it, and then
/// <see cref="Unavailable"/> says why under the ServiceStats property's name.
/// </summary>
public sealed record PlatformFigures
{
    /// <summary>Where the figures came from: podman (this machine), ssh (a container host's podman), kubernetes.</summary>
    public required string Source { get; init; }

    /// <summary>Where CPU and memory came from when not <see cref="Source"/> (kubernetes-metrics, proc).</summary>
    public string? UsageSource { get; init; }

    public int? ReplicasReady { get; init; }

    public int? ReplicasDesired { get; init; }

    /// <summary>Restarts of the current revision's instances, summed.</summary>
    public long? Restarts { get; init; }

    /// <summary>CPU of the instances, in percent of one core, summed (150: one and a half cores).</summary>
    public double? CpuPercent { get; init; }

    /// <summary>Memory in use by the instances, summed.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>Why a figure is null, by ServiceStats property name.</summary>
    public IReadOnlyDictionary<string, string> Unavailable { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The figures of a platform that could not be read at all: every one null for the same reason.</summary>
    public static PlatformFigures Unreadable(string source, string reason) => new()
    {
        Source = source,
        Unavailable = PlatformRules.Names.ToDictionary(n => n, _ => reason, StringComparer.Ordinal),
    };
}

/// <summary>Reads the platform figures of one deployment from the target it runs on.</summary>
public interface IPlatformStatsSource
{
    /// <summary>
    /// The figures of <paramref name="deployment"/> now. A platform that cannot answer gives
    /// figures that are null with a reason (its SDK's or shell's failure mapped here), never an
    /// exception other than cancellation: the probe still runs.
    /// </summary>
    Task<PlatformFigures> ReadAsync(Deployment deployment, EngineContext context);
}

/// <summary>
/// How the platform's figures weigh on the status: a deployment with no ready instance is Down
/// and one with fewer ready than desired is Degraded, even when the probe is answered (a stale
/// proxy, a cached answer). Restarts, CPU and memory are shown, never judged.
/// </summary>
public static class PlatformRules
{
    /// <summary>The ServiceStats properties the platform fills.</summary>
    public static readonly string[] Names = ["ReplicasReady", "ReplicasDesired", "Restarts", "CpuPercent", "MemoryBytes"];

    public static (ServiceStatus Status, string? Reason) Judge(PlatformFigures? figures)
    {
        if (figures is not { ReplicasReady: { } ready, ReplicasDesired: { } desired } || desired <= 0 || ready >= desired)
        {
            return (ServiceStatus.Healthy, null);
        }

        var what = $"{ready} of {desired} replicas ready ({figures.Source})";
        return ready <= 0 ? (ServiceStatus.Down, what) : (ServiceStatus.Degraded, what);
    }

    /// <summary>The probe's judgement and the platform's together: the worse status, both reasons.</summary>
    public static (ServiceStatus Status, string? Reason) Combine((ServiceStatus Status, string? Reason) probe, PlatformFigures? figures)
    {
        var platform = Judge(figures);
        var status = (ServiceStatus)Math.Max((int)probe.Status, (int)platform.Status);
        var reasons = new[] { platform.Reason, probe.Reason }.Where(r => !string.IsNullOrEmpty(r));
        return (status, status == ServiceStatus.Healthy ? null : string.Join("; ", reasons));
    }

    /// <summary>The Sources entries of the figures that were read.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Sources(PlatformFigures figures)
    {
        var read = new (string Name, object? Value, string Source)[]
        {
            ("ReplicasReady", figures.ReplicasReady, figures.Source),
            ("ReplicasDesired", figures.ReplicasDesired, figures.Source),
            ("Restarts", figures.Restarts, figures.Source),
            ("CpuPercent", figures.CpuPercent, figures.UsageSource ?? figures.Source),
            ("MemoryBytes", figures.MemoryBytes, figures.UsageSource ?? figures.Source),
        };
        return read.Where(r => r.Value is not null).Select(r => new KeyValuePair<string, string>(r.Name, r.Source));
    }
}
