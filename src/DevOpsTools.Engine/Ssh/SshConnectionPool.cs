using System.Collections.Concurrent;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// SSH connections to servers, one per server, opened on first use and reused until the pool is
/// disposed (one pool per cmdlet invocation, so connections are reused within a pipeline); a
/// pool with <see cref="Persist"/> (the deploy cmdlets') leaves those to module-created servers
/// open a while for the next such pool (<see cref="SshConnectionLinger"/>).
/// Every connection authenticates with the environment's key and verifies the host key against
/// the module's known_hosts: a mismatch is a HostKeyMismatch security error and nothing runs.
/// <para>Hardening and deployment get a shell with:
/// <c>await using var pool = new SshConnectionPool(ModuleData.Default); var shell = pool.GetShell(server);
/// var result = await shell.RunAsync(script, sudo: true, timeout, token);</c></para>
/// </summary>
public sealed class SshConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<PooledConnection>>> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _lingers = new(StringComparer.Ordinal);
    private readonly SshKeyStore _keys;
    private int _disposed;

    public SshConnectionPool(ModuleData data)
    {
        Data = data;
        KnownHosts = new KnownHostsStore(data);
        _keys = new SshKeyStore(data);
    }

    public ModuleData Data { get; }

    public KnownHostsStore KnownHosts { get; }

    /// <summary>Provider name of machines the module did not create (Set-Hardening -HostName).</summary>
    public const string ExternalProvider = "External";

    /// <summary>
    /// Where the host keys of external machines are trusted from, in order: the user's OpenSSH
    /// files by default (like ssh itself), then the module's known_hosts. Module-created servers
    /// are checked only against the module's known_hosts.
    /// </summary>
    public IReadOnlyList<string>? ExternalKnownHostsFiles { get; init; }

    private IReadOnlyList<string> ExternalTrustFiles => ExternalKnownHostsFiles ??
    [
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"),
        "/etc/ssh/ssh_known_hosts",
        KnownHosts.Path,
    ];

    /// <summary>Passphrase of protected private keys (Set-Hardening -HostName -Credential). Never logged or shown.</summary>
    public string? KeyPassphrase { get; init; }

    /// <summary>
    /// The ssh-agent socket whose keys external (-HostName) logins offer after an explicit IdentityFile
    /// and before the default key files, as ssh does (default: SSH_AUTH_SOCK). Unset, unreachable or
    /// empty: no agent keys, which is an error only when no other key works.
    /// </summary>
    public string? AgentSocket { get; init; } = Environment.GetEnvironmentVariable("SSH_AUTH_SOCK");

    /// <summary>Key files external logins without an IdentityFile try after the agent (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa).</summary>
    public IReadOnlyList<string>? DefaultIdentityFiles { get; init; }

    /// <summary>Time-out of one TCP connect + SSH handshake + authentication.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Keep-alive on pooled connections, so NAT/firewalls do not drop them while idle.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection to a module-created server stays open after the pool is disposed,
    /// for the next pool of the same module data with a Persist (OpenSSH's ControlPersist).
    /// Zero (the default) closes connections with the pool.
    /// </summary>
    public TimeSpan Persist { get; init; }

    /// <summary>The deploy cmdlets' <see cref="Persist"/>: 60 s, or DEVOPSTOOLS_SSH_PERSIST seconds (0 turns it off).</summary>
    public static TimeSpan DefaultPersist() =>
        int.TryParse(Environment.GetEnvironmentVariable("DEVOPSTOOLS_SSH_PERSIST"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Min(seconds, 3600))
            : TimeSpan.FromSeconds(60);

    /// <summary>A shell for one server; connects lazily on its first command. Disposing it keeps the pooled connection open.</summary>
    public IRemoteShell GetShell(Server server) => new SshRemoteShell(this, server);

    /// <summary>The pooled, connected client for a server (connecting, or reconnecting after a drop).</summary>
    internal async Task<SshClient> GetClientAsync(Server server, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var key = PoolKey(server);
        while (true)
        {
            var lazy = _connections.GetOrAdd(key, _ => new Lazy<Task<PooledConnection>>(() => OpenAsync(server)));
            PooledConnection connection;
            try
            {
                connection = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A failed connect is not cached: the next caller tries again.
                _connections.TryRemove(new KeyValuePair<string, Lazy<Task<PooledConnection>>>(key, lazy));
                throw;
            }

            if (connection.Client.IsConnected)
            {
                return connection.Client;
            }

            if (_connections.TryRemove(new KeyValuePair<string, Lazy<Task<PooledConnection>>>(key, lazy)))
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>A lingering connection of an earlier pool when one still answers, else a new one.</summary>
    private async Task<PooledConnection> OpenAsync(Server server)
    {
        var lingers = Persist > TimeSpan.Zero && server.Provider != ExternalProvider;
        _lingers[PoolKey(server)] = lingers;
        if (lingers && await SshConnectionLinger.TakeAsync(LingerKey(server), () => KnownHosts.Get(server.Address!, server.SshPort).Count > 0).ConfigureAwait(false) is { } parked)
        {
            return parked;
        }

        return await ConnectAsync(server, ConnectTimeout, CancellationToken.None).ConfigureAwait(false);
    }

    private string LingerKey(Server server) => LingerKey(PoolKey(server));

    private string LingerKey(string poolKey) => $"{Data.Root}|{poolKey}";

    /// <summary>Opens a new connection (not pooled), verifying the host key. The caller disposes it.</summary>
    public async Task<PooledConnection> ConnectAsync(Server server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (client, key) = await ConnectClientAsync(server, timeout, info => new SshClient(info) { KeepAliveInterval = KeepAliveInterval }, cancellationToken).ConfigureAwait(false);
        return new PooledConnection(client, key);
    }

    /// <summary>A new SFTP session to a server (same key and host-key pinning as every connection). The caller disposes it.</summary>
    internal async Task<SftpConnection> ConnectSftpAsync(Server server, CancellationToken cancellationToken)
    {
        var (client, key) = await ConnectClientAsync(server, ConnectTimeout, info => new SftpClient(info), cancellationToken).ConfigureAwait(false);
        return new SftpConnection(client, key);
    }

    private async Task<(TClient Client, IDisposable Resources)> ConnectClientAsync<TClient>(Server server, TimeSpan timeout, Func<ConnectionInfo, TClient> create, CancellationToken cancellationToken)
        where TClient : BaseClient
    {
        if (string.IsNullOrEmpty(server.Address))
        {
            throw new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"Server '{server.Environment}/{server.Name}' has no address to connect to (state {server.State}).", server);
        }

        var external = server.Provider == ExternalProvider;
        var trustFiles = external ? ExternalTrustFiles : [KnownHosts.Path];
        var expected = external
            ? trustFiles.SelectMany(f => f == KnownHosts.Path ? KnownHosts.Get(server.Address, server.SshPort) : KnownHostsStore.ReadOpenSshFile(f, server.Address, server.SshPort)).ToList()
            : KnownHosts.Get(server.Address, server.SshPort);
        if (expected.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.HostKeyUnknown, ErrorKind.SecurityError,
                $"No host key is recorded for server '{(external ? server.Name : $"{server.Environment}/{server.Name}")}' ({KnownHostsStore.HostPattern(server.Address, server.SshPort)}) in {string.Join(", ", trustFiles)}; refusing to connect.", server)
            {
                RecommendedAction = "Run New-Server again for this server (it records the host key through the provider), or add the key to known_hosts after checking it.",
            };
        }

        var keyFile = SshLoginKeys.Open(server, external ? null : _keys.PrivateKeyPath(server.Environment), KeyPassphrase, AgentSocket, DefaultIdentityFiles ?? SshLoginKeys.OpenSshDefaultKeyFiles());

        // Through a bastion: the first connection forwards a local port to the server's SSH port;
        // the host key checked is still the server's own (pinned as for a direct connection).
        var (connectHost, connectPort, hop) = (server.Address, server.SshPort, (SshJumpHost.Hop?)null);
        if (!string.IsNullOrEmpty(server.ProxyJump))
        {
            try
            {
                hop = await SshJumpHost.OpenAsync(this, server, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                keyFile.Dispose();
                throw;
            }

            (connectHost, connectPort) = (hop.LocalHost, hop.LocalPort);
        }

        var info = new ConnectionInfo(connectHost, connectPort, server.User, new PrivateKeyAuthenticationMethod(server.User, keyFile.Sources))
        {
            Timeout = timeout,
            ChannelCloseTimeout = TimeSpan.FromSeconds(5),
        };

        // Only negotiate the host key types that are recorded, so the server cannot pick another one.
        var recordedTypes = expected.Select(k => k.Type).ToHashSet(StringComparer.Ordinal);
        if (recordedTypes.Contains(OpenSshKeys.Ed25519))
        {
            foreach (var algorithm in info.HostKeyAlgorithms.Keys.Where(a => a != OpenSshKeys.Ed25519).ToList())
            {
                info.HostKeyAlgorithms.Remove(algorithm);
            }
        }

        var client = create(info);
        (string Type, string Fingerprint)? mismatch = null;
        client.HostKeyReceived += (_, e) =>
        {
            var ok = expected.Any(k => k.Type == e.HostKeyName && k.Blob.AsSpan().SequenceEqual(e.HostKey));
            e.CanTrust = ok;
            if (!ok)
            {
                mismatch = (e.HostKeyName, OpenSshKeys.Fingerprint(e.HostKey));
            }
        };

        try
        {
            using var timeoutSource = new CancellationTokenSource(timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            try
            {
                await client.ConnectAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SshOperationTimeoutException($"Connecting to {server.Address}:{server.SshPort} took longer than {timeout.TotalSeconds:0} s.");
            }

            return (client, new ConnectionResources(keyFile, hop));
        }
        catch (Exception ex)
        {
            client.Dispose();
            keyFile.Dispose();
            hop?.Dispose();
            if (mismatch is { } seen)
            {
                var expectedPrints = string.Join(", ", expected.Select(k => $"{k.Type} {OpenSshKeys.Fingerprint(k.Blob)}"));
                throw new DevOpsToolsException(ErrorIds.HostKeyMismatch, ErrorKind.SecurityError,
                    $"Host key of server '{server.Environment}/{server.Name}' ({KnownHostsStore.HostPattern(server.Address, server.SshPort)}) does not match the recorded key: " +
                    $"expected {expectedPrints}, the server presented {seen.Type} {seen.Fingerprint}. Nothing was run on it.", server, ex)
                {
                    RecommendedAction = $"If the server was rebuilt on purpose, remove its line from {KnownHosts.Path} (or remove and re-create the server); otherwise investigate: someone may be intercepting the connection.",
                };
            }

            if (ex is DevOpsToolsException or OperationCanceledException)
            {
                throw;
            }

            if (ex is SshAuthenticationException)
            {
                throw new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError,
                    $"{server.User}@{server.Address}:{server.SshPort} ({server.Name}) refused every key offered ({keyFile.Tried}): {ex.Message}", server, ex);
            }

            throw ErrorClassifier.Classify(ex, server) is var classified && classified.ErrorId != ErrorIds.UnexpectedError
                ? new DevOpsToolsException(classified.ErrorId, classified.Kind, $"{server.Environment}/{server.Name} ({server.Address}:{server.SshPort}): {classified.Message}", server, ex)
                : new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"SSH connection to {server.Environment}/{server.Name} ({server.Address}:{server.SshPort}) failed: {ex.Message}", server, ex);
        }
    }

    /// <summary>Closes and forgets the pooled connection to a server (e.g. before removing it).</summary>
    public async Task ForgetAsync(Server server)
    {
        SshConnectionLinger.Close(LingerKey(server));
        if (_connections.TryRemove(PoolKey(server), out var lazy) && lazy.IsValueCreated)
        {
            try
            {
                (await lazy.Value.ConfigureAwait(false)).Dispose();
            }
            catch (Exception ex) when (ex is DevOpsToolsException or SshException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var (key, lazy) in _connections)
        {
            if (!lazy.IsValueCreated)
            {
                continue;
            }

            try
            {
                var connection = await lazy.Value.ConfigureAwait(false);
                if (_lingers.TryGetValue(key, out var lingers) && lingers)
                {
                    SshConnectionLinger.Park(LingerKey(key), connection, Persist);
                }
                else
                {
                    connection.Dispose();
                }
            }
            catch (Exception)
            {
                // A connection that never opened has nothing to close.
            }
        }

        _connections.Clear();
    }

    private static string PoolKey(Server server) => $"{server.User}@{server.Address}:{server.SshPort}/{server.Environment}/{server.Name}/via {server.ProxyJump}";
}

/// <summary>An open SSH connection and the key it authenticated with.</summary>
public sealed class PooledConnection : IDisposable
{
    private readonly IDisposable _key;

    internal PooledConnection(SshClient client, IDisposable key)
    {
        Client = client;
        _key = key;
    }

    public SshClient Client { get; }

    public void Dispose() => ClientClosing.Close(Client, _key);
}

/// <summary>An open SFTP session and the key it authenticated with.</summary>
internal sealed class SftpConnection(SftpClient client, IDisposable key) : IDisposable
{
    public SftpClient Client { get; } = client;

    public void Dispose() => ClientClosing.Close(Client, key);
}

/// <summary>What a connection holds besides its client: the key, and the bastion hop if any.</summary>
internal sealed class ConnectionResources(SshLoginKeys key, IDisposable? hop) : IDisposable
{
    public void Dispose()
    {
        key.Dispose();
        hop?.Dispose();
    }
}

/// <summary>Closing an SSH or SFTP client: a connection the server already dropped has nothing left to close.</summary>
internal static class ClientClosing
{
    public static void Close(BaseClient client, IDisposable key)
    {
        try
        {
            if (client.IsConnected)
            {
                client.Disconnect();
            }
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }

        client.Dispose();
        key.Dispose();
    }
}
