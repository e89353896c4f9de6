using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// Backups in a directory (-Path), or without one under the module data directory's
/// backups/&lt;environment&gt;/&lt;service&gt;: &lt;id&gt;.dump (written 0600 under a temporary name,
/// renamed when complete) and &lt;id&gt;.json, the manifest, last.
/// </summary>
public sealed class LocalBackupStore : IBackupStore
{
    private readonly ModuleData _data;
    private readonly string? _directory;

    /// <param name="directory">A full path; null for the module data directory's per-service layout.</param>
    public LocalBackupStore(ModuleData data, string? directory)
    {
        _data = data;
        _directory = directory;
    }

    public string Label => _directory ?? Path.Combine(_data.Root, "backups");

    public Task<IReadOnlyList<AppBackup>> ListAsync(string? environment, string? service, CancellationToken cancellationToken)
    {
        var found = BackupFiles.Find(_data, environment, service, _directory);
        foreach (var backup in found)
        {
            backup.Store = _directory;
        }

        return Task.FromResult(found);
    }

    public async Task<AppBackup> WriteAsync(string environment, string service, string id, Func<Stream, CancellationToken, Task> write,
        Func<BackupWritten, AppBackup> complete, CancellationToken cancellationToken)
    {
        var dir = _directory ?? BackupFiles.DefaultDirectory(_data, environment, service);
        var partial = string.Empty;
        try
        {
            BackupWritten written;
            await using (var file = BackupFiles.CreatePartial(dir, id))
            {
                partial = file.Name;
                await using var hashing = new HashingStream(file);
                await write(hashing, cancellationToken).ConfigureAwait(false);
                await hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                written = new BackupWritten(hashing.Written, hashing.HexDigest());
            }

            var final = Path.Combine(dir, id + ".dump");
            File.Move(partial, final);
            var backup = complete(written);
            backup.Path = final;
            backup.ManifestPath = Path.Combine(dir, id + ".json");
            backup.Store = _directory;

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

    public async Task<VerifiedDump> FetchVerifiedAsync(AppBackup backup, EngineContext context)
    {
        await BackupFiles.VerifyAsync(backup, context.CancellationToken).ConfigureAwait(false);
        return new VerifiedDump(backup.Path, temporary: false);
    }

    public Task RemoveAsync(AppBackup backup, CancellationToken cancellationToken)
    {
        BackupFiles.Remove(backup);
        return Task.CompletedTask;
    }
}
