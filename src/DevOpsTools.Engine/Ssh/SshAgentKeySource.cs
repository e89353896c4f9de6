using Renci.SshNet;
using Renci.SshNet.Security;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// The keys of an ssh-agent as an SSH.NET key source: SSH.NET's public-key authentication offers each
/// identity's public key and asks the agent to sign (no private key ever enters this process).
/// ed25519 and ecdsa keys sign as themselves, rsa keys as rsa-sha2-512 then rsa-sha2-256; other types are skipped.
/// </summary>
public sealed class SshAgentKeySource : IPrivateKeySource
{
    public SshAgentKeySource(SshAgentClient agent, IEnumerable<SshAgentIdentity> identities)
    {
        HostKeyAlgorithms = identities.SelectMany(identity => AlgorithmsOf(agent, identity)).ToList();
    }

    public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; }

    private static IEnumerable<HostAlgorithm> AlgorithmsOf(SshAgentClient agent, SshAgentIdentity identity) => identity.KeyType switch
    {
        "ssh-ed25519" or "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521" => [new AgentHostAlgorithm(identity.KeyType, identity.PublicKeyBlob, agent, 0)],
        "ssh-rsa" =>
        [
            new AgentHostAlgorithm("rsa-sha2-512", identity.PublicKeyBlob, agent, SshAgentClient.RsaSha2512),
            new AgentHostAlgorithm("rsa-sha2-256", identity.PublicKeyBlob, agent, SshAgentClient.RsaSha2256),
        ],
        _ => [],
    };

    /// <summary>One agent key under one signature algorithm; <see cref="Sign"/> is done by the agent.</summary>
    private sealed class AgentHostAlgorithm(string name, byte[] publicKeyBlob, SshAgentClient agent, uint flags) : HostAlgorithm(name)
    {
        public override byte[] Data => publicKeyBlob;

        public override byte[] Sign(byte[] data) => agent.Sign(publicKeyBlob, data, flags);

        public override bool VerifySignature(byte[] data, byte[] signature) =>
            throw new NotSupportedException("An ssh-agent key only signs; it does not verify signatures.");
    }
}
