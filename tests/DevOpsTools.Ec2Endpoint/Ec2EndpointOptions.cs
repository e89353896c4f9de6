namespace DevOpsTools.Ec2Endpoint;

/// <summary>How requests are authenticated.</summary>
public enum AuthMode
{
    /// <summary>A SigV4 Authorization header with a well-formed credential scope must be present (any key).</summary>
    Presence,

    /// <summary>As <see cref="Presence"/>, and the signature must verify with the configured key pair.</summary>
    Signature,
}

/// <summary>What stands behind instances.</summary>
public enum BackingMode
{
    /// <summary>Instances exist only in memory.</summary>
    Simulated,

    /// <summary>Each instance is a rootful Podman container with sshd on 127.0.0.N:22.</summary>
    Podman,
}

/// <summary>Settings of an <see cref="Ec2Endpoint"/>.</summary>
public sealed class Ec2EndpointOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>How long an instance stays pending before it is running.</summary>
    public TimeSpan PendingDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a running instance's status checks stay "initializing" before "ok".</summary>
    public TimeSpan StatusOkDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a terminating instance stays shutting-down before terminated.</summary>
    public TimeSpan TerminateDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a terminated instance stays visible to Describe calls (real EC2: about an hour).</summary>
    public TimeSpan TerminatedVisibleDuration { get; set; } = TimeSpan.FromHours(1);

    public AuthMode Auth { get; set; } = AuthMode.Presence;

    /// <summary>The access key accepted in <see cref="AuthMode.Signature"/> mode.</summary>
    public string AccessKeyId { get; set; } = "AKIDEXAMPLE";

    /// <summary>The secret used to verify signatures in <see cref="AuthMode.Signature"/> mode. Never logged.</summary>
    public string SecretAccessKey { get; set; } = "secret";

    public string AccountId { get; set; } = "111122223333";

    public string Region { get; set; } = "us-east-1";

    /// <summary>The most instances that may be not yet terminating at once (InstanceLimitExceeded beyond).</summary>
    public int MaxInstances { get; set; } = 20;

    public BackingMode Backing { get; set; } = BackingMode.Simulated;

    /// <summary>The container image for <see cref="BackingMode.Podman"/>.</summary>
    public string? BackingImage { get; set; }

    public string PodmanPath { get; set; } = "podman";

    /// <summary>
    /// Also accept ImportKeyPair's PublicKeyMaterial as a raw OpenSSH key line. Real EC2 wants the key file
    /// base64-encoded (AWSSDK.EC2 v4 sends the string as given, so callers must encode it); off by default.
    /// </summary>
    public bool AcceptRawPublicKeyMaterial { get; set; }

    /// <summary>
    /// Simulated backing: listen on each instance's SSH address (127.100.x.y:22) and record every TCP
    /// connection made to it (<see cref="Ec2Endpoint.GuestConnections"/>); the connection is closed at once.
    /// </summary>
    public bool RecordGuestConnections { get; set; }

    /// <summary>Simulated backing: the console output shows cloud-init's SSH host key block (off: a console without host keys).</summary>
    public bool ConsoleHostKeys { get; set; } = true;

    /// <summary>Log each request (action, status, error code) to <see cref="Log"/>.</summary>
    public bool Verbose { get; set; }

    /// <summary>Where diagnostics go (stderr by default).</summary>
    public TextWriter Log { get; set; } = Console.Error;

    /// <summary>The clock for state transitions (tests may substitute a manual one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
