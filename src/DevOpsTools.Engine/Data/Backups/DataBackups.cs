using System.Diagnostics;
using System.Globalization;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// Backups of a data service's databases with pg_dump -Fc run in its container (or, for a service
/// placed by role, on its server over SSH, streamed here), hashed while written, completed by a
/// manifest, pruned by retention; restores that check the checksum first.
/// </summary>
public sealed class DataBackups
{
    private readonly IDataServiceHost _host;
    private readonly ModuleData _data;
    private readonly IDataServerShells? _servers;

    /// <param name="servers">Reaches the servers of services placed by role; without it they are refused.</param>
    public DataBackups(IDataServiceHost host, ModuleData data, IDataServerShells? servers = null)
    {
        _host = host;
        _data = data;
        _servers = servers;
    }

    public static string ContainerName(string environment, string service) => $"devopstools-data-{environment}-{service}";

    /// <summary>One backup per database (all of the service's, or <paramref name="databases"/>), then retention.</summary>
    /// <param name="location">A directory or s3://bucket/prefix; null: the service's backup.destination, else the module data directory.</param>
    /// <param name="endpointUrl">An S3-compatible server for an s3:// location; null: the service's backup.endpointUrl, else AWS S3.</param>
    public async Task<IReadOnlyList<AppBackup>> BackupAsync(DataServiceDefinition service, IReadOnlyList<string>? databases, string? location, int? keep, EngineContext context,
        string? endpointUrl = null)
    {
        if (service.Role is not null && _servers is null)
        {
            throw new DevOpsToolsException(ErrorIds.DataPlacementNotSupported, ErrorKind.InvalidOperation,
                $"Data service '{service.Name}' runs on the server with role {service.Role}, and this caller reaches no servers.", service.Name);
        }

        var names = databases is { Count: > 0 } ? databases : service.Databases.Select(d => d.Name).ToList();
        var unknown = names.Where(n => service.Databases.All(d => d.Name != n)).ToList();
        if (unknown.Count > 0 || names.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                names.Count == 0 ? $"Data service '{service.Name}' has no databases to back up."
                    : $"Data service '{service.Name}' has no database {string.Join(", ", unknown)} (it has: {string.Join(", ", service.Databases.Select(d => d.Name))}).", service.Name);
        }

        await using var shell = service.Role is null ? null : await _servers!.OpenAsync(service, context).ConfigureAwait(false);
        var container = shell is null
            ? await RunningContainerAsync(service.Environment, service.Name, context.CancellationToken).ConfigureAwait(false)
            // Test-AppBackup restores it into the module's local image of the same PostgreSQL 15.
            : (Name: string.Empty, Image: DataResources.ImageReference(await _host.BaseImageAsync(false, context).ConfigureAwait(false)));
        var store = BackupStores.Open(_data, location, endpointUrl, service);
        var made = new List<AppBackup>();
        var progress = new ProgressUpdate(1, $"Backup-AppData {service.Environment}/{service.Name}", "pg_dump", 0);
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                context.Output.WriteProgress(progress = progress with { Status = $"pg_dump {names[i]}", PercentComplete = i * 100 / names.Count });
                var database = names[i];
                Func<Stream, CancellationToken, Task<(bool Succeeded, int ExitCode, string StdErr)>> dump = shell is null
                    ? async (output, token) =>
                    {
                        var r = await _host.ExecToStreamAsync(container.Name, ["pg_dump", "-Fc", "-h", "/run/postgresql", "-d", database], output, token).ConfigureAwait(false);
                        return (r.Succeeded, r.ExitCode, r.StdErr);
                    }
                    : (output, token) => ServerDumps.DumpAsync(shell, service.Port, database, output, token);
                var backup = await DumpAsync(service, container.Image, shell?.Server, database, store, dump, context.CancellationToken).ConfigureAwait(false);
                context.Output.WriteVerbose($"Backed up {service.Environment}/{service.Name}/{names[i]}: {backup.Path}, {backup.SizeBytes} bytes in {backup.Duration.TotalSeconds:0.0} s, SHA-256 {backup.Sha256}.");
                made.Add(backup);
                await PruneAsync(store, backup, keep ?? service.Backup?.Keep, service.Backup?.MaxAgeSpan, context).ConfigureAwait(false);
            }
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
        }

        return made;
    }

    /// <summary>Restores a backup into its service's database, replacing what is there, in one transaction; the checksum is checked first.</summary>
    public async Task<AppBackup> RestoreAsync(AppBackup backup, EngineContext context)
    {
        // Verified before anything is touched: a bucket's dump is downloaded and hashed first.
        await using var dump = await BackupStores.Of(backup, _data).FetchVerifiedAsync(backup, context).ConfigureAwait(false);
        await using var shell = backup.Server is null ? null
            : await (_servers ?? throw new DevOpsToolsException(ErrorIds.DataPlacementNotSupported, ErrorKind.InvalidOperation, $"Backup {backup} was taken on server {backup.Server}, and this caller reaches no servers.", backup.Path))
                .OpenAsync(backup, context).ConfigureAwait(false);
        var container = shell is null ? await RunningContainerAsync(backup.Environment, backup.Service, context.CancellationToken).ConfigureAwait(false) : default;
        context.Output.WriteProgress(new ProgressUpdate(1, $"Restore-AppData {backup}", $"pg_restore {backup.Database}"));
        try
        {
            await using var input = dump.OpenRead();
            (bool Succeeded, int ExitCode, string StdErr) result;
            if (shell is not null)
            {
                result = await ServerDumps.RestoreAsync(shell, backup.Port ?? 5432, backup.Database, input, context.CancellationToken).ConfigureAwait(false);
            }
            else
            {
                var r = await _host.ExecFromStreamAsync(container.Name,
                    ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "-h", "/run/postgresql", "-d", backup.Database],
                    input, context.CancellationToken).ConfigureAwait(false);
                result = (r.Succeeded, r.ExitCode, r.StdErr);
            }

            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.RestoreFailed, ErrorKind.InvalidOperation,
                    $"pg_restore of {backup.Path} into {backup.Database} failed (exit code {result.ExitCode}); it ran in one transaction, so the database is as it was: {ExternalProcess.Tail(result.StdErr, 6)}", backup.Path);
            }
        }
        finally
        {
            context.Output.WriteProgress(new ProgressUpdate(1, $"Restore-AppData {backup}", "done", Completed: true));
        }

        return backup;
    }

    private async Task<(string Name, string? Image)> RunningContainerAsync(string environment, string service, CancellationToken cancellationToken)
    {
        var container = ContainerName(environment, service);
        if (await _host.InspectContainerAsync(container, cancellationToken).ConfigureAwait(false) is not { Running: true } state)
        {
            throw new DevOpsToolsException(ErrorIds.DataServiceNotFound, ErrorKind.ObjectNotFound,
                $"Data service {environment}/{service} is not running on {_host.Label} (no running container {container}).", container)
            {
                RecommendedAction = "Run Deploy-DataService for it first.",
            };
        }

        return (container, state.Image);
    }

    private static async Task<AppBackup> DumpAsync(DataServiceDefinition service, string? image, Server? server, string database, IBackupStore store,
        Func<Stream, CancellationToken, Task<(bool Succeeded, int ExitCode, string StdErr)>> dump, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var id = $"{database}-{started.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}";
        var watch = Stopwatch.StartNew();
        return await store.WriteAsync(service.Environment, service.Name, id, async (output, token) =>
        {
            var result = await dump(output, token).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.BackupFailed, ErrorKind.InvalidOperation,
                    $"pg_dump of {service.Environment}/{service.Name}/{database} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr, 6)}", database);
            }
        }, written => new AppBackup
        {
            Id = id,
            Environment = service.Environment,
            Service = service.Name,
            Database = database,
            Engine = "PostgreSQL",
            Version = service.Version,
            Format = "pg_dump custom",
            CreatedAt = started,
            SizeBytes = written.SizeBytes,
            Sha256 = written.Sha256,
            Duration = watch.Elapsed,
            Image = image,
            Server = server?.Name,
            Provider = server is null ? null : service.Provider,
            Port = server is null ? null : service.Port,
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task PruneAsync(IBackupStore store, AppBackup made, int? keep, TimeSpan? maxAge, EngineContext context)
    {
        if (keep is null && maxAge is null)
        {
            return;
        }

        var same = (await store.ListAsync(made.Environment, made.Service, context.CancellationToken).ConfigureAwait(false)).Where(b => b.Database == made.Database);
        foreach (var old in BackupRetention.ToRemove(same, keep, maxAge, DateTimeOffset.UtcNow))
        {
            await store.RemoveAsync(old, context.CancellationToken).ConfigureAwait(false);
            context.Output.WriteVerbose($"Retention ({(keep is null ? string.Empty : $"keep {keep}")}{(keep is not null && maxAge is not null ? ", " : string.Empty)}{(maxAge is null ? string.Empty : $"max age {maxAge}")}): removed backup {old.Id} from {store.Label}.");
        }
    }
}
