using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Data;

namespace DevOpsTools.Commands.Data;

/// <summary>What Deploy-DataService and Backup-AppData share: the data services given, narrowed by -Name.</summary>
public abstract class DataServiceCmdletBase : DevOpsToolsCmdlet
{
    /// <summary>Data services from Import-DevOpsEnvironment: an environment's Data (by property name) or the services themselves.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public DataServiceDefinition[] Data { get; set; } = [];

    /// <summary>Only the services with these names (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DataServiceNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>The services of this pipeline object that -Name selects (all when it is not given).</summary>
    protected IEnumerable<DataServiceDefinition> SelectedServices() => Select(Data, Name);

    /// <summary>The services whose names match a pattern of <paramref name="names"/> (all when null).</summary>
    internal static IEnumerable<DataServiceDefinition> Select(DataServiceDefinition[] data, string[]? names)
    {
        var patterns = (names ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        return data.Where(d => patterns.Exists(p => p.IsMatch(d.Name)));
    }
}
