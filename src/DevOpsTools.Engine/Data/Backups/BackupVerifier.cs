using System.Diagnostics;
using System.Globalization;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// Proves a backup by restoring it: a throwaway container of the backup's image with its own
/// volume, on a free loopback port, the dump restored into a new database and queried, then
/// container and volume removed, whatever happened. The service itself is never touched.
/// </summary>
public sealed class BackupVerifier
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly IReadOnlyDictionary<string, string> NoSecrets = new Dictionary<string, string>();
    private readonly IDataServiceHost _host;
    private readonly ModuleData _data;

    /// <param name="data">Where a bucket's dump is downloaded to (and verified) before it is restored.</param>
    public BackupVerifier(IDataServiceHost host, ModuleData data)
    {
        _host = host;
        _data = data;
    }

    public async Task<AppBackupTest> TestAsync(AppBackup backup, EngineContext context)
    {
        var watch = Stopwatch.StartNew();
        var token = context.CancellationToken;
        AppBackupTest Verdict(bool passed, long tables = 0, long rows = 0, string? reason = null) => new()
        {
            Id = backup.Id, Environment = backup.Environment, Service = backup.Service, Database = backup.Database,
            Passed = passed, Tables = tables, Rows = rows, Reason = reason, Duration = watch.Elapsed, Path = backup.Path,
        };

        VerifiedDump dump;
        try
        {
            dump = await BackupStores.Of(backup, _data).FetchVerifiedAsync(backup, context).ConfigureAwait(false);
        }
        catch (DevOpsToolsException error) when (error.ErrorId is ErrorIds.BackupChecksumMismatch or ErrorIds.BackupNotFound)
        {
            return Verdict(false, reason: error.Message);
        }

        await using var verified = dump;

        if (backup.Server is not null && backup.Image is not null && !await _host.ImageExistsAsync(backup.Image, token).ConfigureAwait(false))
        {
            // A backup from a server: the module's local image of the same PostgreSQL, built once per recipe.
            context.Output.WriteVerbose($"Building {backup.Image} from the module's Debian base image to restore the server's backup into; this happens once per recipe.");
            await _host.BuildImageAsync(backup.Image, await _host.BaseImageAsync(true, context).ConfigureAwait(false), DataResources.ImageFiles(), context).ConfigureAwait(false);
        }

        if (backup.Image is null || !await _host.ImageExistsAsync(backup.Image, token).ConfigureAwait(false))
        {
            return Verdict(false, reason: $"The image the backup was taken with ({backup.Image ?? "not recorded"}) is not on {_host.Label}; run Deploy-DataService to build it.");
        }

        var name = $"{DataBackups.ContainerName(backup.Environment, backup.Service)}-check-{Guid.NewGuid().ToString("N")[..6]}";
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["devopstools.role"] = "data-check",
            ["devopstools.environment"] = backup.Environment,
            ["devopstools.data"] = backup.Service,
        };
        var progress = new ProgressUpdate(1, $"Test-AppBackup {backup}", "throwaway container", 0);
        context.Output.WriteProgress(progress);
        try
        {
            await _host.CreateVolumeAsync(name, labels, token).ConfigureAwait(false);
            await _host.RunContainerAsync(new DataContainerSpec(name, backup.Image, name, _host.FindFreePort(), labels), token).ConfigureAwait(false);
            if (await WaitReadyAsync(name, token).ConfigureAwait(false) is { } notReady)
            {
                return Verdict(false, reason: notReady);
            }

            context.Output.WriteProgress(progress with { Status = "pg_restore", PercentComplete = 40 });
            var create = await _host.ExecAsync(name, ["psql", "-X", "-q", "-h", "/run/postgresql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-v", $"db={backup.Database}"],
                NoSecrets, "CREATE DATABASE :\"db\";\n", token).ConfigureAwait(false);
            if (!create.Succeeded)
            {
                return Verdict(false, reason: $"CREATE DATABASE failed: {ExternalProcess.Tail(create.StdErr, 4)}");
            }

            // No owners or grants: the throwaway server has none of the service's roles.
            await using (var input = verified.OpenRead())
            {
                var restore = await _host.ExecFromStreamAsync(name, ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-h", "/run/postgresql", "-d", backup.Database], input, token).ConfigureAwait(false);
                if (!restore.Succeeded)
                {
                    return Verdict(false, reason: $"pg_restore failed (exit code {restore.ExitCode}): {ExternalProcess.Tail(restore.StdErr, 4)}");
                }
            }

            context.Output.WriteProgress(progress with { Status = "check query", PercentComplete = 80 });
            var check = await _host.ExecAsync(name, ["psql", "-X", "-q", "-A", "-t", "-F", " ", "-h", "/run/postgresql", "-d", backup.Database, "-v", "ON_ERROR_STOP=1"],
                NoSecrets, "ANALYZE;\nSELECT count(*), coalesce(sum(n_live_tup), 0) FROM pg_catalog.pg_stat_user_tables;\n", token).ConfigureAwait(false);
            var numbers = check.StdOut.Trim().Split('\n').LastOrDefault()?.Split(' ') ?? [];
            if (!check.Succeeded || numbers.Length != 2
                || !long.TryParse(numbers[0], NumberStyles.None, CultureInfo.InvariantCulture, out var tables)
                || !long.TryParse(numbers[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rows))
            {
                return Verdict(false, reason: $"The check query failed: {ExternalProcess.Tail(check.StdErr + check.StdOut, 4)}");
            }

            return Verdict(true, tables, rows);
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
            // Clean-up outlives Ctrl+C: a throwaway container must not be left running.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _host.RemoveContainerAsync(name, cleanup.Token).ConfigureAwait(false);
            if (await _host.VolumeExistsAsync(name, cleanup.Token).ConfigureAwait(false))
            {
                await _host.RemoveVolumeAsync(name, cleanup.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Null when ready; otherwise why not.</summary>
    private async Task<string?> WaitReadyAsync(string container, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var probe = await _host.ExecAsync(container, ["pg_isready", "-q", "-h", "/run/postgresql"], NoSecrets, null, token).ConfigureAwait(false);
            if (probe.Succeeded)
            {
                return null;
            }

            if (await _host.InspectContainerAsync(container, token).ConfigureAwait(false) is not { Running: true } || DateTime.UtcNow > deadline)
            {
                return $"The throwaway PostgreSQL did not become ready: {ExternalProcess.Tail(await _host.LogsAsync(container, 5, token).ConfigureAwait(false), 5)}";
            }

            await Task.Delay(300, token).ConfigureAwait(false);
        }
    }
}
