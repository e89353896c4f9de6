using System.Collections.Concurrent;
using System.Net.Sockets;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Connections to module-created servers outlive the cmdlet that opened them for a short while
/// (OpenSSH's ControlPersist, which Ansible turns on for 60 s), so the next cmdlet of a session or
/// script (`Deploy-App` after `Set-Hardening`, the next update) pays no SSH handshake: 0.2-0.3 s
/// per server. A parked connection is taken back only by a pool of the same module data, for the
/// same user, address, port and server, while the server's host key is still recorded, and after
/// one round trip proves it still answers; anything else closes it and connects anew. External
/// (-HostName) logins never linger: their keys, agent and passphrase belong to one invocation.
/// </summary>
internal static class SshConnectionLinger
{
    private static readonly ConcurrentDictionary<string, Parked> ParkedConnections = new(StringComparer.Ordinal);

    /// <summary>How long a taken-back connection has to answer `true` before it counts as dead.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    private sealed record Parked(PooledConnection Connection, Timer Expiry);

    /// <summary>Keeps an open connection for <paramref name="linger"/>; closes it when one is already parked under the key.</summary>
    public static void Park(string key, PooledConnection connection, TimeSpan linger)
    {
        if (!connection.Client.IsConnected)
        {
            connection.Dispose();
            return;
        }

        var expiry = new Timer(_ => Close(key), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var parked = new Parked(connection, expiry);
        if (!ParkedConnections.TryAdd(key, parked))
        {
            expiry.Dispose();
            connection.Dispose();
            return;
        }

        expiry.Change(linger, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The connection parked under the key when it still answers; null otherwise (then it is closed).</summary>
    public static async Task<PooledConnection?> TakeAsync(string key, Func<bool> stillTrusted)
    {
        if (!ParkedConnections.TryRemove(key, out var parked))
        {
            return null;
        }

        await parked.Expiry.DisposeAsync().ConfigureAwait(false);
        var connection = parked.Connection;
        if (connection.Client.IsConnected && stillTrusted())
        {
            try
            {
                // A server that rebooted or dropped the connection meanwhile may still look
                // connected here until something is sent: one `true` tells.
                using var probe = connection.Client.CreateCommand("true");
                using var timeout = new CancellationTokenSource(ProbeTimeout);
                await probe.ExecuteAsync(timeout.Token).ConfigureAwait(false);
                if (probe.ExitStatus == 0)
                {
                    return connection;
                }
            }
            catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
            }
        }

        connection.Dispose();
        return null;
    }

    /// <summary>Closes the connection parked under the key, if any (its time is up, or the server is being forgotten).</summary>
    public static void Close(string key)
    {
        if (ParkedConnections.TryRemove(key, out var parked))
        {
            parked.Expiry.Dispose();
            parked.Connection.Dispose();
        }
    }
}
