using System.Diagnostics;

namespace DevOpsTools.Engine.Tests.Ssh;

/// <summary>
/// A real OpenSSH ssh-agent on a socket in its own temp directory (named after this worktree's
/// tests), with ssh-keygen and ssh-add against it. Disposing kills the agent and deletes the directory.
/// </summary>
public sealed class SshAgentProcess : IDisposable
{
    private readonly Process? _agent;

    public SshAgentProcess()
    {
        // Short: the agent's socket path must fit sun_path (108 bytes).
        Directory = ScratchDirectory.Claim($"ssh-agent-test-{Guid.NewGuid():N}"[..32]).Path;
        System.IO.Directory.CreateDirectory(Directory);
        SocketPath = Path.Combine(Directory, "agent.sock");
        if (Which("ssh-agent") is null || Which("ssh-add") is null || Which("ssh-keygen") is null)
        {
            SkipReason = "OpenSSH client tools (ssh-agent, ssh-add, ssh-keygen) are not installed.";
            return;
        }

        // -D: stay in the foreground, so this process is the agent and Dispose can kill it by id.
        _agent = Process.Start(new ProcessStartInfo("ssh-agent", ["-D", "-a", SocketPath]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        for (var i = 0; i < 100 && !File.Exists(SocketPath); i++)
        {
            Thread.Sleep(50);
        }

        if (!File.Exists(SocketPath))
        {
            Dispose();
            throw new InvalidOperationException("ssh-agent did not create its socket within 5 s.");
        }
    }

    public string? SkipReason { get; }

    public string Directory { get; }

    public string SocketPath { get; }

    /// <summary>A new passphrase-less key pair in the temp directory: (private key path, public key line).</summary>
    public (string PrivateKey, string PublicKey) NewKey(string name, string type = "ed25519")
    {
        var path = Path.Combine(Directory, name);
        Run("ssh-keygen", "-q", "-t", type, "-N", string.Empty, "-C", $"agent-test-{name}", "-f", path);
        return (path, File.ReadAllText(path + ".pub").Trim());
    }

    /// <summary>ssh-add with this agent's socket.</summary>
    public void Add(params string[] args) => Run("ssh-add", args);

    /// <summary>Stops the agent (its socket stays, unanswered) before the test ends.</summary>
    public void Kill()
    {
        if (_agent is { HasExited: false })
        {
            _agent.Kill();
            _agent.WaitForExit(5000);
        }
    }

    private void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["SSH_AUTH_SOCK"] = SocketPath;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        process.WaitForExit(30_000);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        }
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    public void Dispose()
    {
        Kill();
        _agent?.Dispose();
        ScratchDirectory.Delete(Directory);
    }
}
