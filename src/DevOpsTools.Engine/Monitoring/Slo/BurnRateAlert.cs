namespace DevOpsTools.Engine.Monitoring.Slo;

/// <summary>Who an SLO alert is for.</summary>
public enum AlertSeverity
{
    /// <summary>Wakes someone: the budget goes within days at this rate.</summary>
    Page,

    /// <summary>For working hours: the budget goes before the window ends at this rate.</summary>
    Ticket,
}

/// <summary>
/// One multi-window burn-rate alert (the Google SRE workbook's, as Sloth and Pyrra generate them):
/// it fires while the burn rate over both its long and its short window is above Factor. The long
/// window makes it significant, the short one makes it reset soon after the burn stops.
/// </summary>
public sealed record BurnRateAlert(AlertSeverity Severity, double Factor, TimeSpan LongWindow, TimeSpan ShortWindow)
{
    /// <summary>The reference compliance window the workbook's table is written for.</summary>
    public static readonly TimeSpan ReferenceWindow = TimeSpan.FromDays(30);

    // For 30 days: page at 14.4x over 1 h (and 5 min) or 6x over 6 h (and 30 min); ticket at 3x over
    // 1 d (and 2 h) or 1x over 3 d (and 6 h). Each pair spends 2 %, 5 %, 10 % and 10 % of the budget
    // before it fires. The short window is a twelfth of the long one.
    private static readonly (AlertSeverity Severity, double Factor, TimeSpan Long)[] Reference =
    [
        (AlertSeverity.Page, 14.4, TimeSpan.FromHours(1)),
        (AlertSeverity.Page, 6, TimeSpan.FromHours(6)),
        (AlertSeverity.Ticket, 3, TimeSpan.FromDays(1)),
        (AlertSeverity.Ticket, 1, TimeSpan.FromDays(3)),
    ];

    /// <summary>The share of the whole window's budget spent by the time the alert fires.</summary>
    public double BudgetSpentWhenFiring(TimeSpan sloWindow) => Factor * LongWindow / sloWindow;

    /// <summary>Whether burn rates measured over the long and the short window fire this alert.</summary>
    public bool Fires(double longWindowBurnRate, double shortWindowBurnRate) =>
        longWindowBurnRate > Factor && shortWindowBurnRate > Factor;

    /// <summary>
    /// The four alerts for a compliance window. For 30 days they are the workbook's table; for
    /// another window the time windows scale with it (as Pyrra does) and the factors stay, so each
    /// alert still fires after the same share of the budget is spent. Windows round to whole minutes,
    /// at least one, because Prometheus ranges shorter than a scrape interval read nothing.
    /// </summary>
    public static IReadOnlyList<BurnRateAlert> For(TimeSpan sloWindow)
    {
        if (sloWindow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(sloWindow), sloWindow, "An SLO window is longer than zero.");
        }

        var scale = sloWindow / ReferenceWindow;
        return Reference
            .Select(r => new BurnRateAlert(r.Severity, r.Factor, WholeMinutes(r.Long * scale), WholeMinutes(r.Long * scale / 12)))
            .ToArray();
    }

    private static TimeSpan WholeMinutes(TimeSpan span) => TimeSpan.FromMinutes(Math.Max(1, Math.Round(span.TotalMinutes)));
}
