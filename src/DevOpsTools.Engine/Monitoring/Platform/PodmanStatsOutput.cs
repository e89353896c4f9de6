using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>One container as the stats step of container-host.sh reports it.</summary>
/// <param name="MemoryFromProc">The memory is the main process's VmRSS (podman stats gave none).</param>
public sealed record PodmanContainerFigures(string Name, bool Running, long RestartCount, double? CpuPercent, long? MemoryBytes, bool MemoryFromProc = false);

/// <summary>
/// Reads the output of container-host.sh's stats step: "--- inspect" with podman container
/// inspect's JSON array, "--- stats" with podman stats --format json's array (sizes as podman
/// prints them: "593.9kB / 25.28GB", decimal units; CPU as "3.72%"), and when podman could not
/// read the cgroups, "--- proc" with "name VmRSS-kB" lines.
/// </summary>
public static partial class PodmanStatsOutput
{
    public static IReadOnlyList<PodmanContainerFigures> Parse(string output)
    {
        var sections = Sections(output);
        var usage = new Dictionary<string, (double? Cpu, long? Memory, bool FromProc)>(StringComparer.Ordinal);
        if (sections.TryGetValue("stats", out var stats) && stats.TrimStart().StartsWith('['))
        {
            using var json = JsonDocument.Parse(stats);
            foreach (var entry in json.RootElement.EnumerateArray())
            {
                var name = Text(entry, "name");
                if (name is not null)
                {
                    usage[name] = (Percent(Text(entry, "cpu_percent")), Size(Text(entry, "mem_usage")?.Split('/')[0]), false);
                }
            }
        }

        if (sections.TryGetValue("proc", out var proc))
        {
            foreach (var line in proc.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // Only where podman stats gave no memory: its figure is the cgroup's, /proc's one process's.
                if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) && kb > 0
                    && usage.GetValueOrDefault(parts[0]).Memory is null)
                {
                    usage[parts[0]] = (usage.GetValueOrDefault(parts[0]).Cpu, kb * 1024, true);
                }
            }
        }

        var containers = new List<PodmanContainerFigures>();
        if (sections.TryGetValue("inspect", out var inspect) && inspect.TrimStart().StartsWith('['))
        {
            using var json = JsonDocument.Parse(inspect);
            foreach (var entry in json.RootElement.EnumerateArray())
            {
                // inspect's Name has no leading slash in podman (docker's has one).
                var name = Text(entry, "Name")?.TrimStart('/') ?? string.Empty;
                var running = entry.TryGetProperty("State", out var state) && state.TryGetProperty("Running", out var r) && r.ValueKind == JsonValueKind.True;
                var restarts = entry.TryGetProperty("RestartCount", out var rc) && rc.TryGetInt64(out var count) ? count : 0;
                var (cpu, memory, fromProc) = usage.GetValueOrDefault(name);
                containers.Add(new PodmanContainerFigures(name, running, restarts, running ? cpu : null, running ? memory : null, running && fromProc));
            }
        }

        return containers;
    }

    /// <summary>
    /// A deployment's figures from the whole stats output: its current revision's containers (from
    /// the state file in it), ready ones those running, their restarts, CPU and memory summed.
    /// </summary>
    public static PlatformFigures Figures(string output, string source)
    {
        var state = Sections(output).TryGetValue("state", out var text) ? DevOpsTools.Engine.Deploy.ContainerHost.HostState.Parse(text) : null;
        var current = state?.Find(state.Current);
        if (current is null)
        {
            return PlatformFigures.Unreadable(source, "the app has no current revision on this host");
        }

        var wanted = current.Containers.ToHashSet(StringComparer.Ordinal);
        var mine = Parse(output).Where(c => wanted.Contains(c.Name)).ToList();
        var running = mine.Where(c => c.Running).ToList();
        var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
        var fromProc = running.Any(c => c.MemoryFromProc);
        double? cpu = running.Count > 0 && running.All(c => c.CpuPercent is not null) ? running.Sum(c => c.CpuPercent!.Value) : null;
        long? memory = running.Count > 0 && running.All(c => c.MemoryBytes is not null) ? running.Sum(c => c.MemoryBytes!.Value) : null;
        if (cpu is null)
        {
            unavailable["CpuPercent"] = running.Count == 0 ? "no instance is running" : "podman stats gives no CPU figure on this host (its podman runs without cgroups)";
        }

        if (memory is null)
        {
            unavailable["MemoryBytes"] = running.Count == 0 ? "no instance is running" : "neither podman stats nor /proc gave the containers' memory";
        }

        return new PlatformFigures
        {
            Source = source,
            UsageSource = fromProc && memory is not null ? "proc" : null,
            ReplicasReady = running.Count,
            ReplicasDesired = current.Spec.Replicas,
            Restarts = mine.Sum(c => c.RestartCount),
            CpuPercent = cpu,
            MemoryBytes = memory,
            Unavailable = unavailable,
        };
    }

    /// <summary>"593.9kB", "1.2MB", "25.28GB", "0B" (decimal, as podman's go-units prints them; binary "MiB" too) in bytes.</summary>
    public static long? Size(string? text)
    {
        var match = SizePattern().Match(text?.Trim() ?? string.Empty);
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        var unit = match.Groups["u"].Value.ToUpperInvariant();
        var binary = unit.Contains('I', StringComparison.Ordinal);
        var power = unit.Length == 0 || unit == "B" ? 0 : "KMGTP".IndexOf(unit[0], StringComparison.Ordinal) + 1;
        return (long)Math.Round(number * Math.Pow(binary ? 1024 : 1000, power));
    }

    /// <summary>"3.72%" as 3.72; "--" (no figure yet) as null.</summary>
    public static double? Percent(string? text) =>
        double.TryParse(text?.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static Dictionary<string, string> Sections(string output)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var text = new System.Text.StringBuilder();
        foreach (var line in output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith("--- ", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    sections[current] = text.ToString();
                }

                current = line[4..].Trim();
                text.Clear();
            }
            else if (current is not null)
            {
                text.Append(line).Append('\n');
            }
        }

        if (current is not null)
        {
            sections[current] = text.ToString();
        }

        return sections;
    }

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>[kKMGTP]?i?B)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
