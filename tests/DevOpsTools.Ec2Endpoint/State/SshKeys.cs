using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DevOpsTools.Ec2Endpoint.State;

/// <summary>An OpenSSH public key: its type name and wire-format blob.</summary>
internal sealed record SshPublicKey(string Type, byte[] Blob, string? Comment)
{
    public string Base64 => Convert.ToBase64String(Blob);

    /// <summary>"type base64 comment" as in authorized_keys and *.pub files.</summary>
    public string Line(string? comment = null) =>
        (comment ?? Comment) is { Length: > 0 } c ? $"{Type} {Base64} {c}" : $"{Type} {Base64}";

    /// <summary>Key size in bits as ssh-keygen -l prints it.</summary>
    public int Bits
    {
        get
        {
            switch (Type)
            {
                case "ssh-ed25519":
                    return 256;
                case "ecdsa-sha2-nistp256":
                    return 256;
                case "ecdsa-sha2-nistp384":
                    return 384;
                case "ecdsa-sha2-nistp521":
                    return 521;
                case "ssh-rsa":
                    {
                        var r = new SshReader(Blob);
                        r.ReadString();
                        r.ReadBytes();
                        var n = r.ReadBytes().AsSpan();
                        while (n.Length > 0 && n[0] == 0)
                        {
                            n = n[1..];
                        }

                        if (n.Length == 0)
                        {
                            return 0;
                        }

                        return ((n.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n[0]));
                    }

                default:
                    return 0;
            }
        }
    }

    /// <summary>The label ssh-keygen -l prints in parentheses.</summary>
    public string Label => Type switch
    {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        "ssh-dss" => "DSA",
        _ when Type.StartsWith("ecdsa-", StringComparison.Ordinal) => "ECDSA",
        _ => Type.ToUpperInvariant(),
    };

    /// <summary>OpenSSH's default fingerprint: "SHA256:" + unpadded base64 of SHA-256 over the blob.</summary>
    public string Sha256Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Blob)).TrimEnd('=');

    /// <summary>
    /// The KeyFingerprint real EC2 reports for an imported key: MD5 of the blob as colon-separated hex
    /// (RFC 4716 section 4) for RSA, base64 SHA-256 of the blob for ED25519.
    /// </summary>
    public string Ec2ImportFingerprint => Type == "ssh-ed25519"
        ? Convert.ToBase64String(SHA256.HashData(Blob))
        : string.Join(':', MD5.HashData(Blob).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Parses "type base64 [comment]"; null when the text is not a well-formed key line.</summary>
    public static SshPublicKey? TryParseLine(string text)
    {
        var line = text.Trim();
        var parts = line.Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return null;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }

        try
        {
            var r = new SshReader(blob);
            var inner = r.ReadString();
            if (inner != parts[0])
            {
                return null;
            }

            switch (inner)
            {
                case "ssh-ed25519":
                    if (r.ReadBytes().Length != 32 || !r.AtEnd)
                    {
                        return null;
                    }

                    break;
                case "ssh-rsa":
                    r.ReadBytes();
                    r.ReadBytes();
                    if (!r.AtEnd)
                    {
                        return null;
                    }

                    break;
                case "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521":
                    r.ReadString();
                    r.ReadBytes();
                    if (!r.AtEnd)
                    {
                        return null;
                    }

                    break;
                default:
                    // Other algorithms: accept the shape, the caller decides whether it supports the type.
                    break;
            }
        }
        catch (FormatException)
        {
            return null;
        }

        return new SshPublicKey(parts[0], blob, parts.Length > 2 ? parts[2].Trim() : null);
    }

    public static SshPublicKey FromRsa(RSA rsa, string? comment)
    {
        var p = rsa.ExportParameters(false);
        var w = new SshWriter();
        w.WriteString("ssh-rsa");
        w.WriteMpint(p.Exponent!);
        w.WriteMpint(p.Modulus!);
        return new SshPublicKey("ssh-rsa", w.ToArray(), comment);
    }

    public static SshPublicKey FromEcdsaP256(ECDsa ecdsa, string? comment)
    {
        var p = ecdsa.ExportParameters(false);
        var q = new byte[1 + p.Q.X!.Length + p.Q.Y!.Length];
        q[0] = 4;
        p.Q.X.CopyTo(q, 1);
        p.Q.Y.CopyTo(q, 1 + p.Q.X.Length);
        var w = new SshWriter();
        w.WriteString("ecdsa-sha2-nistp256");
        w.WriteString("nistp256");
        w.WriteBytes(q);
        return new SshPublicKey("ecdsa-sha2-nistp256", w.ToArray(), comment);
    }

    /// <summary>An ed25519 public key blob around 32 random bytes (a stand-in host key for the simulated backing).</summary>
    public static SshPublicKey RandomEd25519(string? comment)
    {
        var w = new SshWriter();
        w.WriteString("ssh-ed25519");
        w.WriteBytes(RandomNumberGenerator.GetBytes(32));
        return new SshPublicKey("ssh-ed25519", w.ToArray(), comment);
    }

    private sealed class SshReader(byte[] data)
    {
        private int _pos;

        public bool AtEnd => _pos == data.Length;

        public byte[] ReadBytes()
        {
            if (_pos + 4 > data.Length)
            {
                throw new FormatException("truncated");
            }

            var len = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_pos));
            _pos += 4;
            if (len > data.Length - _pos)
            {
                throw new FormatException("truncated");
            }

            var result = data.AsSpan(_pos, (int)len).ToArray();
            _pos += (int)len;
            return result;
        }

        public string ReadString() => Encoding.ASCII.GetString(ReadBytes());
    }

    private sealed class SshWriter
    {
        private readonly MemoryStream _ms = new();

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)bytes.Length);
            _ms.Write(len);
            _ms.Write(bytes);
        }

        public void WriteString(string s) => WriteBytes(Encoding.ASCII.GetBytes(s));

        public void WriteMpint(byte[] unsignedBigEndian)
        {
            var span = unsignedBigEndian.AsSpan();
            while (span.Length > 0 && span[0] == 0)
            {
                span = span[1..];
            }

            if (span.Length > 0 && (span[0] & 0x80) != 0)
            {
                var padded = new byte[span.Length + 1];
                span.CopyTo(padded.AsSpan(1));
                WriteBytes(padded);
            }
            else
            {
                WriteBytes(span);
            }
        }

        public byte[] ToArray() => _ms.ToArray();
    }
}
