using System.Globalization;
using System.Text;

namespace DevOpsTools.Engine.Hardening;

/// <summary>Strong key exchange, cipher and MAC lists for an OpenSSH version (dev-sec's approach).</summary>
public static class SshCrypto
{
    /// <summary>(minimum version, kex, ciphers, macs), newest first.</summary>
    private static readonly (Version Min, string Kex, string Ciphers, string Macs)[] Table =
    [
        (new Version(9, 9),
            "mlkem768x25519-sha256,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256",
            "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
            "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"),
        (new Version(8, 5),
            "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256",
            "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
            "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"),
        (new Version(7, 4),
            "curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256",
            "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
            "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"),
        (new Version(6, 6),
            "curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256",
            "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
            "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"),
        (new Version(5, 3),
            "diffie-hellman-group-exchange-sha256",
            "aes256-ctr,aes192-ctr,aes128-ctr",
            "hmac-sha2-512,hmac-sha2-256"),
    ];

    public sealed record CryptoChoice(string Kex, string Ciphers, string Macs);

    /// <summary>The lists for an OpenSSH version; unknown or very old versions get the most conservative set.</summary>
    public static CryptoChoice For(Version? version)
    {
        foreach (var row in Table)
        {
            if (version is not null && version >= row.Min)
            {
                return new CryptoChoice(row.Kex, row.Ciphers, row.Macs);
            }
        }

        var last = Table[^1];
        return new CryptoChoice(last.Kex, last.Ciphers, last.Macs);
    }

    public static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var m = System.Text.RegularExpressions.Regex.Match(text, @"(\d+)\.(\d+)");
        return m.Success
            ? new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>A sh function setting DT_KEX/DT_CIPHERS/DT_MACS from $DT_SSH_VER, generated from the same table.</summary>
    public static string ShellSelector()
    {
        var sb = new StringBuilder();
        sb.AppendLine("dt_crypto() {");
        sb.AppendLine("  v=$(printf '%s' \"$DT_SSH_VER\" | awk -F. '{ printf \"%d\", $1*100+$2 }')");
        sb.AppendLine("  [ -n \"$v\" ] || v=0");
        var first = true;
        foreach (var row in Table)
        {
            var code = (row.Min.Major * 100) + row.Min.Minor;
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {(first ? "if" : "elif")} [ \"$v\" -ge {code} ]; then DT_KEX='{row.Kex}'; DT_CIPHERS='{row.Ciphers}'; DT_MACS='{row.Macs}'");
            first = false;
        }

        var last = Table[^1];
        sb.AppendLine(CultureInfo.InvariantCulture, $"  else DT_KEX='{last.Kex}'; DT_CIPHERS='{last.Ciphers}'; DT_MACS='{last.Macs}'; fi");
        sb.AppendLine("}");
        return sb.ToString();
    }
}
