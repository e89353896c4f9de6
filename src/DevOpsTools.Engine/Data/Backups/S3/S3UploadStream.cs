using Amazon.S3;
using Amazon.S3.Model;

namespace DevOpsTools.Engine.Data.Backups.S3;

/// <summary>
/// A write-only stream into one S3 object that holds at most one part in memory: each full part
/// is sent as a multipart-upload part while the writer waits (so pg_dump is paced by the upload),
/// and <see cref="CompleteAsync"/> sends the rest and completes the upload. A dump smaller than a
/// part is one PutObject. Bodies are signed whole, not in aws-chunked encoding: a part is in memory
/// anyway, and S3-compatible servers that do not decode that encoding would store it verbatim. Until it completes nothing is visible under the key; <see cref="AbortAsync"/>
/// (or disposing without completing) discards the parts.
/// </summary>
internal sealed class S3UploadStream : Stream
{
    /// <summary>S3's smallest part (except the last) is 5 MiB; 8 MiB keeps 10,000 parts above 78 GiB.</summary>
    public const int DefaultPartSize = 8 << 20;

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _key;
    private readonly byte[] _part;
    private readonly List<PartETag> _parts = [];
    private int _filled;
    private string? _uploadId;
    private bool _completed;

    public S3UploadStream(IAmazonS3 client, string bucket, string key, int partSize = DefaultPartSize)
    {
        _client = client;
        _bucket = bucket;
        _key = key;
        _part = new byte[partSize];
    }

    public long Written { get; private set; }

    /// <summary>How many parts were sent (0 for a single PutObject).</summary>
    public int PartCount => _parts.Count;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Written;

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Flush()
    {
        // Parts go out when full; completion sends the rest.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var take = Math.Min(buffer.Length, _part.Length - _filled);
            buffer[..take].CopyTo(_part.AsMemory(_filled));
            _filled += take;
            Written += take;
            buffer = buffer[take..];
            if (_filled == _part.Length)
            {
                await SendPartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends what is left and makes the object visible under its key.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_uploadId is null)
        {
            using var body = new MemoryStream(_part, 0, _filled, writable: false);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket, Key = _key, InputStream = body, AutoCloseStream = false, ContentType = "application/octet-stream",
                UseChunkEncoding = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (_filled > 0)
            {
                await SendPartAsync(cancellationToken).ConfigureAwait(false);
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = _key, UploadId = _uploadId, PartETags = _parts,
            }, cancellationToken).ConfigureAwait(false);
        }

        _completed = true;
    }

    /// <summary>Discards the parts sent so far (nothing is visible under the key); outlives Ctrl+C, bounded.</summary>
    public async Task AbortAsync()
    {
        if (_uploadId is null || _completed)
        {
            return;
        }

        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = _uploadId }, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonS3Exception or Amazon.Runtime.AmazonClientException or HttpRequestException or OperationCanceledException)
        {
            // The first error is the one reported; a bucket lifecycle rule removes stale parts.
        }

        _uploadId = null;
    }

    private async Task SendPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket, Key = _key, ContentType = "application/octet-stream",
        }, cancellationToken).ConfigureAwait(false)).UploadId;
        var number = _parts.Count + 1;
        using var body = new MemoryStream(_part, 0, _filled, writable: false);
        var response = await _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket, Key = _key, UploadId = _uploadId, PartNumber = number, InputStream = body, PartSize = _filled,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        _parts.Add(new PartETag(number, response.ETag));
        _filled = 0;
    }
}
