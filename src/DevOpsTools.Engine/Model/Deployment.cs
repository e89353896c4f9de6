namespace DevOpsTools;

/// <summary>Where a deployment stands. Healthy is the only state that serves the new revision as asked.</summary>
public enum DeploymentStatus
{
    /// <summary>Accepted, not started (or -WhatIf: what would be applied).</summary>
    Pending,

    /// <summary>Rolling out: new instances starting or waiting for their health checks.</summary>
    Progressing,

    /// <summary>Every desired instance of the new revision is ready and receives traffic.</summary>
    Healthy,

    /// <summary>Serving, but fewer ready instances than desired (a batch or a replica is down).</summary>
    Degraded,

    /// <summary>The rollout failed and was not rolled back (-NoRollback), or the rollback failed too.</summary>
    Failed,

    /// <summary>The rollout failed and the previous revision was restored and serves again; RollbackReason says why.</summary>
    RolledBack,

    /// <summary>Remove-App took it away.</summary>
    Removed,
}

/// <summary>
/// One address that reaches an app from this machine (the reverse proxy's public port on a
/// container host, a forwarded or node port, an ingress host). Monitoring probes these.
/// </summary>
public sealed class AppEndpoint
{
    /// <summary>The app port's name in the spec ("http" when the spec names none).</summary>
    public string Name { get; init; } = "http";

    /// <summary>http, https or tcp.</summary>
    public string Protocol { get; init; } = "http";

    /// <summary>Host name or IP address to connect to from this machine.</summary>
    public required string Address { get; init; }

    /// <summary>Port to connect to from this machine.</summary>
    public required int Port { get; init; }

    /// <summary>The app's health check path, when it has an HTTP one ("/healthz").</summary>
    public string? HealthPath { get; init; }

    /// <summary>"http://127.0.0.1:41234/" for HTTP(S) endpoints; "tcp://host:port" otherwise.</summary>
    public string Url => Protocol is "http" or "https"
        ? $"{Protocol}://{(Address.Contains(':') ? $"[{Address}]" : Address)}:{Port}/"
        : $"tcp://{Address}:{Port}";

    public override string ToString() => Url;
}

/// <summary>One revision of an app on a target, newest first in Deployment.History.</summary>
public sealed class DeploymentRevision
{
    public required int Revision { get; init; }

    /// <summary>The image as the spec or -Image named it.</summary>
    public required string Image { get; init; }

    /// <summary>The content digest that ran ("sha256:..."); promotion deploys exactly this.</summary>
    public string? ImageDigest { get; init; }

    public DeploymentStatus Status { get; init; }

    public DateTimeOffset DeployedAt { get; init; }

    /// <summary>Why this revision was rolled back or failed, in the words of the failing check.</summary>
    public string? Reason { get; init; }
}

/// <summary>A migration that succeeded, as recorded on the target next to the deployment state.</summary>
public sealed class AppMigration
{
    /// <summary>The image as the spec or -Image named it.</summary>
    public required string Image { get; init; }

    /// <summary>The content digest the migration ran with; with Command, what makes it the same migration.</summary>
    public required string ImageDigest { get; init; }

    /// <summary>Program and arguments.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public DateTimeOffset RanAt { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>The backups taken just before it ran (Get-AppBackup ids), when the app names a data service.</summary>
    public IReadOnlyList<string> Backups { get; init; } = [];

    /// <summary>Same image content and same command.</summary>
    public bool IsSame(string digest, IReadOnlyList<string> command) =>
        ImageDigest == digest && Command.SequenceEqual(command, StringComparer.Ordinal);

    public override string ToString() => $"{string.Join(' ', Command)} with {Image} at {RanAt:u}";
}

/// <summary>
/// The outcome of Deploy-App / Undo-AppDeployment on one target, and what Get-AppDeployment
/// reports. The same type for every target (container hosts, this machine, Kubernetes), so
/// `Deploy-App | Get-ServiceStats` and scripts work the same everywhere.
/// </summary>
public sealed class Deployment
{
    public required string App { get; init; }

    public required string Environment { get; init; }

    /// <summary>Local, Host or Kubernetes.</summary>
    public required string TargetKind { get; init; }

    /// <summary>Which one: "local", "test/web-1", "kind-dev/test" (context/namespace).</summary>
    public required string Target { get; init; }

    public int Revision { get; init; }

    /// <summary>The image as the spec or -Image named it.</summary>
    public required string Image { get; init; }

    /// <summary>
    /// The content digest of the image that runs ("sha256:..."), when known. On container hosts it
    /// is the image id (the digest of the image's configuration, which names its layers): the
    /// same on every host that holds exactly this image, through podman save/load or a registry,
    /// whereas a manifest digest is rewritten by each save. Instances run by it, not by the tag.
    /// </summary>
    public string? ImageDigest { get; init; }

    public DeploymentStatus Status { get; set; }

    public int ReplicasDesired { get; init; }

    public int ReplicasReady { get; init; }

    /// <summary>Where the app is reached from this machine.</summary>
    public IReadOnlyList<AppEndpoint> Endpoints { get; init; } = [];

    /// <summary>The container host it runs on (Host targets); null for this machine and Kubernetes.</summary>
    public Server? Server { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>True when this deploy failed and the previous revision was restored.</summary>
    public bool RolledBack { get; init; }

    /// <summary>Why it was rolled back: the failing health check's answer, the pod's reason, the migration's output.</summary>
    public string? RollbackReason { get; init; }

    /// <summary>Earlier revisions, newest first (Get-AppDeployment).</summary>
    public IReadOnlyList<DeploymentRevision> History { get; init; } = [];

    /// <summary>Migrations that succeeded on this target (container hosts), newest first: a deploy of the same image digest and command does not run one again.</summary>
    public IReadOnlyList<AppMigration> Migrations { get; init; } = [];

    public override string ToString() => $"{Environment}/{App}@{Target} rev {Revision} ({Status})";
}
