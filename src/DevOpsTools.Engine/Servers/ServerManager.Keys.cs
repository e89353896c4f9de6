using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers;

/// <summary>The per-environment SSH key and the recorded host keys.</summary>
public sealed partial class ServerManager
{
    /// <summary>The environment's shared context; generates its SSH key on first use.</summary>
    public EnvironmentContext GetEnvironmentContext(string environment)
    {
        var (privateKey, publicKey) = _keys.GetOrCreate(environment);
        return new EnvironmentContext { Name = environment, PrivateKeyPath = privateKey, PublicKey = publicKey, Settings = _settings };
    }

    /// <summary>Forgets an environment's SSH key and known hosts (no provider call).</summary>
    private void ForgetLocalKey(string environment)
    {
        _knownHosts.RemoveEnvironment(environment);
        _keys.Remove(environment);
    }

    private static string Comment(Server server) => $"devopstools:{server.Environment}/{server.Name}";

    private static string Fingerprint(string publicKeyLine) =>
        OpenSshKeys.ParsePublicKeyLine(publicKeyLine) is { } key ? OpenSshKeys.Fingerprint(key.Blob) : "unknown";
}
