namespace DevOpsTools.KubeEndpoint.State;

/// <summary>A log line a simulated container printed: when, in which run of the container (its restart count), and what.</summary>
public sealed record LogLine(DateTimeOffset Time, int Run, string Text);

/// <summary>What the simulated containers print, per namespace/pod/container, at most 1000 lines each.</summary>
public sealed class LogBook
{
    private const int Limit = 1000;
    private readonly Dictionary<string, List<LogLine>> _lines = [];

    private static string Key(string ns, string pod, string container) => $"{ns}/{pod}/{container}";

    public void Append(string ns, string pod, string container, LogLine line)
    {
        lock (_lines)
        {
            if (!_lines.TryGetValue(Key(ns, pod, container), out var list))
            {
                list = [];
                _lines[Key(ns, pod, container)] = list;
            }

            list.Add(line);
            if (list.Count > Limit)
            {
                list.RemoveAt(0);
            }
        }
    }

    public List<LogLine> Read(string ns, string pod, string container)
    {
        lock (_lines)
        {
            return _lines.TryGetValue(Key(ns, pod, container), out var list) ? [.. list] : [];
        }
    }

    public void Forget(string ns, string pod)
    {
        lock (_lines)
        {
            foreach (var key in _lines.Keys.Where(k => k.StartsWith($"{ns}/{pod}/", StringComparison.Ordinal)).ToList())
            {
                _lines.Remove(key);
            }
        }
    }
}
