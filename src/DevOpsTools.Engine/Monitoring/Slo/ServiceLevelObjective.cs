using System.Globalization;

namespace DevOpsTools.Engine.Monitoring.Slo;

/// <summary>What an SLO counts as a bad event.</summary>
public enum SloKind
{
    /// <summary>A failed request (refused, timed out, or an answer the probe's rules call a failure).</summary>
    Availability,

    /// <summary>A request that failed or took longer than the SLO's latency threshold.</summary>
    Latency,
}

/// <summary>
/// One service level objective from an environment file's <c>monitoring.slos</c>, in the terms
/// Sloth and Pyrra use: an objective ratio of good events over a rolling compliance window, the
/// error budget that leaves (1 - objective), and the burn rate of an observed bad-event ratio (how
/// many times faster than "exactly on budget" the budget is being spent).
/// </summary>
public sealed record ServiceLevelObjective
{
    public required string Name { get; init; }

    public required string App { get; init; }

    /// <summary>The objective in percent, as written (99.9).</summary>
    public required double ObjectivePercent { get; init; }

    public required TimeSpan Window { get; init; }

    /// <summary>Latency SLOs: requests slower than this are bad; null for availability SLOs.</summary>
    public int? LatencyThresholdMs { get; init; }

    public SloKind Kind => LatencyThresholdMs is null ? SloKind.Availability : SloKind.Latency;

    /// <summary>The share of bad events the window allows, 0 to 1 (0.001 for 99.9 %).</summary>
    // Rounded so 100 - 99.9 gives 0.001 and not 0.0010000000000000009: budgets are compared and printed.
    public double ErrorBudget => Math.Round(1 - (ObjectivePercent / 100), 12);

    /// <summary>
    /// How fast a bad-event ratio spends the budget: 1 spends exactly the budget over the window,
    /// 14.4 spends a 30-day budget in 50 hours. A budget of 0 (objective 100 %) burns infinitely
    /// fast on any bad event.
    /// </summary>
    public double BurnRate(double badRatio)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(badRatio, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(badRatio, 1);
        if (ErrorBudget == 0)
        {
            return badRatio > 0 ? double.PositiveInfinity : 0;
        }

        return badRatio / ErrorBudget;
    }

    /// <summary>
    /// The share of the budget left if the bad-event ratio held for the whole window: 1 untouched,
    /// 0 spent, negative when overspent (Pyrra shows it the same way).
    /// </summary>
    public double ErrorBudgetRemaining(double badRatio)
    {
        var burn = BurnRate(badRatio);
        return double.IsPositiveInfinity(burn) ? double.NegativeInfinity : 1 - burn;
    }

    /// <summary>The multi-window, multi-burn-rate alerts for this SLO's window.</summary>
    public IReadOnlyList<BurnRateAlert> Alerts => BurnRateAlert.For(Window);

    /// <summary>The SLO of a validated environment file entry.</summary>
    public static ServiceLevelObjective From(SloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ServiceLevelObjective
        {
            Name = settings.Name,
            App = settings.App,
            ObjectivePercent = settings.Objective,
            Window = ParseWindow(settings.Window)
                ?? throw new ArgumentException($"'{settings.Window}' is not a window such as 30d, 6h, 2w or 90m.", nameof(settings)),
            LatencyThresholdMs = settings.LatencyMs,
        };
    }

    /// <summary>The SLOs an environment file's <c>monitoring.slos</c> declares for one app, in file order.</summary>
    public static IReadOnlyList<ServiceLevelObjective> OfApp(EnvironmentDefinition environment, string app)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.Monitoring.Slos.Where(s => string.Equals(s.App, app, StringComparison.Ordinal)).Select(From).ToArray();
    }

    /// <summary>"90m", "6h", "30d", "2w" (the environment schema's window pattern); null otherwise.</summary>
    public static TimeSpan? ParseWindow(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length < 2
            || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number == 0)
        {
            return null;
        }

        return text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(number),
            'h' => TimeSpan.FromHours(number),
            'd' => TimeSpan.FromDays(number),
            'w' => TimeSpan.FromDays(7.0 * number),
            _ => null,
        };
    }

    /// <summary>A window as Prometheus writes a range: the largest whole unit ("1h", "5m", "3d").</summary>
    public static string FormatWindow(TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "A window is longer than zero.");
        }

        var minutes = (long)Math.Round(window.TotalMinutes);
        return minutes switch
        {
            _ when minutes % (24 * 60) == 0 => $"{minutes / (24 * 60)}d",
            _ when minutes % 60 == 0 => $"{minutes / 60}h",
            _ => $"{Math.Max(1, minutes)}m",
        };
    }
}
