using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Kubernetes;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.KubeEndpoint;
using k8s;

namespace DevOpsTools.Engine.Tests.Deploy.Kubernetes;

/// <summary>
/// One in-process KubeEndpoint per test class (short simulated delays), reached only through a
/// kubeconfig file as the cmdlets reach a cluster. Each test deploys to its own environment,
/// so to its own namespace.
/// </summary>
public sealed class KubeFixture : IAsyncLifetime
{
    public const string Token = "engine-tests-token-42";

    public KubeEndpoint.KubeEndpoint Endpoint { get; private set; } = null!;

    public string Directory { get; } = ScratchDirectory.Create("k8s-target-tests", create: false).Path;

    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    /// <summary>A client of the tests' own, to look at what the target applied.</summary>
    public k8s.Kubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Endpoint = new KubeEndpoint.KubeEndpoint(new KubeEndpointOptions
        {
            Token = Token,
            PodReadyDelay = TimeSpan.FromMilliseconds(300),
            CrashBackoff = TimeSpan.FromMilliseconds(300),
            JobRunDuration = TimeSpan.FromMilliseconds(300),
            BookmarkInterval = TimeSpan.FromMilliseconds(500),
            ControllerInterval = TimeSpan.FromMilliseconds(50),
        });
        await Endpoint.StartAsync();
        await File.WriteAllTextAsync(KubeconfigPath, Endpoint.Kubeconfig());
        Client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Endpoint.DisposeAsync();
        ScratchDirectory.Delete(Directory);
    }

    public static string NewEnvironment() => "k-" + Guid.NewGuid().ToString("N")[..10];

    public KubernetesTargetFactory Factory(string? path = null, Func<string, string?>? secrets = null) =>
        secrets is null
            ? KubernetesTargetFactory.FromKubeconfig(path ?? KubeconfigPath, null, environment: _ => null)
            : new KubernetesTargetFactory(KubernetesClientConfiguration.BuildConfigFromConfigFile(path ?? KubeconfigPath), "kube-endpoint", secrets: new SecretResolver(secrets));

    /// <summary>A kubeconfig like the endpoint's with one text replaced (a wrong token, another server).</summary>
    public string KubeconfigWith(string find, string replace)
    {
        var path = Path.Combine(Directory, "kubeconfig-" + Guid.NewGuid().ToString("N")[..6]);
        var text = File.ReadAllText(KubeconfigPath);
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));
        return path;
    }

    public static ResolvedApp App(string environment, string image, int replicas = 1) => new()
    {
        Name = "hello",
        Environment = environment,
        Image = image,
        Replicas = replicas,
        Ports = [new AppPort("http", 8080)],
        Variables = new Dictionary<string, string> { ["GREETING"] = "hi" },
        HealthCheck = new AppHealthCheck { HttpPath = "/healthz", StartPeriod = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), Threshold = 3 },
        Resources = new AppResources(0.5m, 128L << 20),
        Volumes = [new AppVolume("hello-data", "/data", 1L << 30)],
    };

    public static DeployOptions Options(int timeoutSeconds = 30) => new() { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };

    public static EngineContext Context(RecordingSink? sink = null, CancellationToken token = default) => new(sink ?? new RecordingSink(), token);
}
