using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;
using k8s;
using k8s.Exceptions;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// The Kubernetes targets of one cmdlet call: one client for the cluster that a kubeconfig's
/// context names (-KubeConfig, else KUBECONFIG, else the in-cluster service account, else
/// ~/.kube/config), and one target per environment's namespace. Disposing it closes the client.
/// </summary>
public sealed class KubernetesTargetFactory : IDeployTargetFactory
{
    private readonly k8s.Kubernetes _client;
    private readonly string? _namespacePrefix;
    private readonly SecretResolver? _secrets;

    public KubernetesTargetFactory(KubernetesClientConfiguration configuration, string contextName, string? namespacePrefix = null, SecretResolver? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _client = new k8s.Kubernetes(configuration);
        ContextName = contextName;
        Server = configuration.Host;
        _namespacePrefix = namespacePrefix;
        _secrets = secrets;
    }

    /// <summary>The kubeconfig context in use ("in-cluster" for a pod's service account).</summary>
    public string ContextName { get; }

    public string Server { get; }

    /// <summary>Reads the cluster's configuration: <paramref name="kubeconfigPath"/>, KUBECONFIG, the in-cluster account, or ~/.kube/config.</summary>
    /// <param name="inCluster">Use the pod's service account (KUBERNETES_SERVICE_HOST and its token) and no kubeconfig at all.</param>
    public static KubernetesTargetFactory FromKubeconfig(string? kubeconfigPath, string? context, string? namespacePrefix = null, Func<string, string?>? environment = null, bool inCluster = false)
    {
        environment ??= System.Environment.GetEnvironmentVariable;
        if (inCluster)
        {
            if (kubeconfigPath is not null || context is not null)
            {
                throw Invalid("-InCluster uses the pod's service account: it excludes -KubeConfig and -Context.", "InCluster", null);
            }

            if (!KubernetesClientConfiguration.IsInCluster())
            {
                throw Invalid("-InCluster needs to run inside a Kubernetes pod (KUBERNETES_SERVICE_HOST and the service account token under /var/run/secrets/kubernetes.io/serviceaccount); this process is not in one.", "InCluster", null);
            }

            return new KubernetesTargetFactory(KubernetesClientConfiguration.InClusterConfig(), "in-cluster", namespacePrefix);
        }

        var path = kubeconfigPath ?? FirstKubeconfig(environment("KUBECONFIG"));
        if (path is null && KubernetesClientConfiguration.IsInCluster())
        {
            if (context is not null)
            {
                throw Invalid($"-Context {context} needs a kubeconfig: inside a pod without one only the service account's in-cluster configuration exists.", context, null);
            }

            return new KubernetesTargetFactory(KubernetesClientConfiguration.InClusterConfig(), "in-cluster", namespacePrefix);
        }

        path ??= Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (!File.Exists(path))
        {
            throw Invalid($"No kubeconfig at {path}: give -KubeConfig <path>, set KUBECONFIG, or run inside the cluster.", path, null);
        }

        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, currentContext: context);
            return new KubernetesTargetFactory(configuration, configuration.CurrentContext ?? context ?? "default", namespacePrefix);
        }
        catch (KubeConfigException ex)
        {
            throw Invalid($"The kubeconfig {path} cannot be used{(context is null ? string.Empty : $" with context '{context}'")}: {ex.Message}", path, ex);
        }
    }

    /// <summary>The context names of a kubeconfig (for -Context completion); empty when it cannot be read.</summary>
    public static IReadOnlyList<string> ContextsOf(string? kubeconfigPath, Func<string, string?>? environment = null)
    {
        environment ??= System.Environment.GetEnvironmentVariable;
        var path = kubeconfigPath ?? FirstKubeconfig(environment("KUBECONFIG"))
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".kube", "config");
        try
        {
            return File.Exists(path)
                ? KubernetesClientConfiguration.LoadKubeConfig(path).Contexts?.Select(c => c.Name).Where(n => !string.IsNullOrEmpty(n)).ToList() ?? []
                : [];
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException or YamlDotNet.Core.YamlException)
        {
            return [];
        }
    }

    public IDeployTarget ForCluster(string environment) => new KubernetesTarget(_client, ContextName, Server, environment, _namespacePrefix, _secrets);

    public IDeployTarget ForThisMachine() => throw new NotSupportedException("A Kubernetes factory deploys to a cluster (ForCluster), not to this machine.");

    public IDeployTarget ForServer(Server server) => throw new NotSupportedException("A Kubernetes factory deploys to a cluster (ForCluster), not to servers.");

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string? FirstKubeconfig(string? variable) =>
        string.IsNullOrEmpty(variable) ? null : variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);

    private static DevOpsToolsException Invalid(string message, object target, Exception? inner) =>
        new(ErrorIds.KubernetesConfigInvalid, ErrorKind.InvalidArgument, message, target, inner)
        {
            RecommendedAction = "Point -KubeConfig at a readable kubeconfig and pick one of its contexts with -Context (kubectl config get-contexts).",
        };
}
