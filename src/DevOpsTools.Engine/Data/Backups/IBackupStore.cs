using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// Where backups are kept: a directory (<see cref="LocalBackupStore"/>) or an S3 bucket
/// (<see cref="S3.S3BackupStore"/>). Every store gives the same guarantees: the dump is hashed
/// while it is written, its manifest is written last (a backup without one is never listed), and
/// a dump is read back only after its SHA-256 matched the manifest.
/// </summary>
public interface IBackupStore
{
    /// <summary>What the store is, for messages: a directory or s3://bucket/prefix.</summary>
    string Label { get; }

    /// <summary>The complete backups (with a manifest), narrowed to those given (null: any), newest first.</summary>
    Task<IReadOnlyList<AppBackup>> ListAsync(string? environment, string? service, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a dump: <paramref name="write"/> streams it (throwing on failure leaves nothing that
    /// looks complete), then <paramref name="complete"/> builds the manifest from what was written,
    /// which is stored last. Returns the manifest with its location set.
    /// </summary>
    Task<AppBackup> WriteAsync(string environment, string service, string id, Func<Stream, CancellationToken, Task> write,
        Func<BackupWritten, AppBackup> complete, CancellationToken cancellationToken);

    /// <summary>
    /// A local file with the backup's dump whose SHA-256 matched its manifest
    /// (<see cref="ErrorIds.BackupChecksumMismatch"/> otherwise, naming the file or object).
    /// Dispose it when done: a downloaded copy is deleted then.
    /// </summary>
    Task<VerifiedDump> FetchVerifiedAsync(AppBackup backup, EngineContext context);

    /// <summary>Removes a backup, manifest first, so a half-removed backup is never listed.</summary>
    Task RemoveAsync(AppBackup backup, CancellationToken cancellationToken);
}

/// <summary>What a store wrote of a dump: its size and SHA-256 (lower-case hex).</summary>
public sealed record BackupWritten(long SizeBytes, string Sha256);

/// <summary>A dump on local disk that matched its manifest; a temporary copy is deleted on dispose.</summary>
public sealed class VerifiedDump : IAsyncDisposable
{
    private readonly bool _temporary;

    public VerifiedDump(string path, bool temporary)
    {
        Path = path;
        _temporary = temporary;
    }

    public string Path { get; }

    public FileStream OpenRead() => new(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);

    public ValueTask DisposeAsync()
    {
        if (_temporary)
        {
            File.Delete(Path);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Which store a location names: s3://bucket/prefix is a bucket, anything else a directory.</summary>
public static class BackupStores
{
    public const string S3Scheme = "s3://";

    public static bool IsS3(string? location) => location is not null && location.StartsWith(S3Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The store for a location (a cmdlet's -Path), else the service's backup.destination from the
    /// environment file, else the module data directory. <paramref name="endpointUrl"/> (S3-compatible
    /// servers) falls back to the service's backup.endpointUrl the same way.
    /// </summary>
    public static IBackupStore Open(ModuleData data, string? location, string? endpointUrl = null, DataServiceDefinition? service = null)
    {
        if (location is null && service?.Backup is { Destination: not null } settings)
        {
            location = settings.Destination;
            endpointUrl ??= settings.EndpointUrl;
        }

        if (IsS3(location))
        {
            return S3.S3BackupStore.Create(data, S3.S3Location.Parse(location!, "-Path"), endpointUrl);
        }

        if (endpointUrl is not null)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"-S3EndpointUrl '{endpointUrl}' needs an S3 location: -Path s3://bucket/prefix (or backup.destination in the environment file).", endpointUrl);
        }

        return new LocalBackupStore(data, location is null ? null : Path.GetFullPath(location));
    }

    /// <summary>The store a listed backup came from (recorded on it by the store that listed or wrote it).</summary>
    public static IBackupStore Of(AppBackup backup, ModuleData data) =>
        IsS3(backup.Path)
            ? S3.S3BackupStore.Create(data, S3.S3Location.Parse(backup.Store ?? backup.Path, "Backup.Store"), backup.EndpointUrl)
            : new LocalBackupStore(data, backup.Store);
}
