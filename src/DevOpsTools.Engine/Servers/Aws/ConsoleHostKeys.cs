namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>Reads the host public keys cloud-init writes to the EC2 console.</summary>
internal static class ConsoleHostKeys
{
    private const string Begin = "-----BEGIN SSH HOST KEY KEYS-----";
    private const string End = "-----END SSH HOST KEY KEYS-----";

    /// <summary>The ed25519 host key as an OpenSSH public key line ("ssh-ed25519 AAAA..."), or null.</summary>
    public static string? Ed25519Key(string console)
    {
        var start = console.LastIndexOf(Begin, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = console.IndexOf(End, start, StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        foreach (var raw in console[(start + Begin.Length)..end].Split('\n'))
        {
            var parts = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == "ssh-ed25519")
            {
                try
                {
                    _ = Convert.FromBase64String(parts[1]);
                    return $"{parts[0]} {parts[1]}";
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }

        return null;
    }
}
