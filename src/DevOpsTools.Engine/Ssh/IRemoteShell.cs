namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Runs shell scripts on one server. The SSH implementation keeps one connection per server
/// and reuses it, so callers batch related commands into one script (one round trip).
/// Hardening and deployment use only this seam; tests may implement it over `podman exec`.
/// </summary>
public interface IRemoteShell : IAsyncDisposable
{
    /// <summary>The server this shell talks to.</summary>
    Server Server { get; }

    /// <summary>
    /// Runs a POSIX sh script (passed on stdin, never on the command line, so it can be large
    /// and never shows up in `ps`). With <paramref name="sudo"/> it runs as root through
    /// `sudo -n`. The token and the timeout both end the remote command.
    /// </summary>
    Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>What a remote script returned.</summary>
public sealed record RemoteResult(int ExitCode, string StdOut, string StdErr, TimeSpan Duration);
