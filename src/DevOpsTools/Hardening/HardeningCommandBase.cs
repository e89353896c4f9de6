using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Hardening;

/// <summary>What Set-Hardening and Test-Hardening share: server input, profile, rule filters, throttling.</summary>
public abstract class HardeningCommandBase : DevOpsToolsCmdlet
{
    protected const string ServerSet = "Server";
    protected const string HostSet = "HostName";

    private readonly List<Server> _servers = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
    [ValidateNotNullOrEmpty]
    public Server[] Server { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string[] HostName { get; set; } = [];

    [Parameter(ParameterSetName = HostSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string User { get; set; } = "admin";

    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? IdentityFile { get; set; }

    /// <summary>The passphrase of a protected -IdentityFile, as the password of a credential (the user name is ignored).</summary>
    [Parameter(ParameterSetName = HostSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>A bastion, "[user@]host[:port]", to reach the -HostName machines through; its host key is trusted like theirs.</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? ProxyJump { get; set; }

    /// <summary>OpenSSH known_hosts files that vouch for -HostName machines (default: the user's, the system's, the module's).</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string[]? KnownHostsFile { get; set; }

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
        if (ParameterSetName == HostSet)
        {
            if (ProxyJump is not null)
            {
                _ = SshJumpHost.Parse(ProxyJump, User);
            }

            foreach (var host in HostName)
            {
                _servers.Add(new Server
                {
                    Name = host, Environment = string.Empty, Provider = SshConnectionPool.ExternalProvider, Address = host, SshPort = Port, User = User,
                    IdentityFile = IdentityFile is null ? null : GetUnresolvedProviderPathFromPSPath(IdentityFile), State = "Running", ProxyJump = ProxyJump,
                });
            }
        }
        else
        {
            _servers.AddRange(Server.Where(s => s is not null));
        }
    }

    protected HardeningProfile ResolveProfile()
    {
        var nameOrPath = HardeningProfile.IsBuiltIn(Profile) ? Profile : GetUnresolvedProviderPathFromPSPath(Profile);
        return HardeningProfile.Resolve(nameOrPath).Filter(Rule, ExcludeRule);
    }

    protected HardeningRunResult Run(IReadOnlyList<Server> servers, HardeningProfile profile, HardeningMode mode)
    {
        // Paths resolve on the pipeline thread (session state); the engine runs on the pool.
        var knownHosts = KnownHostsFile?.Select(GetUnresolvedProviderPathFromPSPath).ToList();
        var passphrase = Credential?.GetNetworkCredential().Password;
        return RunEngine(async context =>
        {
            // One SSH connection per server for the whole run, closed when the cmdlet is done.
            await using var pool = new SshConnectionPool(ModuleData.Default) { ExternalKnownHostsFiles = knownHosts, KeyPassphrase = passphrase };
            var engine = new HardeningEngine(new SshRemoteShellFactory(pool), new SshFreshLoginProbe(pool), new HardeningRunOptions { ThrottleLimit = ThrottleLimit });
            return await engine.RunAsync(context, servers, profile, mode).ConfigureAwait(false);
        });
    }

    /// <summary>A line for the host (like Write-Host), through the information stream.</summary>
    protected void Say(string text) =>
        WriteInformation(new InformationRecord(new HostInformationMessage { Message = text }, MyInvocation.MyCommand.Name) { Tags = { "PSHOST" } });
}
