namespace DevOpsTools.KubeEndpoint;

/// <summary>Settings of one endpoint instance; the console program fills them from its arguments.</summary>
public sealed class KubeEndpointOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The bearer token every request must carry; anything else is 401.</summary>
    public string Token { get; set; } = "devopstools-test-token";

    /// <summary>How long a started container takes to pass its readiness probe.</summary>
    public TimeSpan PodReadyDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time between two restarts of a crashing container (real kubelets back off from 10 s to 5 min).</summary>
    public TimeSpan CrashBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a Job's pod runs before it succeeds.</summary>
    public TimeSpan JobRunDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Interval of BOOKMARK events on watches that allow them (a real API server sends one about every minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many past changes watches can resume from; an older resourceVersion is 410 Expired.</summary>
    public int WatchHistory { get; set; } = 10000;

    /// <summary>The controllers' tick.</summary>
    public TimeSpan ControllerInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Serve plain HTTP instead of HTTPS. client-go (and so kubectl) never sends a bearer token over
    /// plain HTTP, so the default is TLS with a self-signed certificate made at start-up.
    /// </summary>
    public bool PlainHttp { get; set; }

    /// <summary>Reported by /version.</summary>
    public string GitVersion { get; set; } = "v1.35.0";

    /// <summary>One stderr line per request.</summary>
    public bool Verbose { get; set; }
}
