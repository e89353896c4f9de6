using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Commands.Servers;

/// <summary>Lists the module's servers as the provider reports them (labels/tags; no local state).</summary>
[Cmdlet(VerbsCommon.Get, "Server")]
[OutputType(typeof(Server))]
public sealed class GetServerCommand : ServerProviderCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Environment { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProviderNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Provider { get; set; } = ServerProviderRegistry.DefaultProvider;

    protected override string ProviderForParameters => Provider;

    protected override void ProcessRecordCore()
    {
        var settings = AwsConnection();
        var servers = RunEngine(context => new ServerManager(ModuleData.Default, settings).ListAsync(Provider, Environment, context));
        var patterns = Name?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
        var matched = new HashSet<int>();
        foreach (var server in servers.OrderBy(s => s.Environment, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (patterns is null)
            {
                WriteObject(server);
                continue;
            }

            for (var i = 0; i < patterns.Count; i++)
            {
                if (patterns[i].IsMatch(server.Name))
                {
                    matched.Add(i);
                    WriteObject(server);
                    break;
                }
            }
        }

        // Like Get-Item: a name without wildcards that matches nothing is an error.
        for (var i = 0; i < (Name?.Length ?? 0); i++)
        {
            if (!matched.Contains(i) && !WildcardPattern.ContainsWildcardCharacters(Name![i]))
            {
                WriteEngineError(new DevOpsToolsException(ErrorIds.ServerNotFound, ErrorKind.ObjectNotFound,
                    $"No {Provider} server named '{Name[i]}'" + (Environment is null ? "." : $" in environment '{Environment}'."), Name[i]));
            }
        }
    }
}
