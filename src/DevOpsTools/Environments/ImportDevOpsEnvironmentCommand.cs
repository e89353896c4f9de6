using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Commands.Environments;

/// <summary>Reads and validates environment definition YAML files.</summary>
[Cmdlet(VerbsData.Import, "DevOpsEnvironment")]
[OutputType(typeof(EnvironmentDefinition))]
public sealed class ImportDevOpsEnvironmentCommand : DevOpsToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Only environments whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecordCore()
    {
        foreach (var item in Path)
        {
            foreach (var file in ResolvePaths(item))
            {
                var environments = EnvironmentLoader.LoadFile(file);
                foreach (var environment in environments)
                {
                    if (Name is null || Name.Any(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase).IsMatch(environment.Name)))
                    {
                        WriteObject(environment);
                    }
                }
            }
        }
    }

    private IEnumerable<string> ResolvePaths(string path)
    {
        if (WildcardPattern.ContainsWildcardCharacters(path))
        {
            return GetResolvedProviderPathFromPSPath(path, out _);
        }

        return [GetUnresolvedProviderPathFromPSPath(path)];
    }
}
