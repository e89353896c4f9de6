using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>
/// An application as declared in YAML: a standalone app.yaml (optionally headed by
/// apiVersion devopstools/v1 and kind App) or one item of an environment file's apps section.
/// One model for both. <see cref="AppSpecLoader.Resolve"/> turns it into a
/// <see cref="ResolvedApp"/> for one environment. Secrets are references only: no field holds a value.
/// </summary>
public sealed class AppSpec : IYamlLocated
{
    [YamlField("apiVersion", Description = "Schema version (optional): devopstools/v1", Pattern = "^devopstools/v1$")]
    public string? ApiVersion { get; set; }

    [YamlField("kind", Description = "Document kind (optional): App", Pattern = "^App$")]
    public string? Kind { get; set; }

    [YamlField("name", Required = true, Description = "Application name (RFC 1123 label)", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("image", Required = true, Description = "Container image: a tag (localhost/shop:1.4.2) or a digest (...@sha256:<64 hex>)", Pattern = Validation.ImagePattern)]
    public string Image { get; set; } = string.Empty;

    [YamlField("target", Description = "Where it runs: podman (container hosts over SSH) or kubernetes", Pattern = "^(podman|kubernetes)$")]
    public string Target { get; set; } = "podman";

    [YamlField("replicas", Description = "Instances to run", Minimum = 0, Maximum = 1000)]
    public int Replicas { get; set; } = 1;

    [YamlField("port", Description = "Shorthand for ports: [{name: http, port: <port>}]; not with ports", Minimum = 1, Maximum = 65535)]
    public int? Port { get; set; }

    [YamlField("healthPath", Description = "Shorthand for healthCheck: {http: {path: <path>}}; not with healthCheck", Pattern = AppSpecPatterns.HttpPath)]
    public string? HealthPath { get; set; }

    [YamlField("ports", Description = "Ports the app listens on; the first is the default for the proxy and the health check")]
    public List<AppPortSpec> Ports { get; set; } = [];

    [YamlField("env", Description = "Plain environment variables (not secret: they may appear in diffs); names are POSIX names", KeyPattern = AppSpecPatterns.EnvName)]
    public Dictionary<string, string> Env { get; set; } = [];

    [YamlField("secrets", Description = "Secret environment variables by reference: exactly one of fromEnv, fromFile, fromKubernetesSecret")]
    public List<SecretSpec> Secrets { get; set; } = [];

    [YamlField("configFiles", Description = "Files placed read-only into the container (not secret)")]
    public List<ConfigFileSpec> ConfigFiles { get; set; } = [];

    [YamlField("resources", Description = "CPU and memory limits")]
    public ResourcesSpec? Resources { get; set; }

    [YamlField("healthCheck", Description = "How readiness is checked: http or command")]
    public HealthCheckSpec? HealthCheck { get; set; }

    [YamlField("volumes", Description = "Named volumes that outlive revisions")]
    public List<VolumeSpec> Volumes { get; set; } = [];

    [YamlField("migration", Description = "A command run once per deploy in the new image before any instance switches")]
    public MigrationSpec? Migration { get; set; }

    [YamlField("servers", Description = "Roles or names of the servers that run it (container-host targets); empty: every server given", Pattern = Validation.Rfc1123LabelPattern)]
    public List<string> Servers { get; set; } = [];

    [YamlField("hosts", Description = "Host names the app answers to (proxy or ingress rules); empty: any", Pattern = AppSpecPatterns.HostName)]
    public List<string> Hosts { get; set; } = [];

    [YamlField("environments", Description = "Per-environment overrides, keyed by environment name (test, preprod, prod)", KeyPattern = Validation.Rfc1123LabelPattern)]
    public Dictionary<string, AppOverrideSpec> Environments { get; set; } = [];

    public YamlLocation? Location { get; set; }
}

public sealed class AppPortSpec : IYamlLocated
{
    [YamlField("name", Description = "Port name (RFC 1123 label), unique in the app; default http", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = "http";

    [YamlField("port", Required = true, Description = "Container port the app listens on", Minimum = 1, Maximum = 65535)]
    public int Port { get; set; }

    [YamlField("publicPort", Description = "Port users reach (the reverse proxy's listener); default: the target chooses", Minimum = 1, Maximum = 65535)]
    public int? PublicPort { get; set; }

    [YamlField("protocol", Description = "http (default) or tcp", Pattern = "^(http|tcp)$")]
    public string Protocol { get; set; } = "http";

    public YamlLocation? Location { get; set; }
}

public sealed class SecretSpec : IYamlLocated
{
    [YamlField("name", Required = true, Description = "The environment variable the app sees (a POSIX name)", Pattern = AppSpecPatterns.EnvName)]
    public string Name { get; set; } = string.Empty;

    [YamlField("fromEnv", Description = "A variable of the deploying process (a POSIX name)", Pattern = AppSpecPatterns.EnvName)]
    public string? FromEnv { get; set; }

    [YamlField("fromFile", Description = "A file readable by its owner only (0600 or 0400), relative to the spec file")]
    public string? FromFile { get; set; }

    [YamlField("fromKubernetesSecret", Description = "A key of a Kubernetes Secret in the app's namespace")]
    public KubernetesSecretSpec? FromKubernetesSecret { get; set; }

    public YamlLocation? Location { get; set; }
}

public sealed class KubernetesSecretSpec
{
    [YamlField("name", Required = true, Description = "Secret name (RFC 1123 label)", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("key", Required = true, Description = "Key in the Secret's data (letters, digits, '-', '_', '.')", Pattern = "^[-._a-zA-Z0-9]{1,253}$")]
    public string Key { get; set; } = string.Empty;
}

public sealed class ConfigFileSpec : IYamlLocated
{
    [YamlField("path", Required = true, Description = "Absolute path in the container", Pattern = AppSpecPatterns.AbsolutePath)]
    public string Path { get; set; } = string.Empty;

    [YamlField("content", Required = true, Description = "File content (not secret: use secrets for those)")]
    public string Content { get; set; } = string.Empty;

    [YamlField("mode", Description = "Octal permissions, default 0644", Pattern = "^0?[0-7]{3}$")]
    public string Mode { get; set; } = "0644";

    public YamlLocation? Location { get; set; }
}

public sealed class ResourcesSpec : IYamlLocated
{
    [YamlField("cpu", Description = "CPU limit in cores (0.5) or millicores (500m)", Pattern = Quantities.CpuPattern)]
    public string? Cpu { get; set; }

    [YamlField("memory", Description = "Memory limit in bytes or with a suffix Ki, Mi, Gi, Ti (binary) or k, M, G, T (decimal): 256Mi, 1Gi", Pattern = Quantities.SizePattern)]
    public string? Memory { get; set; }

    public YamlLocation? Location { get; set; }
}

public sealed class HealthCheckSpec : IYamlLocated
{
    [YamlField("http", Description = "Healthy when GET path on port answers 2xx")]
    public HttpCheckSpec? Http { get; set; }

    [YamlField("command", Description = "Healthy when this command (program and arguments) exits 0 inside the container")]
    public List<string>? Command { get; set; }

    [YamlField("startPeriod", Description = "Grace time before failures count: a duration such as 500ms, 5s, 1m", Pattern = Quantities.DurationPattern)]
    public string? StartPeriod { get; set; }

    [YamlField("interval", Description = "Time between checks: a duration such as 2s", Pattern = Quantities.DurationPattern)]
    public string? Interval { get; set; }

    [YamlField("startInterval", Description = "Time between checks during startPeriod, so a quick start is seen quickly (container hosts; Docker's start_interval): a duration such as 250ms; default: interval", Pattern = Quantities.DurationPattern)]
    public string? StartInterval { get; set; }

    [YamlField("timeout", Description = "Time one check may take: a duration such as 2s", Pattern = Quantities.DurationPattern)]
    public string? Timeout { get; set; }

    [YamlField("threshold", Description = "Consecutive failures that mean unhealthy", Minimum = 1, Maximum = 100)]
    public int? Threshold { get; set; }

    public YamlLocation? Location { get; set; }
}

public sealed class HttpCheckSpec
{
    [YamlField("path", Required = true, Description = "HTTP path, starting with /", Pattern = AppSpecPatterns.HttpPath)]
    public string Path { get; set; } = "/";

    [YamlField("port", Description = "Container port; default: the app's first port", Minimum = 1, Maximum = 65535)]
    public int? Port { get; set; }
}

public sealed class VolumeSpec : IYamlLocated
{
    [YamlField("name", Required = true, Description = "Volume name (RFC 1123 label), unique in the app", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("mountPath", Required = true, Description = "Absolute path in the container", Pattern = AppSpecPatterns.AbsolutePath)]
    public string MountPath { get; set; } = string.Empty;

    [YamlField("size", Description = "Size such as 1Gi; default unbounded", Pattern = Quantities.SizePattern)]
    public string? Size { get; set; }

    public YamlLocation? Location { get; set; }
}

public sealed class MigrationSpec : IYamlLocated
{
    [YamlField("command", Required = true, Description = "Program and arguments, run in a container of the new image")]
    public List<string> Command { get; set; } = [];

    [YamlField("dataService", Description = "The environment's data service (its data section) the migration changes: Deploy-App backs up its databases before the migration runs", Pattern = Validation.Rfc1123LabelPattern)]
    public string? DataService { get; set; }

    public YamlLocation? Location { get; set; }
}

/// <summary>What one environment changes; unset fields keep the app's own values.</summary>
public sealed class AppOverrideSpec : IYamlLocated
{
    [YamlField("replicas", Description = "Instances in this environment", Minimum = 0, Maximum = 1000)]
    public int? Replicas { get; set; }

    [YamlField("resources", Description = "Limits in this environment (each of cpu, memory replaces the app's own)")]
    public ResourcesSpec? Resources { get; set; }

    [YamlField("hosts", Description = "Host names in this environment (replace the app's own)", Pattern = AppSpecPatterns.HostName)]
    public List<string>? Hosts { get; set; }

    [YamlField("image", Description = "Image in this environment (a tag or a digest)", Pattern = Validation.ImagePattern)]
    public string? Image { get; set; }

    public YamlLocation? Location { get; set; }
}

public static class AppSpecPatterns
{
    /// <summary>POSIX environment variable name: a letter or '_', then letters, digits and '_'.</summary>
    public const string EnvName = "^[A-Za-z_][A-Za-z0-9_]{0,254}$";

    /// <summary>DNS host name, optionally with a leading wildcard label (*.example.com).</summary>
    public const string HostName = @"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

    /// <summary>Absolute path without '..' segments, control characters, quotes or spaces.</summary>
    public const string AbsolutePath = @"^(?!.*/\.\.(/|$))/[A-Za-z0-9._/@+=-]{0,4095}$";

    /// <summary>HTTP path: '/' then URL path characters.</summary>
    public const string HttpPath = @"^/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,2047}$";
}
