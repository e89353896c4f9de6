using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;
using DevOpsTools.Engine.Tests.Hardening;
using Xunit.Abstractions;

namespace DevOpsTools.Engine.Tests.Ssh;

/// <summary>The ssh-agent protocol client against a real OpenSSH ssh-agent.</summary>
public sealed class SshAgentClientTests : IDisposable
{
    private readonly SshAgentProcess _agent = new();

    [SkippableFact]
    public void Identities_are_listed_with_their_blobs_and_comments_and_an_empty_agent_lists_none()
    {
        Skip.If(_agent.SkipReason is not null, _agent.SkipReason);
        var client = new SshAgentClient(_agent.SocketPath);
        Assert.Empty(client.RequestIdentities());

        var (ed, edPub) = _agent.NewKey("id_ed");
        var (rsa, rsaPub) = _agent.NewKey("id_rsa", "rsa");
        _agent.Add(ed);
        _agent.Add(rsa);
        var identities = client.RequestIdentities();

        Assert.Equal(2, identities.Count);
        Assert.Equal(["ssh-ed25519", "ssh-rsa"], identities.Select(i => i.KeyType));
        Assert.Equal(Convert.FromBase64String(edPub.Split(' ')[1]), identities[0].PublicKeyBlob);
        Assert.Equal(Convert.FromBase64String(rsaPub.Split(' ')[1]), identities[1].PublicKeyBlob);
        Assert.Equal("agent-test-id_ed", identities[0].Comment);
        Assert.StartsWith("ssh-ed25519 SHA256:", identities[0].ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_agent_signs_with_the_requested_algorithm_and_a_key_it_lacks_is_a_failure_answer()
    {
        Skip.If(_agent.SkipReason is not null, _agent.SkipReason);
        var client = new SshAgentClient(_agent.SocketPath);
        var (ed, _) = _agent.NewKey("id_ed");
        var (rsa, _) = _agent.NewKey("id_rsa", "rsa");
        _agent.Add(ed);
        _agent.Add(rsa);
        var identities = client.RequestIdentities();
        var data = "session id and request"u8.ToArray();

        Assert.Equal("ssh-ed25519", SignatureFormat(client.Sign(identities[0].PublicKeyBlob, data, 0)));
        Assert.Equal("rsa-sha2-256", SignatureFormat(client.Sign(identities[1].PublicKeyBlob, data, SshAgentClient.RsaSha2256)));
        Assert.Equal("rsa-sha2-512", SignatureFormat(client.Sign(identities[1].PublicKeyBlob, data, SshAgentClient.RsaSha2512)));

        _agent.Add("-D");
        var refused = Assert.Throws<SshAgentException>(() => client.Sign(identities[0].PublicKeyBlob, data, 0));
        Assert.Contains("SSH_AGENT_FAILURE", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_failure_answer_a_truncated_answer_and_an_unreachable_agent_are_agent_errors()
    {
        Skip.If(_agent.SkipReason is not null, _agent.SkipReason);
        Assert.Contains("SSH_AGENT_FAILURE", Assert.Throws<SshAgentException>(() => SshAgentClient.ParseIdentitiesAnswer([5])).Message, StringComparison.Ordinal);
        Assert.Throws<SshAgentException>(() => SshAgentClient.ParseIdentitiesAnswer([12, 0, 0, 0, 1, 0, 0, 0, 9, 1]));
        Assert.Throws<SshAgentException>(() => SshAgentClient.ParseIdentitiesAnswer([14]));

        _agent.Kill();
        var unreachable = Assert.Throws<SshAgentException>(() => new SshAgentClient(_agent.SocketPath).RequestIdentities());
        Assert.Contains(_agent.SocketPath, unreachable.Message, StringComparison.Ordinal);
    }

    /// <summary>The algorithm name at the start of an SSH signature blob (string format, string signature).</summary>
    private static string SignatureFormat(byte[] signature)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(signature);
        return System.Text.Encoding.ASCII.GetString(signature, 4, length);
    }

    public void Dispose() => _agent.Dispose();
}

/// <summary>-HostName (external) logins with keys only an ssh-agent holds, against a real Debian server in Podman.</summary>
[Collection("Podman hardening")]
[Trait("Category", "Podman")]
public sealed class SshAgentLoginTests(PodmanServerFixture fixture, ITestOutputHelper log) : IDisposable
{
    private readonly SshAgentProcess _agent = new();

    [SkippableFact]
    public async Task An_external_machine_is_logged_into_with_agent_keys_only_after_a_refused_identity_file()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Skip.If(_agent.SkipReason is not null, _agent.SkipReason);
        var server = await fixture.CreateAsync(netAdmin: false);
        var (ed, edPub) = _agent.NewKey("id_agent_ed");
        var (rsa, rsaPub) = _agent.NewKey("id_agent_rsa", "rsa");
        var (stranger, _) = _agent.NewKey("id_stranger");
        var (fallback, fallbackPub) = _agent.NewKey("id_default");
        await Podman.RunAsync(["exec", "-i", server.Container, "sh", "-c", "cat >> /home/admin/.ssh/authorized_keys"], $"{edPub}\n{rsaPub}\n{fallbackPub}\n");
        _agent.Add(ed);
        File.Delete(ed);  // only the agent holds it now

        var hostKey = (await server.ExecAsync("cat /etc/ssh/ssh_host_ed25519_key.pub")).Trim().Split(' ');
        var knownHosts = Path.Combine(_agent.Directory, "known_hosts");
        await File.WriteAllTextAsync(knownHosts, $"[127.0.0.1]:{server.Server.SshPort} {hostKey[0]} {hostKey[1]}\n");
        var external = new Server
        {
            Name = "agent-login", Environment = string.Empty, Provider = SshConnectionPool.ExternalProvider, State = "Running",
            Address = "127.0.0.1", SshPort = server.Server.SshPort, User = "admin",
        };
        SshConnectionPool Pool(string? socket, params string[] defaultKeys) => new(new ModuleData(Path.Combine(_agent.Directory, "data")))
        {
            ExternalKnownHostsFiles = [knownHosts], AgentSocket = socket, DefaultIdentityFiles = defaultKeys,
        };

        await using (var pool = Pool(_agent.SocketPath))
        {
            var ok = await pool.GetShell(external).RunAsync("id -un", false, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("admin", ok.StdOut.Trim());

            // An explicit key the server refuses is tried first; the agent's key then logs in.
            var withRefusedKey = new Server
            {
                Name = "agent-after-key", Environment = string.Empty, Provider = SshConnectionPool.ExternalProvider, State = "Running",
                Address = "127.0.0.1", SshPort = server.Server.SshPort, User = "admin", IdentityFile = stranger,
            };
            ok = await pool.GetShell(withRefusedKey).RunAsync("id -un", false, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("admin", ok.StdOut.Trim());
        }

        // An rsa key in the agent signs as rsa-sha2-512/256.
        _agent.Add("-D");
        _agent.Add(rsa);
        File.Delete(rsa);
        await using (var pool = Pool(_agent.SocketPath))
        {
            var ok = await pool.GetShell(external).RunAsync("id -un", false, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("admin", ok.StdOut.Trim());
        }

        // An agent holding only keys the server refuses: SshAuthenticationFailed naming the agent, no key material.
        _agent.Add("-D");
        _agent.Add(stranger);
        await using (var pool = Pool(_agent.SocketPath))
        {
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => pool.GetShell(external).RunAsync("true", false, TimeSpan.FromSeconds(30), CancellationToken.None));
            log.WriteLine(error.Message);
            Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
            Assert.Contains("1 ssh-agent key(s)", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(edPub.Split(' ')[1], error.ToString(), StringComparison.Ordinal);
        }

        // No agent reachable and no other key: the same error, saying the agent was tried.
        _agent.Kill();
        await using (var pool = Pool(_agent.SocketPath))
        {
            var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => pool.GetShell(external).RunAsync("true", false, TimeSpan.FromSeconds(30), CancellationToken.None));
            log.WriteLine(error.Message);
            Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
            Assert.Contains("ssh-agent", error.Message, StringComparison.Ordinal);
        }

        // An unreachable agent is no error when a default key file logs in.
        await using (var pool = Pool(_agent.SocketPath, Path.Combine(_agent.Directory, "id_missing"), fallback))
        {
            var ok = await pool.GetShell(external).RunAsync("id -un", false, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("admin", ok.StdOut.Trim());
        }
    }

    public void Dispose() => _agent.Dispose();
}
