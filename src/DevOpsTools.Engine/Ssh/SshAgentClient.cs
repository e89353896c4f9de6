using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace DevOpsTools.Engine.Ssh;

/// <summary>A key held by an ssh-agent: its public key blob (the agent never hands out private keys) and comment.</summary>
public sealed record SshAgentIdentity(byte[] PublicKeyBlob, string Comment)
{
    /// <summary>The key type named at the start of the blob (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...).</summary>
    public string KeyType => new SshAgentReader(PublicKeyBlob).ReadString();

    public override string ToString() => $"{KeyType} {OpenSshKeys.Fingerprint(PublicKeyBlob)}";
}

/// <summary>The agent answered SSH_AGENT_FAILURE, something unexpected, or could not be reached.</summary>
public sealed class SshAgentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A client of the ssh-agent protocol (draft-miller-ssh-agent) over the agent's Unix socket:
/// list the identities it holds and have it sign data with one of them. One socket connection per
/// request, so the client holds nothing open and can be used from any thread.
/// </summary>
public sealed class SshAgentClient(string socketPath)
{
    internal const byte AgentFailure = 5;
    internal const byte RequestIdentitiesCode = 11;
    internal const byte IdentitiesAnswer = 12;
    internal const byte SignRequestCode = 13;
    internal const byte SignResponse = 14;

    /// <summary>Sign flag asking for an rsa-sha2-256 signature of an ssh-rsa key.</summary>
    public const uint RsaSha2256 = 2;

    /// <summary>Sign flag asking for an rsa-sha2-512 signature of an ssh-rsa key.</summary>
    public const uint RsaSha2512 = 4;

    /// <summary>Largest answer accepted (OpenSSH's own limit is 256 KiB).</summary>
    private const int MaxMessage = 256 * 1024;

    public string SocketPath { get; } = socketPath;

    /// <summary>How long one request may take, connect to answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The agent of this session (SSH_AUTH_SOCK), or null when none is set.</summary>
    public static SshAgentClient? FromEnvironment() =>
        Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") is { Length: > 0 } path ? new SshAgentClient(path) : null;

    /// <summary>SSH_AGENTC_REQUEST_IDENTITIES: the public keys the agent holds, in its order.</summary>
    public IReadOnlyList<SshAgentIdentity> RequestIdentities() => ParseIdentitiesAnswer(Exchange([RequestIdentitiesCode]));

    /// <summary>SSH_AGENTC_SIGN_REQUEST: the agent's signature (string format, string blob) of data with the key of that blob.</summary>
    public byte[] Sign(byte[] publicKeyBlob, byte[] data, uint flags)
    {
        var request = new MemoryStream();
        request.WriteByte(SignRequestCode);
        WriteString(request, publicKeyBlob);
        WriteString(request, data);
        WriteUInt32(request, flags);
        var answer = Exchange(request.ToArray());
        var reader = new SshAgentReader(answer);
        return reader.ReadByte() switch
        {
            SignResponse => reader.ReadBytes(),
            AgentFailure => throw new SshAgentException("The ssh-agent refused to sign (SSH_AGENT_FAILURE): it may no longer hold the key, or asked for confirmation that was denied."),
            var code => throw new SshAgentException($"The ssh-agent answered message {code} to a sign request."),
        };
    }

    /// <summary>Parses an identities answer message (type byte first); a failure answer is an <see cref="SshAgentException"/>.</summary>
    public static IReadOnlyList<SshAgentIdentity> ParseIdentitiesAnswer(ReadOnlySpan<byte> message)
    {
        var reader = new SshAgentReader(message.ToArray());
        var code = reader.ReadByte();
        if (code == AgentFailure)
        {
            throw new SshAgentException("The ssh-agent refused to list its keys (SSH_AGENT_FAILURE).");
        }

        if (code != IdentitiesAnswer)
        {
            throw new SshAgentException($"The ssh-agent answered message {code} to a request for its keys.");
        }

        var count = reader.ReadUInt32();
        var identities = new List<SshAgentIdentity>();
        for (var i = 0; i < count; i++)
        {
            var blob = reader.ReadBytes();
            identities.Add(new SshAgentIdentity(blob, Encoding.UTF8.GetString(reader.ReadBytes())));
        }

        return identities;
    }

    /// <summary>Sends one message (uint32 length + contents) and returns the contents of the answer.</summary>
    private byte[] Exchange(byte[] message)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.SendTimeout = socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            var framed = new byte[4 + message.Length];
            BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)message.Length);
            message.CopyTo(framed, 4);
            socket.Send(framed);
            var header = ReceiveExactly(socket, 4);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length is 0 or > MaxMessage)
            {
                throw new SshAgentException($"The ssh-agent sent a message of {length} bytes.");
            }

            return ReceiveExactly(socket, (int)length);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            throw new SshAgentException($"The ssh-agent at {SocketPath} could not be reached: {ex.Message}", ex);
        }
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                throw new SshAgentException("The ssh-agent closed the connection before answering.");
            }

            read += n;
        }

        return buffer;
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteString(Stream stream, byte[] value)
    {
        WriteUInt32(stream, (uint)value.Length);
        stream.Write(value);
    }
}

/// <summary>Reads the SSH wire types (byte, uint32, string) of an agent message, refusing truncated data.</summary>
internal sealed class SshAgentReader(byte[] data)
{
    private int _offset;

    public byte ReadByte() => Take(1)[0];

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public byte[] ReadBytes()
    {
        var length = ReadUInt32();
        return length > (uint)(data.Length - _offset) ? throw new SshAgentException("The ssh-agent sent a truncated message.") : Take((int)length).ToArray();
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > data.Length - _offset)
        {
            throw new SshAgentException("The ssh-agent sent a truncated message.");
        }

        var span = data.AsSpan(_offset, count);
        _offset += count;
        return span;
    }
}
