using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Servers;

/// <summary>Runs a command or script on many servers in parallel over SSH; one result per server.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ServerCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = CommandSet)]
[OutputType(typeof(ServerCommandResult))]
public sealed class InvokeServerCommandCommand : DevOpsToolsCmdlet
{
    private const string CommandSet = "Command";
    private const string FileSet = "ScriptFile";
    private readonly List<Server> _servers = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Server[] Server { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CommandSet)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string ScriptFile { get; set; } = string.Empty;

    [Parameter]
    public SwitchParameter Sudo { get; set; }

    /// <summary>A bastion, "[user@]host[:port]", to reach every server through (overrides the server's own ProxyJump).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProxyJump { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 10;

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    protected override void ProcessRecordCore()
    {
        foreach (var given in Server)
        {
            var server = given;
            if (ProxyJump is not null)
            {
                _ = SshJumpHost.Parse(ProxyJump, server.User);
                server = given.WithProxyJump(ProxyJump);
            }

            if (ShouldProcess($"{server.Environment}/{server.Name}", $"Run {(Sudo ? "as root" : "as " + server.User)}: {Label()}"))
            {
                _servers.Add(server);
            }
        }
    }

    protected override void EndProcessingCore()
    {
        if (_servers.Count == 0)
        {
            return;
        }

        string script;
        if (ParameterSetName == FileSet)
        {
            var path = GetUnresolvedProviderPathFromPSPath(ScriptFile);
            if (!File.Exists(path))
            {
                ThrowEngineError(new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Script file '{path}' does not exist.", path));
            }

            script = File.ReadAllText(path);
        }
        else
        {
            script = Command;
        }

        var label = Label();
        RunEngine(async context =>
        {
            await using var pool = new SshConnectionPool(ModuleData.Default);
            var command = new ServerCommand(script, label, Sudo.IsPresent, TimeSpan.FromSeconds(TimeoutSec));
            await ServerCommandRunner.RunAsync(context, pool, _servers, command, ThrottleLimit).ConfigureAwait(false);
        });
    }

    private string Label() => ParameterSetName == FileSet ? System.IO.Path.GetFileName(ScriptFile) : Command;
}
