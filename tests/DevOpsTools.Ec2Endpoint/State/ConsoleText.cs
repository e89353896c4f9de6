using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DevOpsTools.Ec2Endpoint.State;

/// <summary>
/// Builds the serial-console text an EC2 Debian instance shows, including the block cloud-init's
/// write-ssh-key-fingerprints script logs through <c>logger -t ec2 --stderr</c> (every line carries the
/// syslog header <c>&lt;14&gt;Mon dd HH:MM:SS ec2: </c>). Lines end in CRLF as on a serial console.
/// </summary>
internal static class ConsoleText
{
    public const string KeysBegin = "-----BEGIN SSH HOST KEY KEYS-----";
    public const string KeysEnd = "-----END SSH HOST KEY KEYS-----";

    /// <summary>
    /// Host keys for a simulated guest: ECDSA P-256 (a real key), ED25519 (random point bytes), RSA
    /// (a real key). Debian generates RSA 3072, but making one can take seconds on a loaded
    /// machine inside a GetConsoleOutput call; 2048 bits prints the same console shape.
    /// </summary>
    public static List<SshPublicKey> SimulatedHostKeys(string comment)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        return
        [
            SshPublicKey.FromEcdsaP256(ecdsa, comment),
            SshPublicKey.RandomEd25519(comment),
            SshPublicKey.FromRsa(rsa, comment),
        ];
    }

    public static string Build(Instance instance, IReadOnlyList<SshPublicKey> hostKeys, DateTimeOffset bootTime)
    {
        var hostname = $"ip-{instance.PrivateIp.Replace('.', '-')}";
        var kernelArch = instance.Architecture == "arm64" ? "arm64" : "amd64";
        var lines = new List<string>
        {
            $"[    0.000000] Linux version 6.1.0-31-cloud-{kernelArch} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.128-1 (2025-02-07)",
            $"[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-31-cloud-{kernelArch} root=PARTUUID=5f0c4a1e-02 ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0",
            "[    1.204311] systemd[1]: systemd 252.36-1~deb12u1 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)",
            $"[    1.230144] systemd[1]: Hostname set to <{hostname}>.",
            $"[    4.918220] cloud-init[412]: Cloud-init v. 22.4.2 running 'init-local' at {CloudInitDate(bootTime.AddSeconds(4))}. Up 4.80 seconds.",
            $"[    6.301975] cloud-init[498]: Cloud-init v. 22.4.2 running 'init' at {CloudInitDate(bootTime.AddSeconds(6))}. Up 6.21 seconds.",
        };
        foreach (var key in hostKeys)
        {
            lines.Add($"[    6.8{lines.Count:D5}] cloud-init[498]: Generating public/private {key.Label.ToLowerInvariant()} key pair.");
            lines.Add($"[    6.8{lines.Count:D5}] cloud-init[498]: The key fingerprint is:");
            lines.Add($"[    6.8{lines.Count:D5}] cloud-init[498]: {key.Sha256Fingerprint} {key.Comment}");
        }

        var prefix = "<14>" + SyslogDate(bootTime.AddSeconds(9)) + " ec2: ";
        lines.Add(prefix);
        lines.Add(prefix + "#############################################################");
        lines.Add(prefix + "-----BEGIN SSH HOST KEY FINGERPRINTS-----");
        foreach (var key in hostKeys)
        {
            lines.Add(prefix + $"{key.Bits} {key.Sha256Fingerprint} {key.Comment} ({key.Label})");
        }

        lines.Add(prefix + "-----END SSH HOST KEY FINGERPRINTS-----");
        lines.Add(prefix + "#############################################################");
        lines.Add(prefix + KeysBegin);
        foreach (var key in hostKeys)
        {
            lines.Add(prefix + key.Line());
        }

        lines.Add(prefix + KeysEnd);
        lines.Add($"[    9.512230] cloud-init[601]: Cloud-init v. 22.4.2 finished at {CloudInitDate(bootTime.AddSeconds(9))}. Datasource DataSourceEc2Local.  Up 9.49 seconds");
        lines.Add(string.Empty);
        lines.Add($"Debian GNU/Linux 12 {hostname} ttyS0");
        lines.Add(string.Empty);
        lines.Add($"{hostname} login: ");

        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            sb.Append(line).Append("\r\n");
        }

        return sb.ToString();
    }

    /// <summary>Syslog's RFC 3164 timestamp: "Apr  9 22:06:30".</summary>
    private static string SyslogDate(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        return u.ToString("MMM", CultureInfo.InvariantCulture) + " " +
               u.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) + " " +
               u.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
    }

    private static string CloudInitDate(DateTimeOffset t) =>
        t.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
}
