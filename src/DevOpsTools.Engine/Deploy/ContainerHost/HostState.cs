using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// The app's state file on the host (DEPLOY_DIR/state.json, 0600): every revision with its image,
/// digest, ports and the run specification, so any machine can see, continue and undo a deployment.
/// No secret values are in it.
/// </summary>
public sealed class HostState
{
    public required string App { get; init; }

    public required string Environment { get; init; }

    /// <summary>The revision the proxy sends traffic to (0: none).</summary>
    public int Current { get; set; }

    public List<HostRevision> Revisions { get; init; } = [];

    /// <summary>The migrations that succeeded here, oldest first (a deploy of the same digest and command skips its migration).</summary>
    public List<AppMigration> Migrations { get; init; } = [];

    public HostRevision? Find(int revision) => Revisions.Find(r => r.Revision == revision);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static HostState? Parse(string text) =>
        string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<HostState>(text, Json);
}

public sealed class HostRevision
{
    public required int Revision { get; init; }

    public required RevisionSpec Spec { get; init; }

    public string? Digest { get; init; }

    public List<int> Ports { get; init; } = [];

    public List<string> Containers { get; init; } = [];

    public DeploymentStatus Status { get; set; }

    public DateTimeOffset DeployedAt { get; init; }

    public string? Reason { get; set; }
}

/// <summary>What one revision runs: everything Undo needs to start it again without the spec file.</summary>
public sealed record RevisionSpec
{
    public required string Image { get; init; }

    public int Replicas { get; init; } = 1;

    public int PublicPort { get; init; }

    public string PortName { get; init; } = "http";

    public SortedDictionary<string, string> Variables { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Names of the secret variables (values live only in the host's 0600 env file of the revision).</summary>
    public List<string> Secrets { get; init; } = [];

    /// <summary>name -> mount path.</summary>
    public SortedDictionary<string, string> Volumes { get; init; } = new(StringComparer.Ordinal);

    public decimal? Cpu { get; init; }

    public long? MemoryBytes { get; init; }

    public string HealthPath { get; init; } = "/healthz";

    public int StartPeriodSeconds { get; init; } = 5;

    public int IntervalSeconds { get; init; } = 2;

    /// <summary>Between checks during the start period, in milliseconds; 0 means IntervalSeconds.</summary>
    public int StartIntervalMilliseconds { get; init; }

    public int TimeoutSeconds { get; init; } = 2;

    public int Threshold { get; init; } = 3;

    /// <summary>Same run specification: the records' own equality compares the collections by reference, this by content.</summary>
    public bool SameAs(RevisionSpec other) =>
        this with { Variables = other.Variables, Volumes = other.Volumes, Secrets = other.Secrets } == other &&
        Variables.SequenceEqual(other.Variables) && Volumes.SequenceEqual(other.Volumes) && Secrets.SequenceEqual(other.Secrets, StringComparer.Ordinal);
}
