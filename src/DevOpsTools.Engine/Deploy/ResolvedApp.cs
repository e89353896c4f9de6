namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// An app as one target deploys it: the spec with one environment's overrides applied and
/// every value validated. Targets (container hosts, Kubernetes) take only this, never YAML,
/// so a new target plugs in without touching the spec loader. Secret values are not here:
/// only their references, resolved by <see cref="SecretReference"/> at the last moment.
/// </summary>
public sealed record ResolvedApp
{
    /// <summary>RFC 1123 label: names units, containers, proxy back ends and state files.</summary>
    public required string Name { get; init; }

    /// <summary>The environment this resolution is for (test, preprod, prod).</summary>
    public required string Environment { get; init; }

    /// <summary>Image reference as written or overridden (-Image): a tag or a digest.</summary>
    public required string Image { get; init; }

    /// <summary>
    /// Exactly the content to run ("sha256:..." as Deployment.ImageDigest reports it), set by
    /// promotion: the target runs this digest and never re-resolves <see cref="Image"/>, which
    /// then only says what it was deployed as.
    /// </summary>
    public string? ImageDigest { get; init; }

    public int Replicas { get; init; } = 1;

    /// <summary>Ports the app listens on; the first is the one the proxy and the health check use unless they name another.</summary>
    public IReadOnlyList<AppPort> Ports { get; init; } = [];

    /// <summary>Plain environment variables (not secret; they may appear in diffs).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>Secret environment variables by reference; their values never reach output, logs, errors or diffs.</summary>
    public IReadOnlyList<SecretReference> Secrets { get; init; } = [];

    public IReadOnlyList<AppConfigFile> ConfigFiles { get; init; } = [];

    public AppResources Resources { get; init; } = new();

    public AppHealthCheck? HealthCheck { get; init; }

    public IReadOnlyList<AppVolume> Volumes { get; init; } = [];

    /// <summary>Runs once per deploy in a container of the new image before any instance switches (schema migrations).</summary>
    public IReadOnlyList<string>? MigrationCommand { get; init; }

    /// <summary>The data service (of the environment's data section) the migration changes: backed up before it runs.</summary>
    public string? MigrationDataService { get; init; }

    /// <summary>Host names the app answers to (proxy/ingress rules); empty means any.</summary>
    public IReadOnlyList<string> HostNames { get; init; } = [];

    /// <summary>Server roles or names that run it on container-host targets (empty: every server given).</summary>
    public IReadOnlyList<string> Servers { get; init; } = [];

    /// <summary>Where it was declared, for errors ("app.yaml:3:5").</summary>
    public string? Source { get; init; }
}

/// <summary>A port the app listens on. PublicPort is the port users reach (the reverse proxy's listener); 0 lets the target choose.</summary>
public sealed record AppPort(string Name, int ContainerPort, int PublicPort = 0, string Protocol = "http");

/// <summary>
/// A secret environment variable, by reference: FromEnvironment (a variable of the deploying
/// process), FromFile (a 0600 file's content) or FromKubernetesSecret ("name/key"). Exactly one is set.
/// ToString never shows a value.
/// </summary>
public sealed record SecretReference
{
    /// <summary>The variable the app sees.</summary>
    public required string Name { get; init; }

    public string? FromEnvironment { get; init; }

    public string? FromFile { get; init; }

    public string? FromKubernetesSecret { get; init; }

    public override string ToString() => FromEnvironment is not null ? $"{Name} (from env {FromEnvironment})"
        : FromFile is not null ? $"{Name} (from file {FromFile})"
        : $"{Name} (from secret {FromKubernetesSecret})";
}

/// <summary>A file placed into the container at Path, read-only; Content is not secret (use secrets for those).</summary>
public sealed record AppConfigFile(string Path, string Content, string Mode = "0644");

/// <summary>Limits; null means the target's default. Cpu in cores ("0.5"), Memory in bytes.</summary>
public sealed record AppResources(decimal? Cpu = null, long? MemoryBytes = null);

/// <summary>
/// Ready when HttpPath on Port answers 2xx, or Command exits 0 inside the container;
/// Threshold consecutive failures after StartPeriod mean unhealthy.
/// </summary>
public sealed record AppHealthCheck
{
    public string? HttpPath { get; init; }

    /// <summary>Container port of the HTTP check; 0 means the app's first port.</summary>
    public int Port { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public TimeSpan StartPeriod { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between checks during StartPeriod; null means Interval.</summary>
    public TimeSpan? StartInterval { get; init; }

    public int Threshold { get; init; } = 3;
}

/// <summary>A named volume that outlives revisions (data written by v1 is there for v2). SizeBytes null means unbounded.</summary>
public sealed record AppVolume(string Name, string MountPath, long? SizeBytes = null);
