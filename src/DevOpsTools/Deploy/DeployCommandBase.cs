using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Commands.Servers;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Deploy.Kubernetes;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Deploy;

/// <summary>
/// What the app cmdlets share: the targets they act on (servers from the pipeline, -HostName
/// machines, this machine's Podman when none is given, or with -KubeConfig/-Context the
/// environment's namespace of a Kubernetes cluster), the environment, and the targets' factory.
/// </summary>
public abstract class DeployCommandBase : SshHostCmdletBase
{
    protected const string KubernetesSet = "Kubernetes";

    private readonly List<Server> _servers = [];
    private string? _environment;

    /// <summary>Container hosts (New-Server, Get-Server, Set-Hardening output); none means this machine.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
    [ValidateNotNull]
    public Server[]? Server { get; set; }

    /// <summary>The environment (test, preprod, prod); default: the servers' own.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string? Environment { get; set; }

    /// <summary>The kubeconfig of the cluster to deploy to (default: KUBECONFIG, else ~/.kube/config).</summary>
    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? KubeConfig { get; set; }

    /// <summary>The kubeconfig context to use (default: its current-context).</summary>
    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>Inside a pod: the service account's in-cluster configuration instead of a kubeconfig.</summary>
    [Parameter(ParameterSetName = KubernetesSet)]
    public SwitchParameter InCluster { get; set; }

    protected IReadOnlyList<Server> Servers => _servers;

    /// <summary>True in the Kubernetes parameter set (-KubeConfig, -Context or -InCluster given).</summary>
    protected bool ByKubernetes => ParameterSetName == KubernetesSet;

    /// <summary>What the targets are, for prompts and messages: "this machine", the servers, or the cluster's context.</summary>
    protected string TargetLabel(string environment) =>
        ByKubernetes ? (InCluster ? $"namespace {environment} of this pod's cluster" : $"namespace {environment} of Kubernetes context {Context ?? "(current)"}{(KubeConfig is null ? string.Empty : $" in {KubeConfig}")}")
        : Servers.Count == 0 ? "this machine" : string.Join(", ", Servers.Select(s => s.Label));

    protected override void ProcessRecordCore()
    {
        foreach (var server in ByHostName ? HostNameServers() : Server ?? [])
        {
            if (server is not null && !_servers.Exists(s => s.Provider == server.Provider && s.Environment == server.Environment && s.Name == server.Name))
            {
                _servers.Add(server);
            }
        }
    }

    /// <summary>-Environment, else the one environment of the servers; an error when neither says which.</summary>
    protected string ResolveEnvironment()
    {
        if (Environment is not null)
        {
            return _environment = Environment;
        }

        var environments = _servers.Select(s => s.Environment).Where(e => !string.IsNullOrEmpty(e)).Distinct(StringComparer.Ordinal).ToList();
        if (environments.Count == 1)
        {
            return _environment = environments[0];
        }

        ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
            environments.Count == 0
                ? $"{MyInvocation.MyCommand.Name} needs -Environment when no module server is given (this machine, -HostName machines and clusters belong to no environment; on Kubernetes it names the namespace)."
                : $"The servers belong to several environments ({string.Join(", ", environments)}); give -Environment, or pipe one environment's servers.",
            "Environment"));
        return string.Empty;
    }

    /// <summary>The targets: the environment's namespace on Kubernetes, else one per server, or this machine.</summary>
    protected IReadOnlyList<IDeployTarget> TargetsOf(IDeployTargetFactory factory, IReadOnlyList<Server>? servers = null, string? environment = null)
    {
        if (ByKubernetes)
        {
            return [factory.ForCluster(environment ?? _environment ?? throw new InvalidOperationException("ResolveEnvironment first."))];
        }

        servers ??= _servers;
        return servers.Count == 0 ? [factory.ForThisMachine()] : servers.Select(factory.ForServer).ToList();
    }

    /// <summary>Runs engine work with the targets' factory open for the whole call (one SSH connection per server).</summary>
    protected T RunWithTargets<T>(Func<IDeployTargetFactory, EngineContext, Task<T>> work)
    {
        if (ByKubernetes)
        {
            // Paths resolve on the pipeline thread (session state); the kubeconfig is read on the engine's.
            var kubeconfig = KubeConfig is null ? null : GetUnresolvedProviderPathFromPSPath(KubeConfig);
            var context = Context;
            var inCluster = InCluster.IsPresent;
            return RunEngine(async engine =>
            {
                await using var factory = KubernetesTargetFactory.FromKubeconfig(kubeconfig, context, inCluster: inCluster);
                return await work(factory, engine).ConfigureAwait(false);
            });
        }

        var login = LoginSettings();
        return RunEngine(async context =>
        {
            // A deploy is often followed by the next (the next environment, the next update, a
            // Get-AppDeployment): its server connections stay open a minute for it.
            await using var factory = new ContainerHostTargetFactory(ModuleData.Default, login.NewPool(ModuleData.Default, SshConnectionPool.DefaultPersist()));
            return await work(factory, context).ConfigureAwait(false);
        });
    }

    /// <summary>A line for the host (like Write-Host), through the information stream.</summary>
    protected void Say(string text) =>
        WriteInformation(new InformationRecord(new HostInformationMessage { Message = text }, MyInvocation.MyCommand.Name) { Tags = { "PSHOST" } });
}

/// <summary>The cmdlets that name an app already deployed (Get-AppDeployment, Undo-, Remove-, Get-AppLog).</summary>
public abstract class DeployedAppCommandBase : DeployCommandBase
{
    /// <summary>The app's name; a Deployment from the pipeline binds it through its App property.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("App")]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;
}

/// <summary>Completes -Context (and -FromContext) with the contexts of -KubeConfig (-FromKubeConfig), or KUBECONFIG, or ~/.kube/config.</summary>
public sealed class KubeContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        // -FromContext names a context of -FromKubeConfig when that is given.
        var path = (parameterName == "FromContext" ? fakeBoundParameters?["FromKubeConfig"] as string : null) ?? fakeBoundParameters?["KubeConfig"] as string;
        return KubernetesTargetFactory.ContextsOf(path is null ? null : System.IO.Path.GetFullPath(path))
            .Where(c => c.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(c => new CompletionResult(c.Contains(' ', StringComparison.Ordinal) ? $"'{c}'" : c, c, CompletionResultType.ParameterValue, c));
    }
}
