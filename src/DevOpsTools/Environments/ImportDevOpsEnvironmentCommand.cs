using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Commands.Environments;

/// <summary>Reads and validates environment definition YAML files.</summary>
[Cmdlet(VerbsData.Import, "DevOpsEnvironment", DefaultParameterSetName = PathSet)]
[OutputType(typeof(EnvironmentDefinition))]
public sealed class ImportDevOpsEnvironmentCommand : DevOpsToolsCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Files to read; wildcards expand to the files that exist.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// Files to read, taken exactly as written (a name with [ or * in it is not a pattern). Get-ChildItem
    /// output binds here by its PSPath, as it does for the built-in file cmdlets.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Only environments whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecordCore()
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var item in literal ? LiteralPath : Path)
        {
            foreach (var file in literal ? [GetUnresolvedProviderPathFromPSPath(item)] : ResolvePaths(item))
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
