using System.Net;
using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// A local port forward: a listener on 127.0.0.1 (a free port) whose connections the server
/// opens to <see cref="RemoteHost"/>:<see cref="RemotePort"/> from its side (direct-tcpip), so a
/// service bound to the server's loopback is reachable from this machine. Disposing it closes the
/// listener; the SSH connection stays pooled.
/// </summary>
public interface ILocalPortForward : IAsyncDisposable
{
    /// <summary>Where to connect on this machine (always 127.0.0.1 and a free port).</summary>
    IPEndPoint LocalEndPoint { get; }

    string RemoteHost { get; }

    int RemotePort { get; }
}

internal sealed class SshLocalForward : ILocalPortForward
{
    private readonly SshClient _client;
    private readonly ForwardedPortLocal _port;

    private SshLocalForward(SshClient client, ForwardedPortLocal port, string remoteHost, int remotePort)
    {
        _client = client;
        _port = port;
        RemoteHost = remoteHost;
        RemotePort = remotePort;
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, checked((int)port.BoundPort));
    }

    public IPEndPoint LocalEndPoint { get; }

    public string RemoteHost { get; }

    public int RemotePort { get; }

    public static async Task<ILocalPortForward> StartAsync(SshConnectionPool pool, Server server, string remoteHost, int remotePort, CancellationToken cancellationToken)
    {
        if (remotePort is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(remotePort), remotePort, "The remote port must be 1-65535.");
        }

        if (Uri.CheckHostName(remoteHost) == UriHostNameType.Unknown)
        {
            throw new ArgumentException($"'{remoteHost}' is not a host name or address.", nameof(remoteHost));
        }

        var client = await pool.GetClientAsync(server, cancellationToken).ConfigureAwait(false);

        // Bound port 0: the listener takes a free port, read back after Start.
        var port = new ForwardedPortLocal(IPAddress.Loopback.ToString(), 0, remoteHost, (uint)remotePort);
        try
        {
            client.AddForwardedPort(port);
            port.Start();
        }
        catch (Exception ex) when (ex is SshException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            port.Dispose();
            throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError,
                $"Could not forward a local port to {remoteHost}:{remotePort} on {server.Environment}/{server.Name}: {ex.Message}", server, ex);
        }

        return new SshLocalForward(client, port, remoteHost, remotePort);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            _port.Stop();
            _client.RemoveForwardedPort(_port);
        }
        catch (Exception ex) when (ex is SshException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is already gone, and the listener with it.
        }

        _port.Dispose();
        return ValueTask.CompletedTask;
    }
}
