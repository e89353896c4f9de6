using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>Names, ports and the HAProxy configuration of an app on a container host.</summary>
public static class ContainerHostLayout
{
    /// <summary>Instances alternate between two port blocks above the public port, so a new revision never takes the old one's ports.</summary>
    public static List<int> PortsFor(RevisionSpec spec, HostRevision? current)
    {
        var block = current is not null && current.Ports.Count > 0 && current.Ports[0] == spec.PublicPort + 1 ? 1 : 0;
        return Enumerable.Range(0, spec.Replicas).Select(i => spec.PublicPort + 1 + (block * spec.Replicas) + i).ToList();
    }

    public static string HaproxyConfig(string bind, string app, int publicPort, HostRevision revision)
    {
        var cfg = new StringBuilder();
        cfg.Append("global\n    log stdout format raw local0 notice\n    hard-stop-after 30s\n")
           .Append("defaults\n    mode http\n    log global\n    option dontlognull\n    retries 3\n    option redispatch\n")
           .Append("    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n    timeout http-keep-alive 5s\n")
           .Append(CultureInfo.InvariantCulture, $"frontend {app}\n    bind {bind}:{publicPort}\n    default_backend {app}-r{revision.Revision}\n")
           .Append(CultureInfo.InvariantCulture, $"backend {app}-r{revision.Revision}\n    balance roundrobin\n    option httpchk GET {revision.Spec.HealthPath}\n");
        for (var i = 0; i < revision.Ports.Count; i++)
        {
            cfg.Append(CultureInfo.InvariantCulture, $"    server {revision.Containers[i]} 127.0.0.1:{revision.Ports[i]} check inter 2s\n");
        }

        return cfg.ToString();
    }

    public static List<string> Describe(string app, string environment, int revision, RevisionSpec spec, List<int> ports)
    {
        var lines = new List<string>();
        for (var i = 0; i < spec.Replicas; i++)
        {
            lines.Add($"container {ContainerName(app, environment, revision, i)}: image {spec.Image}, host network, port {ports[i]}");
            lines.Add($"proxy :{spec.PublicPort} -> 127.0.0.1:{ports[i]} (health GET {spec.HealthPath})");
        }

        lines.AddRange(spec.Variables.Select(v => $"env {v.Key}={v.Value}"));
        lines.AddRange(spec.Volumes.Select(v => $"volume {v.Key} at {v.Value}"));
        if (spec.Cpu is not null || spec.MemoryBytes is not null)
        {
            lines.Add($"resources cpu={spec.Cpu?.ToString(CultureInfo.InvariantCulture) ?? "-"} memory={spec.MemoryBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        }

        return lines;
    }

    /// <summary>What a revision runs, from the resolved app (the first port is the proxied one).</summary>
    public static RevisionSpec SpecOf(ResolvedApp app)
    {
        var port = app.Ports.Count > 0 ? app.Ports[0] : new AppPort("http", 8080);
        var health = app.HealthCheck;
        return new RevisionSpec
        {
            Image = app.Image,
            Replicas = Math.Max(1, app.Replicas),
            PublicPort = port.PublicPort > 0 ? port.PublicPort : port.ContainerPort,
            PortName = port.Name,
            Variables = new SortedDictionary<string, string>(app.Variables.ToDictionary(), StringComparer.Ordinal),
            // One podman volume per environment and app: test and prod on one host never share data.
            Volumes = new SortedDictionary<string, string>(app.Volumes.ToDictionary(v => VolumeName(app.Name, app.Environment, v.Name), v => v.MountPath), StringComparer.Ordinal),
            Secrets = app.Secrets.Select(s => s.Name).Order(StringComparer.Ordinal).ToList(),
            Cpu = app.Resources.Cpu,
            MemoryBytes = app.Resources.MemoryBytes,
            HealthPath = health?.HttpPath ?? "/healthz",
            StartPeriodSeconds = (int)Math.Ceiling((health?.StartPeriod ?? TimeSpan.FromSeconds(5)).TotalSeconds),
            IntervalSeconds = Math.Max(1, (int)Math.Ceiling((health?.Interval ?? TimeSpan.FromSeconds(2)).TotalSeconds)),
            StartIntervalMilliseconds = health?.StartInterval is { } startInterval ? Math.Max(10, (int)Math.Ceiling(startInterval.TotalMilliseconds)) : 0,
            TimeoutSeconds = Math.Max(1, (int)Math.Ceiling((health?.Timeout ?? TimeSpan.FromSeconds(2)).TotalSeconds)),
            Threshold = Math.Max(1, health?.Threshold ?? 3),
        };
    }

    /// <summary>"&lt;container&gt; &lt;RFC 3339 time&gt; &lt;text&gt;" from the logs step, as a log line.</summary>
    public static AppLogLine ParseLogLine(string app, string line)
    {
        // "<container> <RFC 3339 time> <text>" (the script prefixes the name; podman logs --timestamps the time).
        var parts = line.Split(' ', 3);
        // podman writes nanoseconds; .NET parses at most 7 fraction digits.
        var stamp = parts.Length == 3 ? Regex.Replace(parts[1], @"(\.\d{7})\d+", "$1") : "";
        if (parts.Length == 3 && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return new AppLogLine(app, parts[0], time, parts[2]);
        }

        return new AppLogLine(app, parts[0], null, parts.Length > 1 ? string.Join(' ', parts.Skip(1)) : line);
    }

    /// <summary>
    /// podman run arguments of instance <paramref name="index"/> of a revision (host network, its
    /// own port, labels, then the image by its digest: a tag moved later never changes what a
    /// revision runs, so a restart or an undo runs the same content).
    /// </summary>
    public static List<string> InstanceArguments(string app, string environment, HostRevision revision, string digest, int index, string? envFile)
    {
        var args = new List<string>
        {
            "--network=host",
            "--label", "devopstools.role=app", "--label", $"devopstools.app={app}", "--label", $"devopstools.environment={environment}",
            "--label", $"devopstools.revision={revision.Revision}", "--label", $"devopstools.digest={digest}", "--label", $"devopstools.image={revision.Spec.Image}",
            "--env", $"PORT={revision.Ports[index]}",
        };
        args.AddRange(SharedArguments(revision.Spec, envFile));
        args.AddRange(["--", digest]);
        return args;
    }

    /// <summary>podman run arguments of the app's HAProxy: host network, its configuration directory (DEPLOY_DIR/proxy) read-only, master-worker mode.</summary>
    public static List<string> ProxyArguments(string app, string environment, string deployDirectory, string image) =>
    [
        "--network=host",
        "--label", "devopstools.role=proxy", "--label", $"devopstools.app={app}", "--label", $"devopstools.environment={environment}",
        "-v", $"{deployDirectory}/proxy:/etc/devopstools-proxy:ro,Z",
        "--", image, "haproxy", "-W", "-db", "-f", "/etc/devopstools-proxy/haproxy.cfg",
    ];

    /// <summary>podman run arguments of the migration: the instances' variables, secrets and volumes, then the image and the command.</summary>
    public static List<string> MigrationArguments(string app, string environment, RevisionSpec spec, string digest, string? envFile, IReadOnlyList<string> command)
    {
        var args = new List<string>
        {
            "--network=host",
            "--label", "devopstools.role=migration", "--label", $"devopstools.app={app}", "--label", $"devopstools.environment={environment}",
            "--label", $"devopstools.digest={digest}",
        };
        args.AddRange(SharedArguments(spec, envFile));
        args.AddRange(["--", digest, .. command]);
        return args;
    }

    private static IEnumerable<string> SharedArguments(RevisionSpec spec, string? envFile)
    {
        foreach (var (name, value) in spec.Variables)
        {
            yield return "--env";
            yield return $"{name}={value}";
        }

        foreach (var (name, path) in spec.Volumes)
        {
            yield return "--volume";
            yield return $"{name}:{path}";
        }

        if (envFile is not null)
        {
            yield return "--env-file";
            yield return envFile;
        }

        if (spec.Cpu is { } cpu)
        {
            yield return "--cpus=" + cpu.ToString(CultureInfo.InvariantCulture);
        }

        if (spec.MemoryBytes is { } memory)
        {
            yield return "--memory=" + memory.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The host's podman volume for an app's volume in one environment.</summary>
    public static string VolumeName(string app, string environment, string volume) => $"dot-{environment}-{app}-{volume}";

    public static string MigrationName(string app, string environment) => $"dot-{environment}-{app}-migrate";

    public static string ContainerName(string app, string environment, int revision, int index) => $"dot-{environment}-{app}-r{revision}-{index}";

    public static string ProxyName(string app, string environment) => $"dot-{environment}-{app}-proxy";
}
