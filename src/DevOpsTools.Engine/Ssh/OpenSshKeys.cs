using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Ed25519 keys in the formats OpenSSH uses: the "openssh-key-v1" private key file (unencrypted,
/// read by both ssh and SSH.NET's PrivateKeyFile), the one-line public key, and SHA256 fingerprints.
/// </summary>
public static class OpenSshKeys
{
    public const string Ed25519 = "ssh-ed25519";

    /// <summary>A new key pair: (private key file text, public key line).</summary>
    public static (string PrivateKeyPem, string PublicKeyLine) GenerateEd25519(string comment)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        try
        {
            var privateKey = new Ed25519PrivateKeyParameters(seed, 0);
            var publicKey = privateKey.GeneratePublicKey().GetEncoded();
            var publicBlob = PublicKeyBlob(publicKey);
            return (PrivateKeyFile(seed, publicKey, publicBlob, comment), $"{Ed25519} {Convert.ToBase64String(publicBlob)} {comment}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The SSH wire blob of an Ed25519 public key (string "ssh-ed25519", string key).</summary>
    public static byte[] PublicKeyBlob(ReadOnlySpan<byte> publicKey)
    {
        var writer = new SshWriter();
        writer.String(Encoding.ASCII.GetBytes(Ed25519));
        writer.String(publicKey);
        return writer.ToArray();
    }

    /// <summary>"SHA256:..." as ssh-keygen -l prints it (unpadded base64 of the blob's hash).</summary>
    public static string Fingerprint(ReadOnlySpan<byte> publicKeyBlob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(publicKeyBlob)).TrimEnd('=');

    /// <summary>Parses "type base64 [comment]"; null when the line is not a public key.</summary>
    public static (string Type, byte[] Blob)? ParsePublicKeyLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        var parts = line.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !parts[0].StartsWith("ssh-", StringComparison.Ordinal) && !parts[0].StartsWith("ecdsa-", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var blob = Convert.FromBase64String(parts[1]);

            // The blob starts with its own type name; a truncated or foreign line fails here.
            if (blob.Length < 4)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(blob);
            if (length <= 0 || 4 + length > blob.Length || Encoding.ASCII.GetString(blob, 4, length) != parts[0])
            {
                return null;
            }

            if (parts[0] == Ed25519 && blob.Length != 4 + length + 4 + 32)
            {
                return null;
            }

            return (parts[0], blob);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string PrivateKeyFile(byte[] seed, byte[] publicKey, byte[] publicBlob, string comment)
    {
        var check = RandomNumberGenerator.GetBytes(4);
        var secret = new SshWriter();
        secret.Raw(check);
        secret.Raw(check);
        secret.String(Encoding.ASCII.GetBytes(Ed25519));
        secret.String(publicKey);
        var privatePart = new byte[64];
        seed.CopyTo(privatePart, 0);
        publicKey.CopyTo(privatePart, 32);
        secret.String(privatePart);
        CryptographicOperations.ZeroMemory(privatePart);
        secret.String(Encoding.UTF8.GetBytes(comment));
        for (byte pad = 1; secret.Length % 8 != 0; pad++)
        {
            secret.Raw([pad]);
        }

        var file = new SshWriter();
        file.Raw(Encoding.ASCII.GetBytes("openssh-key-v1\0"));
        file.String(Encoding.ASCII.GetBytes("none"));
        file.String(Encoding.ASCII.GetBytes("none"));
        file.String([]);
        file.UInt32(1);
        file.String(publicBlob);
        var secretBytes = secret.ToArray();
        file.String(secretBytes);
        CryptographicOperations.ZeroMemory(secretBytes);
        var bytes = file.ToArray();
        var base64 = Convert.ToBase64String(bytes);
        CryptographicOperations.ZeroMemory(bytes);

        var pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (var i = 0; i < base64.Length; i += 70)
        {
            pem.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
        }

        pem.Append("-----END OPENSSH PRIVATE KEY-----\n");
        return pem.ToString();
    }

    private sealed class SshWriter
    {
        private readonly MemoryStream _stream = new();

        public long Length => _stream.Length;

        public void UInt32(uint value)
        {
            Span<byte> buffer = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(buffer, value);
            _stream.Write(buffer);
        }

        public void String(ReadOnlySpan<byte> value)
        {
            UInt32((uint)value.Length);
            _stream.Write(value);
        }

        public void Raw(ReadOnlySpan<byte> value) => _stream.Write(value);

        public byte[] ToArray() => _stream.ToArray();
    }
}
