using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>
/// One endpoint per test class, hosted in-process with short simulated delays, reached through a
/// kubeconfig file like any cluster. Each test works in its own namespace.
/// </summary>
public sealed class EndpointFixture : IAsyncLifetime
{
    public const string Token = "test-token-0123456789";

    public KubeEndpoint Endpoint { get; private set; } = null!;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "kube-endpoint-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    public Kubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Endpoint = new KubeEndpoint(new KubeEndpointOptions
        {
            Token = Token,
            PodReadyDelay = TimeSpan.FromMilliseconds(300),
            CrashBackoff = TimeSpan.FromMilliseconds(300),
            JobRunDuration = TimeSpan.FromMilliseconds(300),
            BookmarkInterval = TimeSpan.FromMilliseconds(300),
            ControllerInterval = TimeSpan.FromMilliseconds(50),
        });
        await Endpoint.StartAsync();
        await File.WriteAllTextAsync(KubeconfigPath, Endpoint.Kubeconfig());
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await Endpoint.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A raw HTTP client that trusts the endpoint's certificate, for what the typed client hides (status codes, stream lines).</summary>
    public HttpClient RawClient(string? token = Token)
    {
        var pem = Endpoint.CertificatePem!;
        var trusted = X509Certificate2.CreateFromPem(pem);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.RawData.AsSpan().SequenceEqual(trusted.RawData),
        };
        var http = new HttpClient(handler) { BaseAddress = Endpoint.BaseUri };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public async Task<string> NewNamespaceAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..10];
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }
}

public static class Wait
{
    /// <summary>Polls until <paramref name="check"/> holds; fails the test with <paramref name="what"/> after the time-out.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> read, Func<T, bool> check, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        T last = await read();
        while (!check(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {seconds} s waiting for {what}");
            }

            await Task.Delay(50);
            last = await read();
        }

        return last;
    }

    public static async Task<HttpOperationException> FailureAsync(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<HttpOperationException>(call);
        return ex;
    }
}

public static class Objects
{
    public static V1Deployment Deployment(string name, string image, int replicas = 3, int? progressDeadline = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            ProgressDeadlineSeconds = progressDeadline,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = image, Ports = [new V1ContainerPort { ContainerPort = 8080 }] }] },
            },
        },
    };

    public static V1ConfigMap ConfigMap(string name, Dictionary<string, string>? labels = null, string value = "v") => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = new Dictionary<string, string> { ["key"] = value },
    };
}
