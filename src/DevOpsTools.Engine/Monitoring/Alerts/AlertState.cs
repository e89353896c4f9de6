using System.Text.Json;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Alerts;

/// <summary>What a run's result means for a service's alert.</summary>
public enum AlertTransition
{
    /// <summary>No change since the last notified state: nothing to post.</summary>
    None,

    /// <summary>The service became Degraded, Down or broke an SLO.</summary>
    Fired,

    /// <summary>The service is Healthy again after a fired alert.</summary>
    Resolved,
}

/// <summary>One alert to post: the transition, the stats that caused it and the key it is remembered under.</summary>
public sealed record AlertNotice(AlertTransition Transition, ServiceStats Stats, string Key);

/// <summary>
/// The alert state machine: a service fires once when it stops being healthy (Degraded, Down or an
/// SLO breached) and resolves once when it is healthy again; anything else posts nothing.
/// </summary>
public static class AlertRules
{
    public static bool IsFiring(ServiceStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return stats.Status != ServiceStatus.Healthy || stats.SloBreached;
    }

    /// <summary>The transition from the last notified state (null: never notified, taken as healthy).</summary>
    public static AlertTransition Decide(bool? lastNotifiedFiring, ServiceStats stats) =>
        (lastNotifiedFiring ?? false, IsFiring(stats)) switch
        {
            (false, true) => AlertTransition.Fired,
            (true, false) => AlertTransition.Resolved,
            _ => AlertTransition.None,
        };

    /// <summary>The state key: one alert per service, environment and target.</summary>
    public static string KeyOf(ServiceStats stats) => $"{stats.Environment}|{stats.Service}|{stats.Target}";

    /// <summary>The alerts a run's results call for, given the notified states.</summary>
    public static IReadOnlyList<AlertNotice> Pending(IEnumerable<ServiceStats> results, AlertStateStore store)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(store);
        return results
            .Select(s => new AlertNotice(Decide(store.LastNotified(KeyOf(s)), s), s, KeyOf(s)))
            .Where(n => n.Transition != AlertTransition.None)
            .ToList();
    }
}

/// <summary>
/// The last notified alert state of every service+environment+target, in
/// monitoring/alert-state.json under the module data directory (written atomically, 0600).
/// </summary>
public sealed class AlertStateStore
{
    private readonly Dictionary<string, bool> _firing;

    private AlertStateStore(string path, Dictionary<string, bool> firing)
    {
        Path = path;
        _firing = firing;
    }

    public string Path { get; }

    public static AlertStateStore Load(ModuleData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var path = System.IO.Path.Combine(data.Root, "monitoring", "alert-state.json");
        var firing = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            try
            {
                var read = JsonSerializer.Deserialize<Dictionary<string, bool>>(File.ReadAllText(path));
                foreach (var (key, value) in read ?? [])
                {
                    firing[key] = value;
                }
            }
            catch (JsonException ex)
            {
                throw new DevOpsToolsException(ErrorIds.WebhookStateInvalid, ErrorKind.InvalidData,
                    $"The alert state file {path} is not valid JSON: {ex.Message}", path, ex)
                { RecommendedAction = "Delete the file; every unhealthy service then fires once more." };
            }
        }

        return new AlertStateStore(path, firing);
    }

    /// <summary>True: a fired alert was posted last; false: resolved; null: never notified.</summary>
    public bool? LastNotified(string key) => _firing.TryGetValue(key, out var firing) ? firing : null;

    /// <summary>Remembers a posted alert (only posted ones: a failed post is retried next run).</summary>
    public void Record(AlertNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        _firing[notice.Key] = notice.Transition == AlertTransition.Fired;
    }

    public void Save()
    {
        SecureFiles.WritePrivateFile(Path, JsonSerializer.Serialize(_firing, new JsonSerializerOptions { WriteIndented = true }));
    }
}
