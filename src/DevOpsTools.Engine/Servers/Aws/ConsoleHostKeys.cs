namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>
/// Reads the host public keys cloud-init writes to the EC2 console. cloud-init logs them through
/// `logger -t ec2`, so on a real serial console every line carries a prefix (syslog priority and
/// time stamp, "ec2: ") and ends in CRLF:
/// <c>&lt;14&gt;Jun  1 12:00:09 ec2: ssh-ed25519 AAAA... root@ip-172-31-0-10</c>.
/// </summary>
internal static class ConsoleHostKeys
{
    private const string Begin = "-----BEGIN SSH HOST KEY KEYS-----";
    private const string End = "-----END SSH HOST KEY KEYS-----";
    private const string Ed25519 = "ssh-ed25519";

    /// <summary>The ed25519 host key as an OpenSSH public key line ("ssh-ed25519 AAAA..."), or null.</summary>
    public static string? Ed25519Key(string console)
    {
        // The last complete block: a rebooted instance prints the keys again.
        var end = console.LastIndexOf(End, StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var start = console.LastIndexOf(Begin, end, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        foreach (var raw in console[(start + Begin.Length)..end].Split('\n'))
        {
            // Whatever precedes the key type is the console's prefix; the key is the next token.
            var parts = raw.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            var index = Array.IndexOf(parts, Ed25519);
            if (index < 0 || index + 1 >= parts.Length)
            {
                continue;
            }

            var blob = parts[index + 1];
            try
            {
                var bytes = Convert.FromBase64String(blob);
                // The blob starts with its own key type: a truncated or garbled line is not a key.
                if (bytes.Length < 4 + Ed25519.Length + 4 + 32 || System.Text.Encoding.ASCII.GetString(bytes, 4, Ed25519.Length) != Ed25519)
                {
                    continue;
                }

                return $"{Ed25519} {blob}";
            }
            catch (FormatException)
            {
            }
        }

        return null;
    }
}
