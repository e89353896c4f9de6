using System.Security.Cryptography;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>
/// Where backups live and how their files are written and read: &lt;id&gt;.dump under a temporary
/// name until complete, then &lt;id&gt;.json (the manifest) last. A listing shows only backups with a
/// manifest, so an interrupted backup never looks complete.
/// </summary>
public static class BackupFiles
{
    public const string PartialSuffix = ".partial";

    public static string DefaultDirectory(ModuleData data, string environment, string service) =>
        Path.Combine(data.Root, "backups", environment, service);

    /// <summary>The complete backups in a directory, newest first; a missing directory has none.</summary>
    public static IReadOnlyList<AppBackup> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var backups = new List<AppBackup>();
        foreach (var manifest in Directory.EnumerateFiles(directory, "*.json"))
        {
            if (AppBackup.FromJson(File.ReadAllText(manifest)) is { } backup && Path.GetFileNameWithoutExtension(manifest) == backup.Id)
            {
                backup.ManifestPath = manifest;
                backup.Path = Path.Combine(directory, backup.Id + backup.FileExtension);
                backups.Add(backup);
            }
        }

        return backups.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The backups in <paramref name="directory"/>, or else under the module data directory's
    /// backups/&lt;environment&gt;/&lt;service&gt;, narrowed to those given (null: any).
    /// </summary>
    public static IReadOnlyList<AppBackup> Find(ModuleData data, string? environment, string? service, string? directory)
    {
        IEnumerable<string> dirs;
        if (directory is not null)
        {
            dirs = [Path.GetFullPath(directory)];
        }
        else
        {
            var root = Path.Combine(data.Root, "backups");
            dirs = !Directory.Exists(root) ? [] : Directory.EnumerateDirectories(root)
                .Where(e => environment is null || Path.GetFileName(e) == environment)
                .SelectMany(Directory.EnumerateDirectories)
                .Where(s => service is null || Path.GetFileName(s) == service);
        }

        return dirs.SelectMany(List)
            .Where(b => (environment is null || b.Environment == environment) && (service is null || b.Service == service))
            .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Creates the partial file 0600 (refusing a directory it cannot write, by name).</summary>
    public static FileStream CreatePartial(string directory, string id, string extension = ".dump")
    {
        try
        {
            SecureFiles.EnsurePrivateDirectory(directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new FileStream(Path.Combine(directory, "." + id + extension + PartialSuffix), options);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new DevOpsToolsException(ErrorIds.BackupTargetNotWritable, ErrorKind.PermissionDenied,
                $"The backup directory {directory} is not writable: {ex.Message}", directory, ex)
            {
                RecommendedAction = "Give -Path a directory you can write, or fix the permissions of this one.",
            };
        }
    }

    /// <summary>The lower-case hex SHA-256 of a file.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false)).ToLowerInvariant();
    }

    /// <summary>Checks the dump against its manifest; a missing or changed file is an error naming it.</summary>
    public static async Task VerifyAsync(AppBackup backup, CancellationToken cancellationToken)
    {
        if (!File.Exists(backup.Path))
        {
            throw new DevOpsToolsException(ErrorIds.BackupNotFound, ErrorKind.ObjectNotFound,
                $"The dump file {backup.Path} of backup {backup.Id} is missing.", backup.Path);
        }

        var actual = await Sha256Async(backup.Path, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(actual, backup.Sha256, StringComparison.Ordinal))
        {
            throw new DevOpsToolsException(ErrorIds.BackupChecksumMismatch, ErrorKind.InvalidData,
                $"The dump file {backup.Path} does not match its manifest {backup.ManifestPath}: SHA-256 {actual}, expected {backup.Sha256}. It was changed or damaged after the backup; nothing was restored.", backup.Path)
            {
                RecommendedAction = "Restore another backup (Get-AppBackup lists them).",
            };
        }
    }

    /// <summary>Removes a backup: manifest first, so a half-removed backup is never listed.</summary>
    public static void Remove(AppBackup backup)
    {
        File.Delete(backup.ManifestPath);
        File.Delete(backup.Path);
    }
}

/// <summary>A write-through stream that hashes what passes, so a dump is hashed while it is written.</summary>
internal sealed class HashingStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public HashingStream(Stream inner)
    {
        _inner = inner;
    }

    public long Written { get; private set; }

    public string HexDigest() => Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Written;

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _inner.Write(buffer);
        Written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
