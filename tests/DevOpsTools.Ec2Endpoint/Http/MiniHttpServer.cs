using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevOpsTools.Ec2Endpoint.Http;

/// <summary>An HTTP/1.1 request as read off the wire.</summary>
public sealed class HttpRequestData
{
    public required string Method { get; init; }

    /// <summary>The request target as sent (path plus optional query).</summary>
    public required string Target { get; init; }

    public required string Path { get; init; }

    public required string Query { get; init; }

    /// <summary>Header names are compared case-insensitively; repeated headers are joined with ", ".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public required byte[] Body { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>A response to write back.</summary>
public sealed class HttpResponseData
{
    public int StatusCode { get; init; } = 200;

    public string ContentType { get; init; } = "text/plain; charset=utf-8";

    public byte[] Body { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public static HttpResponseData Text(int status, string text, string contentType = "text/plain; charset=utf-8") =>
        new() { StatusCode = status, ContentType = contentType, Body = Encoding.UTF8.GetBytes(text) };
}

/// <summary>
/// A deliberately small HTTP/1.1 server over <see cref="TcpListener"/>, bound to one loopback address.
/// Supports keep-alive, Content-Length and chunked request bodies and "Expect: 100-continue".
/// </summary>
internal sealed class MiniHttpServer : IAsyncDisposable
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const int MaxBodyBytes = 8 * 1024 * 1024;

    private readonly TcpListener _listener;
    private readonly Func<HttpRequestData, CancellationToken, Task<HttpResponseData>> _handler;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, Task> _connections = new();
    private Task? _acceptLoop;

    public MiniHttpServer(IPAddress address, int port, Func<HttpRequestData, CancellationToken, Task<HttpResponseData>> handler, Action<string>? log)
    {
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException("This server only binds loopback addresses.", nameof(address));
        }

        _listener = new TcpListener(address, port);
        _handler = handler;
        _log = log;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Start()
    {
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(128);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (InvalidOperationException) when (_stop.IsCancellationRequested)
            {
                // Disposed between the loop's check and the accept: the listener no longer listens.
                return;
            }
            catch (SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            client.NoDelay = true;
            var task = Task.Run(() => ServeConnectionAsync(client));
            _connections[client] = task;
            _ = task.ContinueWith(_ => _connections.TryRemove(client, out Task? _), TaskScheduler.Default);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new ConnectionReader(stream);
            while (!_stop.IsCancellationRequested)
            {
                var head = await reader.ReadHeadAsync(MaxHeaderBytes, _stop.Token).ConfigureAwait(false);
                if (head is null)
                {
                    return;
                }

                if (!TryParseHead(head, out var method, out var target, out var version, out var headers))
                {
                    await WriteResponseAsync(stream, HttpResponseData.Text(400, "Bad Request"), keepAlive: false).ConfigureAwait(false);
                    return;
                }

                if (headers.TryGetValue("Expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    var cont = Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n");
                    await stream.WriteAsync(cont, _stop.Token).ConfigureAwait(false);
                }

                byte[] body;
                if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    body = await reader.ReadChunkedAsync(MaxBodyBytes, _stop.Token).ConfigureAwait(false);
                }
                else if (headers.TryGetValue("Content-Length", out var cl))
                {
                    if (!long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > MaxBodyBytes)
                    {
                        await WriteResponseAsync(stream, HttpResponseData.Text(413, "Payload Too Large"), keepAlive: false).ConfigureAwait(false);
                        return;
                    }

                    body = await reader.ReadExactAsync((int)length, _stop.Token).ConfigureAwait(false);
                }
                else
                {
                    body = [];
                }

                var q = target.IndexOf('?', StringComparison.Ordinal);
                var request = new HttpRequestData
                {
                    Method = method,
                    Target = target,
                    Path = q < 0 ? target : target[..q],
                    Query = q < 0 ? string.Empty : target[(q + 1)..],
                    Headers = headers,
                    Body = body,
                };

                var keepAlive = version == "HTTP/1.1"
                    ? !(headers.TryGetValue("Connection", out var c) && c.Contains("close", StringComparison.OrdinalIgnoreCase))
                    : headers.TryGetValue("Connection", out var c10) && c10.Contains("keep-alive", StringComparison.OrdinalIgnoreCase);

                HttpResponseData response;
                try
                {
                    response = await _handler(request, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _log?.Invoke($"unhandled error: {ex}");
                    response = HttpResponseData.Text(500, "Internal Server Error");
                }

                await WriteResponseAsync(stream, response, keepAlive, method == "HEAD").ConfigureAwait(false);
                if (!keepAlive)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
            // The peer went away or sent garbage: drop the connection.
        }
    }

    private static bool TryParseHead(string head, out string method, out string target, out string version, out Dictionary<string, string> headers)
    {
        method = target = version = string.Empty;
        headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return false;
        }

        (method, target, version) = (parts[0], parts[1], parts[2]);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }

        return true;
    }

    private static async Task WriteResponseAsync(NetworkStream stream, HttpResponseData response, bool keepAlive, bool headOnly = false)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(response.StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrase(response.StatusCode)).Append("\r\n");
        sb.Append("Date: ").Append(DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("Server: AmazonEC2\r\n");
        sb.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
        sb.Append("Content-Length: ").Append(response.Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var (name, value) in response.Headers)
        {
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        sb.Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
        sb.Append("\r\n");
        var headBytes = Encoding.ASCII.GetBytes(sb.ToString());
        await stream.WriteAsync(headBytes).ConfigureAwait(false);
        if (!headOnly && response.Body.Length > 0)
        {
            await stream.WriteAsync(response.Body).ConfigureAwait(false);
        }

        await stream.FlushAsync().ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _connections.Keys)
        {
            client.Dispose();
        }

        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>Buffered reads off one connection.</summary>
    private sealed class ConnectionReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            if (_start > 0 && _start == _end)
            {
                _start = _end = 0;
            }

            if (_end == _buffer.Length)
            {
                if (_start == 0)
                {
                    throw new InvalidDataException("buffer full");
                }

                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            _end += n;
            return true;
        }

        /// <summary>Reads up to and including the blank line; null on a clean close before any byte.</summary>
        public async Task<string?> ReadHeadAsync(int max, CancellationToken ct)
        {
            var collected = new MemoryStream();
            while (true)
            {
                // Look for CRLFCRLF across what we hold plus what was collected.
                for (var i = _start; i < _end; i++)
                {
                    collected.WriteByte(_buffer[i]);
                    var len = collected.Length;
                    if (len >= 4)
                    {
                        var b = collected.GetBuffer();
                        if (b[len - 4] == '\r' && b[len - 3] == '\n' && b[len - 2] == '\r' && b[len - 1] == '\n')
                        {
                            _start = i + 1;
                            return Encoding.Latin1.GetString(b, 0, (int)len - 4);
                        }
                    }

                    if (len > max)
                    {
                        throw new InvalidDataException("header too large");
                    }
                }

                _start = _end;
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    if (collected.Length == 0)
                    {
                        return null;
                    }

                    throw new InvalidDataException("connection closed mid-header");
                }
            }
        }

        public async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
        {
            var result = new byte[count];
            var got = 0;
            while (got < count)
            {
                if (_start == _end && !await FillAsync(ct).ConfigureAwait(false))
                {
                    throw new InvalidDataException("connection closed mid-body");
                }

                var take = Math.Min(count - got, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, got, take);
                _start += take;
                got += take;
            }

            return result;
        }

        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            var sb = new StringBuilder();
            while (true)
            {
                if (_start == _end && !await FillAsync(ct).ConfigureAwait(false))
                {
                    throw new InvalidDataException("connection closed mid-line");
                }

                var c = (char)_buffer[_start++];
                if (c == '\n')
                {
                    return sb.ToString().TrimEnd('\r');
                }

                if (sb.Length > 4096)
                {
                    throw new InvalidDataException("line too long");
                }

                sb.Append(c);
            }
        }

        public async Task<byte[]> ReadChunkedAsync(int max, CancellationToken ct)
        {
            var body = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync(ct).ConfigureAwait(false);
                var semi = sizeLine.IndexOf(';', StringComparison.Ordinal);
                var hex = semi < 0 ? sizeLine : sizeLine[..semi];
                if (!int.TryParse(hex.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    throw new InvalidDataException("bad chunk size");
                }

                if (size == 0)
                {
                    // Trailers until a blank line.
                    while ((await ReadLineAsync(ct).ConfigureAwait(false)).Length > 0)
                    {
                    }

                    return body.ToArray();
                }

                if (body.Length + size > max)
                {
                    throw new InvalidDataException("body too large");
                }

                var chunk = await ReadExactAsync(size, ct).ConfigureAwait(false);
                body.Write(chunk);
                await ReadLineAsync(ct).ConfigureAwait(false);
            }
        }
    }
}
