using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// The module's known_hosts (&lt;data&gt;/known_hosts) in OpenSSH format
/// ("[127.0.0.1]:40022 ssh-ed25519 AAAA... devopstools:test/web-1"), so
/// `ssh -o UserKnownHostsFile=&lt;data&gt;/known_hosts` verifies the same keys. Host keys are
/// recorded when a server is created (trust on first use through the provider) and checked on
/// every connection.
/// </summary>
public sealed class KnownHostsStore
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public KnownHostsStore(ModuleData data)
    {
        Path = System.IO.Path.Combine(data.Root, "known_hosts");
        DataRoot = data.Root;
    }

    public string Path { get; }

    private string DataRoot { get; }

    /// <summary>The host field OpenSSH uses: "host" for port 22, "[host]:port" otherwise.</summary>
    public static string HostPattern(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>Recorded keys for host:port as (type, blob).</summary>
    public IReadOnlyList<(string Type, byte[] Blob)> Get(string host, int port) => Find(ReadLines(), host, port);

    /// <summary>
    /// Keys for host:port in an OpenSSH known_hosts file the user keeps (~/.ssh/known_hosts):
    /// plain and comma-separated host fields, and hashed ones (HashKnownHosts, Debian's default).
    /// Wildcard patterns and @cert-authority/@revoked lines are never taken as trust.
    /// </summary>
    public static IReadOnlyList<(string Type, byte[] Blob)> ReadOpenSshFile(string path, string host, int port) =>
        File.Exists(path) ? Find(File.ReadAllLines(path), host, port) : [];

    private static List<(string Type, byte[] Blob)> Find(IEnumerable<string> lines, string host, int port)
    {
        var pattern = HostPattern(host, port);
        var found = new List<(string, byte[])>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('@'))
            {
                continue;
            }

            var parts = line.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && HostFieldMatches(parts[0], pattern) && OpenSshKeys.ParsePublicKeyLine(parts[1]) is { } key)
            {
                found.Add(key);
            }
        }

        return found;
    }

    private static bool HostFieldMatches(string field, string pattern)
    {
        if (field.StartsWith("|1|", StringComparison.Ordinal))
        {
            // |1|base64(salt)|base64(HMAC-SHA1(salt, host pattern))
            var pieces = field.Split('|');
            if (pieces.Length != 4)
            {
                return false;
            }

            try
            {
                var salt = Convert.FromBase64String(pieces[2]);
                var expected = Convert.FromBase64String(pieces[3]);
                var actual = System.Security.Cryptography.HMACSHA1.HashData(salt, System.Text.Encoding.ASCII.GetBytes(pattern));
                return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(actual, expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return field.Split(',').Contains(pattern, StringComparer.Ordinal);
    }

    /// <summary>Records the key of host:port, replacing whatever was recorded for that endpoint.</summary>
    public void Set(string host, int port, string publicKeyLine, string comment)
    {
        var key = OpenSshKeys.ParsePublicKeyLine(publicKeyLine)
            ?? throw new DevOpsToolsException(ErrorIds.HostKeyUnknown, ErrorKind.InvalidData, $"'{publicKeyLine}' is not an SSH public key.", HostPattern(host, port));
        var pattern = HostPattern(host, port);
        Update(lines =>
        {
            lines.RemoveAll(l => MatchesHost(l, pattern));
            lines.Add($"{pattern} {key.Type} {Convert.ToBase64String(key.Blob)} {comment}");
        });
    }

    /// <summary>Forgets host:port (the server was removed; its port may be reused).</summary>
    public void Remove(string host, int port)
    {
        var pattern = HostPattern(host, port);
        Update(lines => lines.RemoveAll(l => MatchesHost(l, pattern)));
    }

    /// <summary>Forgets every host recorded for an environment (by the comment written with it).</summary>
    public void RemoveEnvironment(string environment)
    {
        var marker = $" devopstools:{environment}/";
        Update(lines => lines.RemoveAll(l => l.Contains(marker, StringComparison.Ordinal)));
    }

    private static bool MatchesHost(string line, string pattern)
    {
        var first = line.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is not null && first.Split(',').Contains(pattern, StringComparer.Ordinal);
    }

    private List<string> ReadLines()
    {
        Gate.Wait();
        try
        {
            return File.Exists(Path) ? File.ReadAllLines(Path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList() : [];
        }
        finally
        {
            Gate.Release();
        }
    }

    private void Update(Action<List<string>> change)
    {
        Gate.Wait();
        try
        {
            SecureFiles.EnsurePrivateDirectory(DataRoot);

            // A lock file serialises writers in other processes (another pwsh on the same data dir).
            using var lockFile = AcquireLock();
            var lines = File.Exists(Path) ? File.ReadAllLines(Path).Where(l => l.Length > 0).ToList() : [];
            var before = lines.Count;
            change(lines);
            SecureFiles.WritePrivateFile(Path, string.Join('\n', lines) + (lines.Count > 0 ? "\n" : string.Empty));
        }
        finally
        {
            Gate.Release();
        }
    }

    private FileStream AcquireLock()
    {
        var lockPath = Path + ".lock";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
