using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Jump hosts (<see cref="Server.ProxyJump"/>, "[user@]host[:port]"): a connection to the bastion
/// (the same key, host key pinned like any server of the same provider) with a forwarded port on
/// 127.0.0.1 to the target's SSH port, opened from the bastion (direct-tcpip). One hop.
/// </summary>
public static partial class SshJumpHost
{
    /// <summary>Parses and validates "[user@]host[:port]"; the user defaults to <paramref name="defaultUser"/>.</summary>
    public static (string User, string Host, int Port) Parse(string proxyJump, string defaultUser)
    {
        var match = Spec().Match(proxyJump ?? string.Empty);
        if (!match.Success || Uri.CheckHostName(match.Groups["host"].Value) == UriHostNameType.Unknown)
        {
            throw new ArgumentException($"ProxyJump '{proxyJump}' is not [user@]host[:port] (one bastion).", nameof(proxyJump));
        }

        var port = match.Groups["port"].Success ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) : 22;
        if (port is < 1 or > 65535)
        {
            throw new ArgumentException($"ProxyJump '{proxyJump}': port {port} is not 1-65535.", nameof(proxyJump));
        }

        return (match.Groups["user"].Success ? match.Groups["user"].Value : defaultUser, match.Groups["host"].Value, port);
    }

    /// <summary>The bastion as a server: same environment, provider (so the same trust rules) and key as the target.</summary>
    public static Server Bastion(Server target)
    {
        var (user, host, port) = Parse(target.ProxyJump!, target.User);
        return new Server
        {
            Name = $"{target.Name} via {host}", Environment = target.Environment, Provider = target.Provider, State = "Running",
            Address = host, SshPort = port, User = user, IdentityFile = target.IdentityFile,
        };
    }

    internal static async Task<Hop> OpenAsync(SshConnectionPool pool, Server target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var bastion = Bastion(target);
        var connection = await pool.ConnectAsync(bastion, timeout, cancellationToken).ConfigureAwait(false);
        var forward = new ForwardedPortLocal(IPAddress.Loopback.ToString(), 0, target.Address!, (uint)target.SshPort);
        try
        {
            connection.Client.AddForwardedPort(forward);
            forward.Start();
            return new Hop(connection, forward);
        }
        catch (Exception ex) when (ex is SshException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            forward.Dispose();
            connection.Dispose();
            throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError,
                $"Could not tunnel to {target.Address}:{target.SshPort} through the bastion {bastion.User}@{bastion.Address}:{bastion.SshPort}: {ex.Message}", target, ex);
        }
    }

    /// <summary>An open bastion connection and the forwarded port through it.</summary>
    internal sealed class Hop(PooledConnection connection, ForwardedPortLocal forward) : IDisposable
    {
        public string LocalHost => forward.BoundHost;

        public int LocalPort => checked((int)forward.BoundPort);

        public void Dispose()
        {
            try
            {
                forward.Stop();
            }
            catch (Exception ex) when (ex is SshException or ObjectDisposedException or InvalidOperationException)
            {
            }

            forward.Dispose();
            connection.Dispose();
        }
    }

    [GeneratedRegex(@"^(?:(?<user>[a-z_][a-z0-9_.-]{0,31})@)?(?<host>[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\])(?::(?<port>[0-9]{1,5}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Spec();
}
