using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>One request's verdict: a success, or the reason it failed in a few words.</summary>
internal readonly record struct ProbeOutcome(bool Success, string? Reason)
{
    public static readonly ProbeOutcome Ok = new(true, null);
}

/// <summary>Sends one request to a target; safe to call from many workers at once.</summary>
internal interface IProbe : IDisposable
{
    Task<ProbeOutcome> SendAsync(CancellationToken cancellationToken);

    /// <summary>HTTPS: the server certificate's expiry, once a handshake has been seen.</summary>
    DateTimeOffset? CertificateExpiresAt { get; }
}

/// <summary>
/// HTTP(S) GETs through one SocketsHttpHandler, so connections are pooled and reused the way a
/// real client (and hey) reuses them: at most Concurrency connections, opened once.
/// </summary>
internal sealed class HttpProbe : IProbe
{
    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly ProbeSettings _settings;
    private long _certificateNotAfterTicks;

    public HttpProbe(Uri uri, ProbeSettings settings)
    {
        _uri = uri;
        _settings = settings;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Concurrency,
            // A probe measures the endpoint named, not where it redirects to, nor a proxy.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.Timeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        handler.SslOptions.RemoteCertificateValidationCallback = OnCertificate;
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = settings.Timeout };
    }

    public DateTimeOffset? CertificateExpiresAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _certificateNotAfterTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public async Task<ProbeOutcome> SendAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (_settings.BodyContains is { } expected)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (status >= _settings.MinStatus && status <= _settings.MaxStatus && !body.Contains(expected, StringComparison.Ordinal))
            {
                return new ProbeOutcome(false, $"body lacks '{expected}'");
            }
        }
        else
        {
            // Read the whole body, as a client would, so the connection goes back to the pool.
            await DrainAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return status >= _settings.MinStatus && status <= _settings.MaxStatus ? ProbeOutcome.Ok : new ProbeOutcome(false, $"HTTP {status}");
    }

    public void Dispose() => _client.Dispose();

    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool OnCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is X509Certificate2 cert)
        {
            Interlocked.Exchange(ref _certificateNotAfterTicks, cert.NotAfter.ToUniversalTime().Ticks);
        }

        // The expiry is read either way, but an untrusted certificate still fails the request.
        return errors == SslPolicyErrors.None;
    }
}

/// <summary>TCP: one request is one connect (then close); its latency is the connect time.</summary>
internal sealed class TcpProbe : IProbe
{
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _timeout;

    public TcpProbe(Uri uri, ProbeSettings settings)
    {
        _host = uri.IdnHost;
        _port = uri.Port;
        _timeout = settings.Timeout;
    }

    public DateTimeOffset? CertificateExpiresAt => null;

    public async Task<ProbeOutcome> SendAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }

        socket.Shutdown(SocketShutdown.Both);
        return ProbeOutcome.Ok;
    }

    public void Dispose()
    {
    }
}

/// <summary>Turns what a request threw into a short, countable failure reason.</summary>
internal static class ProbeErrors
{
    public static string Reason(Exception exception, TimeSpan timeout)
    {
        // First: HttpClient's time-out aborts the socket, so its chain also holds a SocketException
        // (OperationAborted) that would otherwise hide the real reason.
        if (exception is TimeoutException or TaskCanceledException)
        {
            return $"timed out after {timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}s";
        }

        var socket = FindSocketError(exception);
        if (socket is { } code)
        {
            return code switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.ConnectionReset => "connection reset",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                SocketError.TimedOut => "connect timed out",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
                _ => $"socket error {code}",
            };
        }

        return exception switch
        {
            HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } => "TLS handshake failed",
            HttpRequestException http => http.HttpRequestError switch
            {
                HttpRequestError.ResponseEnded => "connection closed before the response",
                HttpRequestError.InvalidResponse => "invalid HTTP response",
                HttpRequestError.SecureConnectionError => "TLS handshake failed",
                _ => http.Message,
            },
            IOException => "connection closed before the response",
            _ => exception.Message,
        };
    }

    private static SocketError? FindSocketError(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SocketException s)
            {
                return s.SocketErrorCode;
            }
        }

        return null;
    }
}
