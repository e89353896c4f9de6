using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Hardening;

/// <summary>What Set-Hardening and Test-Hardening share: server input, profile, rule filters, throttling.</summary>
public abstract class HardeningCommandBase : SshHostCmdletBase
{
    private readonly List<Server> _servers = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public Server[] Server { get; set; } = [];

    /// <summary>Baseline (default), Strict, or the path of a profile YAML file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HardeningProfileCompleter))]
    public string Profile { get; set; } = "Baseline";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HardeningRuleCompleter))]
    public string[]? Rule { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HardeningRuleCompleter))]
    public string[]? ExcludeRule { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 16;

    protected IReadOnlyList<Server> Servers => _servers;

    protected override void ProcessRecordCore()
    {
        _servers.AddRange(ByHostName ? HostNameServers() : Server.Where(s => s is not null));
    }

    protected HardeningProfile ResolveProfile()
    {
        var nameOrPath = HardeningProfile.IsBuiltIn(Profile) ? Profile : GetUnresolvedProviderPathFromPSPath(Profile);
        return HardeningProfile.Resolve(nameOrPath).Filter(Rule, ExcludeRule);
    }

    protected HardeningRunResult Run(IReadOnlyList<Server> servers, HardeningProfile profile, HardeningMode mode)
    {
        // Paths resolve on the pipeline thread (session state); the engine runs on the pool.
        var login = LoginSettings();
        return RunEngine(async context =>
        {
            // One SSH connection per server for the whole run, closed when the cmdlet is done.
            await using var pool = login.NewPool(ModuleData.Default);
            var engine = new HardeningEngine(new SshRemoteShellFactory(pool), new SshFreshLoginProbe(pool), new HardeningRunOptions { ThrottleLimit = ThrottleLimit, PortSources = new DevOpsTools.Engine.Servers.PortSources(ModuleData.Default) });
            var result = await engine.RunAsync(context, servers, profile, mode).ConfigureAwait(false);
            new HardeningReportStore(ModuleData.Default).Save(result.Reports);
            return result;
        });
    }

    /// <summary>A line for the host (like Write-Host), through the information stream.</summary>
    protected void Say(string text) =>
        WriteInformation(new InformationRecord(new HostInformationMessage { Message = text }, MyInvocation.MyCommand.Name) { Tags = { "PSHOST" } });
}
