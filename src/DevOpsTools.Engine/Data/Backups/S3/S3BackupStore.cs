using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups.S3;

/// <summary>
/// Backups in an S3 (or S3-compatible) bucket: &lt;prefix&gt;/&lt;environment&gt;/&lt;service&gt;/&lt;id&gt;.dump,
/// streamed up in parts and hashed on the way, then &lt;id&gt;.json, the manifest, last. A listing
/// reads the manifests only, so an upload that never completed is not a backup. A restore
/// downloads the dump to a 0600 file while hashing it and uses it only when it matches.
/// </summary>
public sealed class S3BackupStore : IBackupStore
{
    private readonly ModuleData _data;
    private readonly S3Location _location;
    private readonly string? _endpointUrl;
    private readonly Lazy<(IAmazonS3 Client, ImmutableCredentials? Credentials)> _client;

    private S3BackupStore(ModuleData data, S3Location location, string? endpointUrl, int partSize)
    {
        _data = data;
        _location = location;
        _endpointUrl = endpointUrl;
        PartSize = partSize;
        _client = new(() => S3ClientFactory.Create(endpointUrl));
    }

    /// <summary>Bytes of each uploaded part (tests use S3's minimum to prove a multipart upload).</summary>
    internal int PartSize { get; }

    public string Label => _location.ToString();

    public static S3BackupStore Create(ModuleData data, S3Location location, string? endpointUrl, int partSize = S3UploadStream.DefaultPartSize)
    {
        if (endpointUrl is not null && S3ClientFactory.CheckEndpoint(endpointUrl) is { } wrong)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"-S3EndpointUrl {wrong}", endpointUrl);
        }

        return new S3BackupStore(data, location, endpointUrl?.TrimEnd('/'), partSize);
    }

    public async Task<IReadOnlyList<AppBackup>> ListAsync(string? environment, string? service, CancellationToken cancellationToken)
    {
        var prefix = environment is not null && service is not null ? _location.ServicePrefix(environment, service)
            : environment is not null ? $"{_location.RootPrefix}{environment}/" : _location.RootPrefix;
        var manifests = new List<string>();
        await Call(null, async client =>
        {
            var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = prefix };
            ListObjectsV2Response page;
            do
            {
                page = await client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                // <env>/<service>/<id>.json under the root prefix; anything else is not ours.
                manifests.AddRange((page.S3Objects ?? []).Select(o => o.Key)
                    .Where(k => k.EndsWith(".json", StringComparison.Ordinal) && k[_location.RootPrefix.Length..].Count(c => c == '/') == 2));
                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
            return true;
        }).ConfigureAwait(false);

        var backups = new List<AppBackup>();
        foreach (var key in manifests)
        {
            var text = await Call(key, async client =>
            {
                using var response = await client.GetObjectAsync(_location.Bucket, key, cancellationToken).ConfigureAwait(false);
                using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
                return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (AppBackup.FromJson(text) is { } backup && Path.GetFileNameWithoutExtension(key) == backup.Id
                && (environment is null || backup.Environment == environment) && (service is null || backup.Service == service))
            {
                // The manifest says what it is a backup of: a database dump or a volume archive.
                Locate(backup, key[..^".json".Length] + backup.FileExtension, key);
                backups.Add(backup);
            }
        }

        return backups.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<AppBackup> WriteAsync(string environment, string service, string id, Func<Stream, CancellationToken, Task> write,
        Func<BackupWritten, AppBackup> complete, CancellationToken cancellationToken)
    {
        var dumpKey = _location.ServicePrefix(environment, service) + id + ".dump";
        var manifestKey = _location.ServicePrefix(environment, service) + id + ".json";
        S3UploadStream? upload = null;
        var uploaded = false;
        try
        {
            upload = new S3UploadStream(Client, _location.Bucket, dumpKey, PartSize);
            BackupWritten written;
            await using (var hashing = new HashingStream(upload))
            {
                await write(hashing, cancellationToken).ConfigureAwait(false);
                await Call(dumpKey, async _ =>
                {
                    await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
                uploaded = true;
                written = new BackupWritten(hashing.Written, hashing.HexDigest());
            }

            var backup = complete(written);
            Locate(backup, dumpKey, manifestKey);

            // The manifest last: only now is the backup complete, and listed.
            await Call(manifestKey, client => client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _location.Bucket, Key = manifestKey, ContentBody = backup.ToJson(), ContentType = "application/json", UseChunkEncoding = false,
            }, cancellationToken)).ConfigureAwait(false);
            return backup;
        }
        catch (Exception ex)
        {
            if (upload is not null)
            {
                await upload.AbortAsync().ConfigureAwait(false);
            }

            if (uploaded)
            {
                // A dump without its manifest is never listed; remove it so it takes no space either.
                await DeleteQuietlyAsync(dumpKey).ConfigureAwait(false);
            }

            throw ex is DevOpsToolsException or OperationCanceledException ? ex : S3Errors.Map(ex, _location, dumpKey, _endpointUrl, KnownCredentials);
        }
    }

    public async Task<VerifiedDump> FetchVerifiedAsync(AppBackup backup, EngineContext context)
    {
        var token = context.CancellationToken;
        var key = KeyOf(backup.Path);
        var downloads = _data.Directory("backups", ".downloads");
        SecureFiles.EnsurePrivateDirectory(downloads);
        var file = Path.Combine(downloads, $"{backup.Id}-{Guid.NewGuid():N}.dump");
        var progress = new ProgressUpdate(2, $"Download {backup.Path}", "0 bytes", 0);
        var verified = false;
        try
        {
            var (actual, size) = await Call(key, async client =>
            {
                using var response = await client.GetObjectAsync(_location.Bucket, key, token).ConfigureAwait(false);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16, Options = FileOptions.Asynchronous };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                await using var output = new FileStream(file, options);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await response.ResponseStream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    total += read;
                    if (backup.SizeBytes > 0)
                    {
                        context.Output.WriteProgress(progress with { Status = $"{total} of {backup.SizeBytes} bytes", PercentComplete = (int)Math.Min(99, total * 100 / backup.SizeBytes) });
                    }
                }

                return (Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), total);
            }).ConfigureAwait(false);

            if (!string.Equals(actual, backup.Sha256, StringComparison.Ordinal))
            {
                throw new DevOpsToolsException(ErrorIds.BackupChecksumMismatch, ErrorKind.InvalidData,
                    $"The dump object {backup.Path} does not match its manifest {backup.ManifestPath}: SHA-256 {actual} ({size} bytes), expected {backup.Sha256} ({backup.SizeBytes} bytes). It was changed or damaged after the backup; nothing was restored.", backup.Path)
                {
                    RecommendedAction = "Restore another backup (Get-AppBackup -Path " + _location + " lists them).",
                };
            }

            verified = true;
            return new VerifiedDump(file, temporary: true);
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
            if (!verified && File.Exists(file))
            {
                File.Delete(file);
            }
        }
    }

    public async Task RemoveAsync(AppBackup backup, CancellationToken cancellationToken)
    {
        foreach (var key in new[] { KeyOf(backup.ManifestPath), KeyOf(backup.Path) })
        {
            await Call(key, client => client.DeleteObjectAsync(_location.Bucket, key, cancellationToken)).ConfigureAwait(false);
        }
    }

    private IAmazonS3 Client => _client.Value.Client;

    /// <summary>The resolved credentials, to redact from messages; null before (or when) resolving failed.</summary>
    private ImmutableCredentials? KnownCredentials => _client.IsValueCreated ? _client.Value.Credentials : null;

    private void Locate(AppBackup backup, string dumpKey, string manifestKey)
    {
        backup.Path = _location.Url(dumpKey);
        backup.ManifestPath = _location.Url(manifestKey);
        backup.Store = _location.ToString();
        backup.EndpointUrl = _endpointUrl;
    }

    private string KeyOf(string url)
    {
        var start = $"s3://{_location.Bucket}/";
        return url.StartsWith(start, StringComparison.Ordinal)
            ? url[start.Length..]
            : throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"{url} is not in bucket {_location.Bucket}.", url);
    }

    /// <summary>Runs an S3 call; its SDK exceptions become the store's errors (ErrorIds BackupStore*), naming the key.</summary>
    private async Task<T> Call<T>(string? key, Func<IAmazonS3, Task<T>> call)
    {
        IAmazonS3 client;
        try
        {
            client = Client;
        }
        catch (Exception ex) when (ex is not DevOpsToolsException)
        {
            throw S3Errors.Map(ex, _location, key, _endpointUrl, null);
        }

        try
        {
            return await call(client).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not DevOpsToolsException and not OperationCanceledException)
        {
            throw S3Errors.Map(ex, _location, key, _endpointUrl, KnownCredentials);
        }
    }

    private async Task DeleteQuietlyAsync(string key)
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Client.DeleteObjectAsync(_location.Bucket, key, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or OperationCanceledException)
        {
            // The first error is the one reported.
        }
    }
}
