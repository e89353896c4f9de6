using System.Diagnostics;
using System.Formats.Tar;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>
/// Test-AppBackup for a volume backup: the checksum against the manifest, then the archive read
/// entry by entry to its end (each file's data read through), so a truncated or garbled tar fails.
/// Nothing is restored, no volume is touched.
/// </summary>
public static class VolumeArchiveCheck
{
    public static async Task<AppBackupTest> TestAsync(AppBackup backup, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        AppBackupTest Verdict(bool passed, long files = 0, string? reason = null) => new()
        {
            Id = backup.Id, Environment = backup.Environment, Service = backup.Service, Database = backup.Database,
            Passed = passed, Files = files, Reason = reason, Duration = watch.Elapsed, Path = backup.Path,
        };

        try
        {
            await BackupFiles.VerifyAsync(backup, cancellationToken).ConfigureAwait(false);
        }
        catch (DevOpsToolsException error) when (error.ErrorId is ErrorIds.BackupChecksumMismatch or ErrorIds.BackupNotFound)
        {
            return Verdict(false, reason: error.Message);
        }

        try
        {
            return Verdict(true, await CountEntriesAsync(backup.Path, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception error) when (error is InvalidDataException or FormatException or EndOfStreamException)
        {
            return Verdict(false, reason: $"The archive {backup.Path} is not a readable tar archive: {error.Message}");
        }
    }

    /// <summary>The entries of a tar archive other than its root directory ("./"), reading every file's data.</summary>
    public static async Task<long> CountEntriesAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var reader = new TarReader(stream);
        long count = 0;
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.DataStream is { } data)
            {
                await data.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            if (entry.Name.TrimStart('.', '/').Length > 0)
            {
                count++;
            }
        }

        return count;
    }
}
