using Amazon.EC2;
using Amazon.Runtime;

namespace DevOpsTools.Ec2Endpoint.Tests;

/// <summary>A clock the tests move by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly object _gate = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }
}

/// <summary>An in-process endpoint plus a real AmazonEC2Client pointed at it.</summary>
public sealed class Harness : IAsyncDisposable
{
    private Harness(Ec2Endpoint endpoint, AmazonEC2Client client, ManualClock clock)
    {
        Endpoint = endpoint;
        Client = client;
        Clock = clock;
    }

    public Ec2Endpoint Endpoint { get; }

    public AmazonEC2Client Client { get; }

    public ManualClock Clock { get; }

    public static async Task<Harness> StartAsync(Action<Ec2EndpointOptions>? configure = null, int maxErrorRetry = 0, AWSCredentials? credentials = null)
    {
        var clock = new ManualClock();
        var options = new Ec2EndpointOptions
        {
            TimeProvider = clock,
            PendingDuration = TimeSpan.FromSeconds(2),
            StatusOkDuration = TimeSpan.FromSeconds(3),
            TerminateDuration = TimeSpan.FromSeconds(1),
            Auth = AuthMode.Signature,
        };
        configure?.Invoke(options);
        var endpoint = new Ec2Endpoint(options);
        await endpoint.StartAsync();
        var client = NewClient(endpoint.BaseUri, maxErrorRetry, credentials);
        return new Harness(endpoint, client, clock);
    }

    public static AmazonEC2Client NewClient(Uri serviceUrl, int maxErrorRetry = 0, AWSCredentials? credentials = null)
    {
        var config = new AmazonEC2Config
        {
            ServiceURL = serviceUrl.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = maxErrorRetry,
            Timeout = TimeSpan.FromSeconds(30),
        };
        return new AmazonEC2Client(credentials ?? new BasicAWSCredentials("AKIDEXAMPLE", "secret"), config);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Endpoint.DisposeAsync();
    }
}
