using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Platform;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>What one probe run asks of every target: how much load, how fast, and what counts as a success.</summary>
public sealed class ProbeSettings
{
    /// <summary>Stop after this many requests (the default when neither this nor Duration is set: 100).</summary>
    public int? Requests { get; init; }

    /// <summary>Stop sending once this much time has passed since the first request.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Requests in flight at once (and pooled connections per target).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// Requests per second for an open model: request i is due at start + i/Rate and its latency
    /// counts from that moment, so a slow server cannot hold back the load and hide its queueing
    /// (no coordinated omission). Null: a closed model, each worker sends as soon as its previous request ends.
    /// </summary>
    public double? Rate { get; init; }

    /// <summary>One request's limit, connect included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP: the lowest status that is a success.</summary>
    public int MinStatus { get; init; } = 200;

    /// <summary>HTTP: the highest status that is a success (redirects are not followed, so 3xx fail by default).</summary>
    public int MaxStatus { get; init; } = 299;

    /// <summary>HTTP: a success's body must contain this (ordinal); null: the body is read and discarded.</summary>
    public string? BodyContains { get; init; }

    /// <summary>The p99 of successes must be at most this, else the service is Degraded; null: no latency objective.</summary>
    public TimeSpan? LatencyObjective { get; init; }

    /// <summary>The largest error rate a Healthy service may have (0.01: 1 %).</summary>
    public double MaxErrorRate { get; init; } = 0.01;

    public const int DefaultRequests = 100;

    /// <summary>Checks the values a caller outside the cmdlet (a script of the engine, a test) may get wrong.</summary>
    public void Validate()
    {
        if (Requests is <= 0)
        {
            throw Invalid("Requests", $"Requests must be at least 1 (got {Requests}).");
        }

        if (Duration is { } d && d <= TimeSpan.Zero)
        {
            throw Invalid("Duration", $"Duration must be positive (got {d}).");
        }

        if (Concurrency < 1)
        {
            throw Invalid("Concurrency", $"Concurrency must be at least 1 (got {Concurrency}).");
        }

        if (Rate is { } r && (r <= 0 || double.IsNaN(r) || double.IsInfinity(r)))
        {
            throw Invalid("Rate", $"Rate must be a positive number of requests per second (got {r}).");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw Invalid("Timeout", $"Timeout must be positive (got {Timeout}).");
        }

        if (MinStatus < 100 || MaxStatus > 599 || MinStatus > MaxStatus)
        {
            throw Invalid("Status", $"The success status range {MinStatus}-{MaxStatus} is not within 100-599.");
        }

        if (MaxErrorRate is < 0 or > 1)
        {
            throw Invalid("MaxErrorRate", $"MaxErrorRate must be between 0 and 1 (got {MaxErrorRate}).");
        }
    }

    private static DevOpsToolsException Invalid(string name, string message) =>
        new(ErrorIds.ProbeSettingsInvalid, ErrorKind.InvalidArgument, message, name);
}

/// <summary>What a probe connects to.</summary>
public enum ProbeKind
{
    Http,
    Tcp,
}

/// <summary>One service endpoint to probe, with the names its ServiceStats carries.</summary>
public sealed class ProbeTarget
{
    private ProbeTarget(Uri uri, ProbeKind kind, string service, string? environment)
    {
        Uri = uri;
        Kind = kind;
        Service = service;
        Environment = environment;
    }

    public Uri Uri { get; }

    public ProbeKind Kind { get; }

    public string Service { get; }

    public string? Environment { get; }

    /// <summary>The SLOs the service is held to (an environment's for its app, or the cmdlet's -Objective).</summary>
    public IReadOnlyList<ServiceLevelObjective> Slos { get; private init; } = [];

    /// <summary>What the deployment's platform said about it, read before the probe; null for a URL or a server.</summary>
    public PlatformFigures? Platform { get; private init; }

    /// <summary>This target held to these SLOs.</summary>
    public ProbeTarget WithSlos(IEnumerable<ServiceLevelObjective> slos) =>
        new(Uri, Kind, Service, Environment) { Slos = slos.ToArray(), Platform = Platform };

    /// <summary>This target with its deployment's platform figures (ServiceStats shows them, and they weigh on its status).</summary>
    public ProbeTarget WithPlatform(PlatformFigures? platform) =>
        new(Uri, Kind, Service, Environment) { Slos = Slos, Platform = platform };

    /// <summary>The URL as shown in ServiceStats.Target.</summary>
    public string Display => Kind == ProbeKind.Tcp ? $"tcp://{Uri.Authority}" : Uri.AbsoluteUri;

    /// <summary>
    /// Parses http://, https:// or tcp://host:port. The service name defaults to host:port, so
    /// URLs given alone still come out one row per service.
    /// </summary>
    public static ProbeTarget Parse(string url, string? service = null, string? environment = null)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new DevOpsToolsException(ErrorIds.ProbeUrlInvalid, ErrorKind.InvalidArgument,
                $"'{url}' is not an absolute http://, https:// or tcp://host:port URL.", url)
            { RecommendedAction = "Give a URL such as http://127.0.0.1:8080/healthz or tcp://127.0.0.1:5432." };
        }

        var kind = uri.Scheme switch
        {
            "http" or "https" => ProbeKind.Http,
            "tcp" => ProbeKind.Tcp,
            _ => throw new DevOpsToolsException(ErrorIds.ProbeUrlInvalid, ErrorKind.InvalidArgument,
                $"'{url}' has scheme '{uri.Scheme}'; Get-ServiceStats probes http, https and tcp.", url),
        };

        if (kind == ProbeKind.Tcp && (uri.IsDefaultPort || uri.Port <= 0))
        {
            throw new DevOpsToolsException(ErrorIds.ProbeUrlInvalid, ErrorKind.InvalidArgument,
                $"'{url}' names no port; a TCP probe needs tcp://host:port.", url);
        }

        return new ProbeTarget(uri, kind, string.IsNullOrWhiteSpace(service) ? uri.Authority : service, environment);
    }

    /// <summary>An app endpoint of a deployment: HTTP(S) ones are probed at their health path when they have one.</summary>
    public static ProbeTarget FromEndpoint(AppEndpoint endpoint, string? service, string? environment, string? path = null)
    {
        var url = endpoint.Url;
        var http = endpoint.Protocol is "http" or "https";
        var suffix = path ?? endpoint.HealthPath;
        if (http && !string.IsNullOrEmpty(suffix))
        {
            url = url.TrimEnd('/') + "/" + suffix.TrimStart('/');
        }

        return Parse(url, service, environment);
    }

    /// <summary>
    /// A server's declared port, as reached from this machine. Its protocol is not declared, so it
    /// is probed as TCP (connect time) unless a path is given, which makes it an HTTP GET there.
    /// The service is "server:port" so each declared port comes out as its own row.
    /// </summary>
    public static ProbeTarget FromServerEndpoint(ServerEndpoint endpoint, string? server, string? environment, string? path = null)
    {
        var url = path is null ? $"tcp://{endpoint}" : $"http://{endpoint}/{path.TrimStart('/')}";
        return Parse(url, server is null ? null : $"{server}:{endpoint.Port}", environment);
    }
}
