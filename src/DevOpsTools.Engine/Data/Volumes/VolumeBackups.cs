using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>
/// Backups of app volumes: `podman volume export` streamed into the backup file (hashed while
/// written, under a temporary name until complete, the manifest last, as database backups are),
/// pruned by -Keep; restores that check the checksum before the volume is touched, refuse a
/// volume a running container mounts, and overwrite a volume with data only when asked to.
/// </summary>
public sealed class VolumeBackups
{
    public const string Format = "tar";
    public const string Engine = "Podman volume";

    private readonly IVolumeHost _host;
    private readonly ModuleData _data;

    public VolumeBackups(IVolumeHost host, ModuleData data)
    {
        _host = host;
        _data = data;
    }

    /// <summary>
    /// One backup per volume: the app's volumes named by <paramref name="volumes"/> (their names in
    /// the app spec), or else every volume the app's deployment here mounts; then retention.
    /// Every volume is checked to exist before the first is archived.
    /// </summary>
    public async Task<IReadOnlyList<AppBackup>> BackupAsync(string environment, string app, IReadOnlyList<string>? volumes, string? directory, int? keep, EngineContext context)
    {
        var token = context.CancellationToken;
        var names = volumes is { Count: > 0 }
            ? volumes.Select(v => VolumeBackupNames.PodmanVolume(environment, app, v)).Distinct(StringComparer.Ordinal).ToList()
            : await _host.DeclaredVolumesAsync(environment, app, token).ConfigureAwait(false);
        if (names.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.VolumeNotFound, ErrorKind.ObjectNotFound,
                $"App {environment}/{app} has no deployment on {_host.Label} that mounts a volume, so there is nothing to back up.", app)
            {
                RecommendedAction = "Name the app's volumes with -Volume (their names in the app spec).",
            };
        }

        foreach (var name in names)
        {
            if (!await _host.ExistsAsync(name, token).ConfigureAwait(false))
            {
                throw new DevOpsToolsException(ErrorIds.VolumeNotFound, ErrorKind.ObjectNotFound,
                    $"Volume {name} of app {environment}/{app} does not exist on {_host.Label}; nothing was backed up.", name)
                {
                    RecommendedAction = "Check the volume's name in the app spec and that the app was deployed here (podman volume ls).",
                };
            }
        }

        var version = await _host.VersionAsync(token).ConfigureAwait(false);
        var dir = Path.GetFullPath(directory ?? BackupFiles.DefaultDirectory(_data, environment, app));
        var made = new List<AppBackup>();
        var progress = new ProgressUpdate(1, $"Backup-AppData {environment}/{app}", "podman volume export", 0);
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                context.Output.WriteProgress(progress = progress with { Status = $"podman volume export {names[i]}", PercentComplete = i * 100 / names.Count });
                var backup = await ArchiveAsync(environment, app, names[i], version, dir, token).ConfigureAwait(false);
                context.Output.WriteVerbose($"Backed up volume {names[i]} of {environment}/{app}: {backup.Path}, {backup.SizeBytes} bytes in {backup.Duration.TotalSeconds:0.0} s, SHA-256 {backup.Sha256}.");
                made.Add(backup);
                Prune(dir, backup, keep, context);
            }
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
        }

        return made;
    }

    /// <summary>
    /// Restores a volume backup into <paramref name="targetVolume"/> (default: the volume it was
    /// taken of), created when missing. A volume with data is replaced only with
    /// <paramref name="overwrite"/>; one a running container mounts never is.
    /// </summary>
    public async Task<AppBackup> RestoreAsync(AppBackup backup, string? targetVolume, bool overwrite, EngineContext context)
    {
        var token = context.CancellationToken;
        var target = targetVolume ?? backup.Volume
            ?? throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidData, $"The manifest {backup.ManifestPath} of volume backup {backup.Id} names no volume; give -TargetVolume.", backup.ManifestPath);

        // The checksum first: a changed or damaged archive touches no volume.
        await BackupFiles.VerifyAsync(backup, token).ConfigureAwait(false);
        if (!await _host.ExistsAsync(target, token).ConfigureAwait(false))
        {
            await _host.CreateAsync(target, VolumeBackupNames.Labels(backup.Environment, backup.Service), token).ConfigureAwait(false);
            context.Output.WriteVerbose($"Created volume {target} on {_host.Label}.");
        }
        else
        {
            var users = await _host.RunningUsersAsync(target, token).ConfigureAwait(false);
            if (users.Count > 0)
            {
                throw new DevOpsToolsException(ErrorIds.VolumeInUse, ErrorKind.ResourceUnavailable,
                    $"Volume {target} is mounted by running container(s) {string.Join(", ", users)} on {_host.Label}; nothing was restored.", target)
                {
                    RecommendedAction = "Stop the app first, or restore into another volume with -TargetVolume.",
                };
            }

            if (await _host.HasDataAsync(target, token).ConfigureAwait(false))
            {
                if (!overwrite)
                {
                    throw new DevOpsToolsException(ErrorIds.VolumeNotEmpty, ErrorKind.ResourceExists,
                        $"Volume {target} on {_host.Label} has data; nothing was restored. -Force replaces its content with backup {backup.Id}.", target)
                    {
                        RecommendedAction = "Add -Force to replace the volume's content, or restore into a new volume with -TargetVolume.",
                    };
                }

                context.Output.WriteVerbose($"Removing the content of volume {target} before the restore (-Force).");
                await _host.ClearAsync(target, token).ConfigureAwait(false);
            }
        }

        context.Output.WriteProgress(new ProgressUpdate(1, $"Restore-AppData {backup}", $"podman volume import {target}"));
        try
        {
            await using var input = new FileStream(backup.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var result = await _host.ImportAsync(target, input, token).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.RestoreFailed, ErrorKind.InvalidOperation,
                    $"podman volume import of {backup.Path} into {target} failed (exit code {result.ExitCode}); the volume may be partly restored, run the restore again: {ExternalProcess.Tail(result.StdErr, 6)}", backup.Path);
            }
        }
        finally
        {
            context.Output.WriteProgress(new ProgressUpdate(1, $"Restore-AppData {backup}", "done", Completed: true));
        }

        context.Output.WriteVerbose($"Restored backup {backup.Id} into volume {target} on {_host.Label}.");
        return backup;
    }

    private async Task<AppBackup> ArchiveAsync(string environment, string app, string volume, string version, string dir, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var id = VolumeBackupNames.BackupId(VolumeBackupNames.ShortName(environment, app, volume), started);
        var watch = Stopwatch.StartNew();
        var partial = string.Empty;
        try
        {
            string sha;
            long size;
            await using (var file = BackupFiles.CreatePartial(dir, id, ".tar"))
            {
                partial = file.Name;
                await using var hashing = new HashingStream(file);
                var result = await _host.ExportAsync(volume, hashing, cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    throw new DevOpsToolsException(ErrorIds.BackupFailed, ErrorKind.InvalidOperation,
                        $"podman volume export of {volume} ({environment}/{app}) failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr, 6)}", volume);
                }

                await hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                sha = hashing.HexDigest();
                size = hashing.Written;
            }

            var final = Path.Combine(dir, id + ".tar");
            File.Move(partial, final);
            var backup = new AppBackup
            {
                Id = id,
                Kind = AppBackup.VolumeKind,
                Environment = environment,
                Service = app,
                Database = string.Empty,
                Volume = volume,
                Server = _host.Server?.Name,
                Provider = _host.Server?.Provider,
                Engine = Engine,
                Version = version,
                Format = Format,
                CreatedAt = started,
                SizeBytes = size,
                Sha256 = sha,
                Duration = watch.Elapsed,
                Path = final,
                ManifestPath = Path.Combine(dir, id + ".json"),
            };

            // The manifest last: only now is the backup complete, and listed.
            SecureFiles.WritePrivateFile(backup.ManifestPath, backup.ToJson());
            return backup;
        }
        finally
        {
            if (partial.Length > 0 && File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static void Prune(string dir, AppBackup made, int? keep, EngineContext context)
    {
        if (keep is null)
        {
            return;
        }

        var same = BackupFiles.List(dir).Where(b => b.Kind == AppBackup.VolumeKind && b.Environment == made.Environment && b.Service == made.Service && b.Volume == made.Volume);
        foreach (var old in BackupRetention.ToRemove(same, keep, null, DateTimeOffset.UtcNow))
        {
            BackupFiles.Remove(old);
            context.Output.WriteVerbose($"Retention (keep {keep}): removed backup {old.Id}.");
        }
    }
}
