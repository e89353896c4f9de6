using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Commands.Servers;

/// <summary>Destroys servers, waits until they are gone, and removes an environment's resources with its last server.</summary>
[Cmdlet(VerbsCommon.Remove, "Server", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(Server))]
public sealed class RemoveServerCommand : ServerProviderCmdlet
{
    private const string ServerSet = "Server";
    private const string NameSet = "Name";
    private readonly List<Server> _servers = [];
    private readonly List<(string Name, string Environment, string Provider)> _names = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
    [ValidateNotNull]
    public Server[] Server { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
    [ValidateNotNullOrEmpty]
    public string Environment { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [ArgumentCompleter(typeof(ProviderNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Provider { get; set; } = ServerProviderRegistry.DefaultProvider;

    protected override string ProviderForParameters => Provider;

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also write each removed server to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    [ValidateRange(1, 100)]
    public int ThrottleLimit { get; set; } = 10;

    protected override void ProcessRecordCore()
    {
        if (ParameterSetName == NameSet)
        {
            foreach (var name in Name)
            {
                _names.Add((name, Environment, Provider));
            }

            return;
        }

        foreach (var server in Server)
        {
            if (ShouldChange($"{server.Environment}/{server.Name} ({server.Provider} {server.Id})", "Remove server", Force))
            {
                _servers.Add(server);
            }
        }
    }

    protected override void EndProcessingCore()
    {
        var settings = AwsConnection();
        if (_names.Count > 0)
        {
            // Resolve names through the provider (the source of truth), then confirm each.
            var manager = new ServerManager(ModuleData.Default, settings);
            foreach (var group in _names.GroupBy(n => (n.Provider, n.Environment)))
            {
                var existing = RunEngine(context => manager.ListAsync(group.Key.Provider, group.Key.Environment, context));
                foreach (var (name, environment, _) in group)
                {
                    var server = existing.FirstOrDefault(s => s.Name == name);
                    if (server is null)
                    {
                        WriteEngineError(new DevOpsToolsException(ErrorIds.ServerNotFound, ErrorKind.ObjectNotFound,
                            $"No {group.Key.Provider} server named '{name}' in environment '{environment}'.", name));
                        continue;
                    }

                    if (ShouldChange($"{server.Environment}/{server.Name} ({server.Provider} {server.Id})", "Remove server", Force))
                    {
                        _servers.Add(server);
                    }
                }
            }
        }

        if (_servers.Count == 0)
        {
            return;
        }

        // A piped server says where its provider is (its typed Connection: for EC2 region, profile,
        // endpoint); the AWS parameters override an AWS connection.
        var servers = _servers.GroupBy(s => (s.Provider, s.Environment, s.Name)).Select(g => g.First()).ToList();
        ServerProviderSettings? ConnectionOf(Server s) => AwsConnection(s.Connection as AwsSettings) ?? s.Connection;
        foreach (var group in servers.GroupBy(s => (s.Provider, ConnectionOf(s)?.ConnectionKey() ?? string.Empty)))
        {
            var connection = ConnectionOf(group.First());
            var manager = new ServerManager(ModuleData.Default, connection);
            var members = group.ToList();
            RunEngine(context => manager.RemoveAsync(members, ThrottleLimit, PassThru.IsPresent, context));
        }
    }
}
