using System.Collections.Concurrent;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using DevOpsTools.Ec2Endpoint;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>
/// The local EC2 endpoint in-process, with short state timings, plus a provider whose client is
/// the real AWSSDK.EC2 client pointed at it (explicit test credentials: no machine state read).
/// </summary>
public sealed class AwsTestHost : IAsyncDisposable
{
    public const string Cidr = "203.0.113.0/24";

    private AwsTestHost(Ec2Endpoint.Ec2Endpoint endpoint, string root)
    {
        Endpoint = endpoint;
        Root = root;
        Client = NewClient(endpoint.BaseUri);
    }

    public Ec2Endpoint.Ec2Endpoint Endpoint { get; }

    /// <summary>A separate client for the tests' own checks (not through the provider).</summary>
    public AmazonEC2Client Client { get; }

    public string Root { get; }

    public ModuleData Data => new(Root);

    public RecordingSink Output { get; } = new();

    public static async Task<AwsTestHost> StartAsync(Action<Ec2EndpointOptions>? configure = null)
    {
        var options = new Ec2EndpointOptions
        {
            PendingDuration = TimeSpan.FromMilliseconds(300),
            StatusOkDuration = TimeSpan.FromMilliseconds(300),
            TerminateDuration = TimeSpan.FromMilliseconds(200),
            Auth = AuthMode.Signature,
            Log = TextWriter.Null,
        };
        configure?.Invoke(options);
        var endpoint = new Ec2Endpoint.Ec2Endpoint(options);
        await endpoint.StartAsync();
        var root = ScratchDirectory.Create("dot-aws", create: false).Path;
        return new AwsTestHost(endpoint, root);
    }

    public static AmazonEC2Client NewClient(Uri serviceUrl) =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonEC2Config
        {
            ServiceURL = serviceUrl.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(30),
        });

    public AwsSettings Settings(params string[] allowSshFrom) => new()
    {
        EndpointUrl = Endpoint.BaseUri.ToString(),
        Region = "us-east-1",
        AllowSshFrom = allowSshFrom.Length == 0 ? [Cidr] : [.. allowSshFrom],
    };

    public AwsServerProvider Provider(AwsSettings? settings = null, AwsRetryPolicy? retry = null) =>
        new(settings ?? Settings(), s => NewClient(new Uri(s.EndpointUrl!)), Data)
        {
            PollInterval = TimeSpan.FromMilliseconds(50),
            RetryPolicy = retry ?? new AwsRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
            EnvironmentRemovalTimeout = TimeSpan.FromSeconds(10),
        };

    public EnvironmentContext Environment(string name = "test")
    {
        var (privateKey, publicKey) = new SshKeyStore(Data).GetOrCreate(name);
        return new EnvironmentContext { Name = name, PrivateKeyPath = privateKey, PublicKey = publicKey };
    }

    public static ServerCreateRequest Request(string name, string environment = "test", string size = "small", string? image = null) =>
        new(name, environment, size, image, "web", new Dictionary<string, string> { ["team"] = "ops" });

    public IReadOnlyList<RecordedRequest> Requests(string action) => Endpoint.Requests.Where(r => r.Action == action).ToList();

    /// <summary>Every parameter value the endpoint received, of every request.</summary>
    public IEnumerable<string> AllParameterValues => Endpoint.Requests.SelectMany(r => r.Parameters).Select(p => p.Value);

    public async Task<List<Instance>> InstancesAsync()
    {
        var response = await Client.DescribeInstancesAsync(new DescribeInstancesRequest());
        return (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Endpoint.DisposeAsync();
        ScratchDirectory.Delete(Root);
    }
}
