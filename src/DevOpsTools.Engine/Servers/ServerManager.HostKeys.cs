using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers;

/// <summary>New-Server: recording a server's host key, attested by its provider or trusted only when asked.</summary>
public sealed partial class ServerManager
{
    /// <summary>Reads the key a server presents on the network (ssh-keyscan); tests substitute it.</summary>
    internal Func<string, int, TimeSpan, CancellationToken, Task<string>> HostKeyScanner { get; init; } = SshHostKeyScanner.ScanAsync;

    /// <summary>
    /// Records the host key the provider attests (Podman: read inside the container; EC2: the
    /// console output). When the provider cannot attest one, this fails with HostKeyUnattested
    /// unless TrustFirstHostKey is set: then the key presented on the first connection is pinned,
    /// with a warning naming its fingerprint.
    /// </summary>
    private async Task RecordHostKeyAsync(IServerProvider provider, Server server, CreateOptions options, EngineContext context)
    {
        var label = $"{server.Environment}/{server.Name}";
        var address = server.Address ?? throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation, $"Provider {provider.Name} reported no SSH address for {label}.", server);
        var hostKey = await provider.GetHostKeyAsync(server, options.HostKeyTimeout, context).ConfigureAwait(false);
        if (hostKey is null)
        {
            var reason = provider.MissingHostKeyReason(server, options.HostKeyTimeout);
            if (!options.TrustFirstHostKey)
            {
                throw new DevOpsToolsException(ErrorIds.HostKeyUnattested, ErrorKind.SecurityError,
                    $"The host key of server {label} could not be attested: {reason}. DevOpsTools does not trust whatever key the network presents, because a machine in the middle would then be trusted for good.", server)
                {
                    RecommendedAction = "Find out why the provider shows no host key (see the reason), or pass -TrustFirstHostKey to pin the key presented on the first connection if you trust the network path to the server.",
                };
            }

            hostKey = await HostKeyScanner(address, server.SshPort, options.HostKeyTimeout, context.CancellationToken).ConfigureAwait(false);
            context.Output.WriteWarning($"Server {label}: {reason}; -TrustFirstHostKey: pinned the key it presented on first connection ({Fingerprint(hostKey)}) without attestation.");
        }

        _knownHosts.Set(address, server.SshPort, hostKey, Comment(server));
        server.HostKeyFingerprint = Fingerprint(hostKey);
    }
}
