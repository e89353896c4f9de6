using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Reads the host key a server presents (like ssh-keyscan), for providers that cannot report it
/// themselves. Used only right after creation (trust on first use); never for later connections.
/// </summary>
public static class SshHostKeyScanner
{
    public static async Task<string> ScanAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            string? key = null;

            // Authentication is expected to fail (no credentials are offered); the key arrives before it.
            var info = new ConnectionInfo(host, port, "devopstools-keyscan", new NoneAuthenticationMethod("devopstools-keyscan")) { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var algorithm in info.HostKeyAlgorithms.Keys.Where(a => a != OpenSshKeys.Ed25519).ToList())
            {
                info.HostKeyAlgorithms.Remove(algorithm);
            }

            using var client = new SshClient(info);
            client.HostKeyReceived += (_, e) =>
            {
                key = $"{e.HostKeyName} {Convert.ToBase64String(e.HostKey)}";
                e.CanTrust = false;
            };
            try
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SshException or System.Net.Sockets.SocketException or IOException)
            {
                last = ex;
            }

            if (key is not null)
            {
                return key;
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }

        throw new DevOpsToolsException(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout,
            $"{host}:{port} presented no SSH host key within {timeout.TotalSeconds:0} s: stuck reading the host key ({last?.Message}).", $"{host}:{port}", last);
    }
}
