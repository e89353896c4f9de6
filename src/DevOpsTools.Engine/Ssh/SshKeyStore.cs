using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// One ed25519 key pair per environment, generated on first use under
/// &lt;data&gt;/keys/&lt;environment&gt;/id_ed25519 (0600, in a 0700 directory) with its .pub beside it.
/// Only paths and the public key ever leave this class.
/// </summary>
public sealed class SshKeyStore
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private readonly ModuleData _data;

    public SshKeyStore(ModuleData data)
    {
        _data = data;
    }

    public string KeyDirectory(string environment) => Path.Combine(_data.Root, "keys", CheckName(environment));

    public string PrivateKeyPath(string environment) => Path.Combine(KeyDirectory(environment), "id_ed25519");

    public bool Exists(string environment) => File.Exists(PrivateKeyPath(environment)) && File.Exists(PrivateKeyPath(environment) + ".pub");

    /// <summary>The environment's key, created if it does not exist yet: (private key path, public key line).</summary>
    public (string PrivateKeyPath, string PublicKey) GetOrCreate(string environment)
    {
        var path = PrivateKeyPath(environment);
        Gate.Wait();
        try
        {
            if (!Exists(environment))
            {
                var (pem, publicKey) = OpenSshKeys.GenerateEd25519($"devopstools-{environment}");
                var dir = _data.Directory("keys", environment);
                SecureFiles.WritePrivateFile(path, pem);
                SecureFiles.WritePrivateFile(path + ".pub", publicKey + "\n");
            }

            return (path, File.ReadAllText(path + ".pub").Trim());
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Deletes the environment's key pair (when its last server is gone).</summary>
    public bool Remove(string environment)
    {
        var dir = KeyDirectory(environment);
        if (!System.IO.Directory.Exists(dir))
        {
            return false;
        }

        System.IO.Directory.Delete(dir, recursive: true);
        return true;
    }

    private static string CheckName(string environment)
    {
        if (!Validation.IsRfc1123Label(environment))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"Environment name '{environment}' is not a valid RFC 1123 label (lower-case letters, digits and '-', at most 63 characters).", environment);
        }

        return environment;
    }
}
