using System.Globalization;

namespace DevOpsTools.Engine.Monitoring.Slo;

/// <summary>
/// How one probe run measured up to one SLO: the bad events counted exactly while probing
/// (failures, plus for a latency SLO the successes slower than its threshold), the error budget
/// left and the burn rate if that ratio held for the SLO's whole window.
/// </summary>
public sealed class SloResult
{
    public required string Name { get; init; }

    public required SloKind Kind { get; init; }

    /// <summary>The objective in percent (99.9).</summary>
    public required double Objective { get; init; }

    /// <summary>Latency SLOs: the threshold in milliseconds; null for availability SLOs.</summary>
    public int? LatencyThresholdMs { get; init; }

    /// <summary>The SLO's compliance window (what the burn rate is measured against).</summary>
    public TimeSpan Window { get; init; }

    public long Requests { get; init; }

    public long BadEvents { get; init; }

    /// <summary>Good events / requests, 0 to 1; null when no request completed.</summary>
    public double? GoodRatio { get; init; }

    /// <summary>Bad-event ratio / error budget; null when no request completed.</summary>
    public double? BurnRate { get; init; }

    /// <summary>1 - BurnRate: the share of the budget left if this ratio held for the window; null when no request completed.</summary>
    public double? ErrorBudgetRemaining { get; init; }

    /// <summary>More bad events than the objective allows (burn rate above 1).</summary>
    public bool Breached { get; init; }

    /// <summary>Scores one SLO on a run's counts.</summary>
    public static SloResult Evaluate(ServiceLevelObjective slo, long requests, long badEvents)
    {
        ArgumentNullException.ThrowIfNull(slo);
        ArgumentOutOfRangeException.ThrowIfNegative(badEvents);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(badEvents, requests);
        double? bad = requests == 0 ? null : (double)badEvents / requests;
        var burn = bad is { } b ? slo.BurnRate(b) : (double?)null;
        return new SloResult
        {
            Name = slo.Name,
            Kind = slo.Kind,
            Objective = slo.ObjectivePercent,
            LatencyThresholdMs = slo.LatencyThresholdMs,
            Window = slo.Window,
            Requests = requests,
            BadEvents = badEvents,
            GoodRatio = 1 - bad,
            BurnRate = burn,
            ErrorBudgetRemaining = bad is { } r ? slo.ErrorBudgetRemaining(r) : null,
            Breached = burn > 1,
        };
    }

    /// <summary>"SLO 'api-latency' breached: 95.00 % good (10 of 200 failed or slower than 300 ms), objective 99 %, burn rate 5.0x".</summary>
    public string Describe()
    {
        var what = Kind == SloKind.Latency ? $"failed or slower than {LatencyThresholdMs} ms" : "failed";
        var burn = BurnRate is { } x ? (double.IsPositiveInfinity(x) ? "infinite" : x.ToString("0.0", CultureInfo.InvariantCulture) + "x") : "-";
        var good = GoodRatio is { } g ? (g * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %" : "no data";
        return $"SLO '{Name}' {(Breached ? "breached" : "met")}: {good} good ({BadEvents} of {Requests} {what}), objective {Objective.ToString("0.###", CultureInfo.InvariantCulture)} %, burn rate {burn}";
    }

    public override string ToString() => Describe();
}
