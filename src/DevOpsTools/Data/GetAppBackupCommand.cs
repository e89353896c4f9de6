using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups;

namespace DevOpsTools.Commands.Data;

/// <summary>Lists the complete backups (those with a manifest) of data services and app volumes, newest first.</summary>
[Cmdlet(VerbsCommon.Get, "AppBackup")]
[OutputType(typeof(AppBackup))]
public sealed class GetAppBackupCommand : DevOpsToolsCmdlet
{
    /// <summary>Only backups of this environment.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string? Environment { get; set; }

    /// <summary>Only backups of this data service (a DataService's Name binds here), or of this app's volumes.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "App")]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string? Service { get; set; }

    /// <summary>Only backups of this database.</summary>
    [Parameter]
    [ValidatePattern(DataServiceDefinition.IdentifierPattern)]
    public string? Database { get; set; }

    /// <summary>Only database backups or only volume backups.</summary>
    [Parameter]
    [ValidateSet(AppBackup.DatabaseKind, AppBackup.VolumeKind)]
    public string? Kind { get; set; }

    /// <summary>Only backups of this Podman volume (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string? Volume { get; set; }

    /// <summary>Only the backup with this id (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackupCompleter))]
    public string? Id { get; set; }

    /// <summary>A directory or s3://bucket/prefix that backups were written to with Backup-AppData -Path.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With an s3:// -Path: the URL of the S3-compatible server (default: AWS S3).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? S3EndpointUrl { get; set; }

    /// <summary>Only the newest this many (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void ProcessRecordCore()
    {
        var path = BackupLocations.Resolve(this, Path);
        var id = Id is null ? null : new WildcardPattern(Id, WildcardOptions.IgnoreCase);
        var volume = Volume is null ? null : new WildcardPattern(Volume, WildcardOptions.IgnoreCase);
        IReadOnlyList<AppBackup> listed;
        try
        {
            var store = BackupStores.Open(ModuleData.Default, path, S3EndpointUrl);
            listed = RunEngine(context => store.ListAsync(Environment, Service, context.CancellationToken));
        }
        catch (DevOpsToolsException error)
        {
            WriteEngineError(error, Path);
            return;
        }

        var found = listed.Where(b => (Database is null || b.Database == Database) && (id is null || id.IsMatch(b.Id))
            && (Kind is null || string.Equals(b.Kind, Kind, StringComparison.OrdinalIgnoreCase))
            && (volume is null || (b.Volume is not null && volume.IsMatch(b.Volume))));
        WriteObject(Last is { } n ? found.Take(n) : found, enumerateCollection: true);
    }
}

/// <summary>Completes environments, services and ids from the backups in the module data directory, or in the -Path given (a bucket within a few seconds).</summary>
public sealed class BackupCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        static string? Bound(System.Collections.IDictionary bound, string name) => bound?[name] switch { PSObject o => o.BaseObject as string, string s => s, _ => null };
        IReadOnlyList<AppBackup> backups;
        using var budget = new CancellationTokenSource(Budget);
        try
        {
            var store = BackupStores.Open(ModuleData.Default, Bound(fakeBoundParameters, "Path"), Bound(fakeBoundParameters, "S3EndpointUrl"));
            var listing = Task.Run(() => store.ListAsync(parameterName == "Environment" ? null : Bound(fakeBoundParameters, "Environment"),
                parameterName is "Service" or "Name" ? null : Bound(fakeBoundParameters, "Service") ?? Bound(fakeBoundParameters, "Name"), budget.Token), budget.Token);
            backups = listing.Wait(Budget) ? listing.Result : [];
        }
        catch (Exception)
        {
            // Completion never fails the command line (an unreadable directory, a bad path, an unreachable bucket).
            return [];
        }

        Func<AppBackup, string?> value = parameterName switch { "Environment" => b => b.Environment, "Id" => b => b.Id, "Volume" => b => b.Volume, _ => b => b.Service };
        return backups.Select(value).OfType<string>().Distinct(StringComparer.Ordinal)
            .Where(v => v.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v));
    }
}
