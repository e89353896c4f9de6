using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// The keys one login offers, in OpenSSH's order. A module server: its environment's key (or its
/// IdentityFile). An external (-HostName) machine: the explicit IdentityFile, then the keys of the
/// running ssh-agent, then the default key files (~/.ssh/id_ed25519, id_ecdsa, id_rsa) when no
/// IdentityFile was given. An unreachable or empty agent only means no agent keys.
/// </summary>
internal sealed class SshLoginKeys : IDisposable
{
    private readonly List<PrivateKeyFile> _files = [];
    private readonly List<IPrivateKeySource> _sources = [];
    private readonly List<string> _tried = [];

    private SshLoginKeys()
    {
    }

    public IPrivateKeySource[] Sources => [.. _sources];

    /// <summary>What is offered, for errors: key file paths and the number of agent keys, never key material.</summary>
    public string Tried => string.Join(", ", _tried);

    public static IReadOnlyList<string> OpenSshDefaultKeyFiles()
    {
        var ssh = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        return [.. new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(k => Path.Combine(ssh, k))];
    }

    public static SshLoginKeys Open(Server server, string? environmentKey, string? passphrase, string? agentSocket, IReadOnlyList<string> defaultKeyFiles)
    {
        var keys = new SshLoginKeys();
        try
        {
            var external = server.Provider == SshConnectionPool.ExternalProvider;
            var explicitKey = server.IdentityFile ?? (external ? null : environmentKey);
            if (explicitKey is not null)
            {
                if (!File.Exists(explicitKey))
                {
                    throw new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError,
                        external ? $"The key {explicitKey} does not exist, so '{server.Name}' cannot be logged into."
                                 : $"The SSH key of environment '{server.Environment}' ({explicitKey}) does not exist, so server '{server.Name}' cannot be logged into.", server);
                }

                keys.AddFile(OpenKey(server, explicitKey, passphrase), explicitKey);
            }

            if (!external)
            {
                return keys;
            }

            keys.AddAgent(agentSocket);
            DevOpsToolsException? unreadable = null;
            foreach (var path in server.IdentityFile is null ? defaultKeyFiles.Where(File.Exists) : [])
            {
                try
                {
                    keys.AddFile(OpenKey(server, path, passphrase), path);
                }
                catch (DevOpsToolsException ex)
                {
                    unreadable ??= ex;  // as ssh: a default key that cannot be read is skipped
                }
            }

            if (keys._sources.Count == 0)
            {
                throw unreadable ?? new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError,
                    $"There is no key to log into '{server.Name}' with: no -IdentityFile, {keys.Tried}, and {(defaultKeyFiles.Count == 0 ? "no default key files" : $"none of the default keys ({string.Join(", ", defaultKeyFiles)}) exists")}.", server)
                {
                    RecommendedAction = "Pass -IdentityFile, or load a key into ssh-agent with ssh-add (SSH_AUTH_SOCK must point at it).",
                };
            }

            return keys;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    private void AddFile(PrivateKeyFile file, string path)
    {
        _files.Add(file);
        _sources.Add(file);
        _tried.Add($"key file {path}");
    }

    private void AddAgent(string? socket)
    {
        if (string.IsNullOrEmpty(socket))
        {
            _tried.Add("no ssh-agent (SSH_AUTH_SOCK is not set)");
            return;
        }

        var agent = new SshAgentClient(socket);
        try
        {
            var identities = agent.RequestIdentities();
            var source = new SshAgentKeySource(agent, identities);
            _tried.Add($"{identities.Count} ssh-agent key(s) at {socket}");
            if (source.HostKeyAlgorithms.Count > 0)
            {
                _sources.Add(source);
            }
        }
        catch (SshAgentException ex)
        {
            _tried.Add($"no answer from the ssh-agent at {socket} ({(ex.InnerException is System.Net.Sockets.SocketException socketError ? socketError.SocketErrorCode.ToString() : ex.Message)})");
        }
    }

    /// <summary>
    /// A private key, decrypted with the passphrase when it is protected. A missing or wrong
    /// passphrase is an authentication error that names the key file, never the passphrase.
    /// </summary>
    private static PrivateKeyFile OpenKey(Server server, string keyPath, string? passphrase)
    {
        try
        {
            return string.IsNullOrEmpty(passphrase) ? new PrivateKeyFile(keyPath) : new PrivateKeyFile(keyPath, passphrase);
        }
        catch (SshPassPhraseNullOrEmptyException ex)
        {
            throw new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError,
                $"The key {keyPath} is protected by a passphrase; none was given for '{server.Name}' (pass it with -Credential).", server, ex);
        }
        catch (Exception ex) when (ex is SshException or InvalidOperationException or ArgumentException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            throw new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError,
                $"The key {keyPath} could not be read for '{server.Name}'{(string.IsNullOrEmpty(passphrase) ? string.Empty : " (wrong passphrase?)")}.", server, ex);
        }
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }

        _files.Clear();
    }
}
