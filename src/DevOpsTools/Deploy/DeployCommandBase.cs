using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Commands.Servers;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;

namespace DevOpsTools.Commands.Deploy;

/// <summary>
/// What the app cmdlets share: the container hosts they act on (servers from the pipeline,
/// -HostName machines, or this machine's Podman when none is given), the environment, and the
/// targets' factory.
/// </summary>
public abstract class DeployCommandBase : SshHostCmdletBase
{
    private readonly List<Server> _servers = [];

    /// <summary>Container hosts (New-Server, Get-Server, Set-Hardening output); none means this machine.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
    [ValidateNotNull]
    public Server[]? Server { get; set; }

    /// <summary>The environment (test, preprod, prod); default: the servers' own.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string? Environment { get; set; }

    protected IReadOnlyList<Server> Servers => _servers;

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
            return Environment;
        }

        var environments = _servers.Select(s => s.Environment).Where(e => !string.IsNullOrEmpty(e)).Distinct(StringComparer.Ordinal).ToList();
        if (environments.Count == 1)
        {
            return environments[0];
        }

        ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
            environments.Count == 0
                ? $"{MyInvocation.MyCommand.Name} needs -Environment when no module server is given (this machine, or -HostName machines, belong to no environment)."
                : $"The servers belong to several environments ({string.Join(", ", environments)}); give -Environment, or pipe one environment's servers.",
            "Environment"));
        return string.Empty;
    }

    /// <summary>The targets: one per server, or this machine.</summary>
    protected IReadOnlyList<IDeployTarget> TargetsOf(IDeployTargetFactory factory, IReadOnlyList<Server>? servers = null)
    {
        servers ??= _servers;
        return servers.Count == 0 ? [factory.ForThisMachine()] : servers.Select(factory.ForServer).ToList();
    }

    /// <summary>Runs engine work with the targets' factory open for the whole call (one SSH connection per server).</summary>
    protected T RunWithTargets<T>(Func<IDeployTargetFactory, EngineContext, Task<T>> work)
    {
        var login = LoginSettings();
        return RunEngine(async context =>
        {
            await using var factory = new ContainerHostTargetFactory(ModuleData.Default, login.NewPool(ModuleData.Default));
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
