using DevOpsTools.Engine.Core;

namespace DevOpsTools;

/// <summary>What makes Get-ServiceStats -FailOn end in a terminating error.</summary>
public enum HealthGate
{
    /// <summary>A service Degraded or Down.</summary>
    Degraded,

    /// <summary>A service Down.</summary>
    Down,

    /// <summary>A service breaking one of its SLOs.</summary>
    SloBreach,
}

/// <summary>
/// The -FailOn check for scheduled jobs and CI: the error (one stable ErrorId per gate) naming
/// every service that fails it, its figure and its objective, or null when all pass.
/// </summary>
public static class HealthGates
{
    public static DevOpsToolsException? Check(IReadOnlyList<ServiceStats> results, HealthGate gate)
    {
        ArgumentNullException.ThrowIfNull(results);
        var failing = results.Where(s => gate switch
        {
            HealthGate.Down => s.Status == ServiceStatus.Down,
            HealthGate.Degraded => s.Status != ServiceStatus.Healthy,
            _ => s.SloBreached,
        }).ToList();
        if (failing.Count == 0)
        {
            return null;
        }

        var (id, kind, what) = gate switch
        {
            HealthGate.Down => (ErrorIds.ServiceDown, ErrorKind.ResourceUnavailable, "down"),
            HealthGate.Degraded => (ErrorIds.ServiceDegraded, ErrorKind.ResourceUnavailable, "not healthy"),
            _ => (ErrorIds.SloBreached, ErrorKind.LimitsExceeded, "breaking its SLO"),
        };
        var lines = failing.Select(s =>
        {
            var name = s.Environment is null ? s.Service : $"{s.Environment}/{s.Service}";
            var why = gate == HealthGate.SloBreach
                ? string.Join("; ", s.Slos.Where(r => r.Breached).Select(r => r.Describe()))
                : s.Reason;
            return $"{name} ({s.Target}) is {s.Status}: {why}";
        });
        var names = string.Join(", ", failing.Select(s => s.Service).Distinct(StringComparer.Ordinal));
        return new DevOpsToolsException(id, kind,
            $"{failing.Count} of {results.Count} services {(failing.Count == 1 ? "is" : "are")} {what}: {string.Join(" | ", lines)}", names)
        { RecommendedAction = "Look at the service's errors (the Errors property of its ServiceStats) and its logs (Get-AppLog)." };
    }
}
