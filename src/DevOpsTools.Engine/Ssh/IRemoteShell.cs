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

    /// <summary>
    /// Like <see cref="RunAsync(string, bool, TimeSpan, CancellationToken)"/>, and every complete
    /// line of stdout and stderr goes to <paramref name="onLine"/> as it arrives (long commands,
    /// logs, -Follow); the result still holds the whole output and the exit code. The callback
    /// runs on a reader thread and must be quick. A shell that cannot stream (this default)
    /// replays the lines when the script has ended.
    /// </summary>
    async Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, Action<RemoteOutputLine> onLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        var result = await RunAsync(script, sudo, timeout, cancellationToken).ConfigureAwait(false);
        RemoteLineSplitter.Replay(result.StdOut, RemoteStream.StdOut, onLine);
        RemoteLineSplitter.Replay(result.StdErr, RemoteStream.StdErr, onLine);
        return result;
    }

    /// <summary>
    /// Runs a script like <see cref="RunAsync(string, bool, TimeSpan, CancellationToken)"/> and copies
    /// its stdout as raw bytes into <paramref name="stdout"/> while it runs (no text decoding, never
    /// held whole in memory: a database dump). The result's StdOut is empty; StdErr holds the text.
    /// A shell without a binary channel (this default) refuses with NotSupportedException.
    /// </summary>
    Task<RemoteResult> RunToStreamAsync(string script, bool sudo, TimeSpan timeout, Stream stdout, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot stream binary output.");

    /// <summary>
    /// Runs a script whose stdin, after the script itself, is the bytes of <paramref name="stdin"/>
    /// (to its end, then end of file): a command of the script that reads stdin reads them (a
    /// database restore). The script runs as a function of `bash -s`, which reads its input one byte
    /// at a time, so it never consumes the data. A shell without a binary channel (this default)
    /// refuses with NotSupportedException.
    /// </summary>
    Task<RemoteResult> RunFromStreamAsync(string script, bool sudo, TimeSpan timeout, Stream stdin, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot stream binary input.");

    /// <summary>
    /// Uploads <paramref name="content"/> to <paramref name="target"/>: staged as the login user,
    /// then placed as root with the target's mode, owner and group, and verified by SHA-256.
    /// The target is validated first (absolute path, octal mode, POSIX names): an invalid one is
    /// an ArgumentException and nothing is sent. The SSH shell uploads over SFTP; a shell without
    /// a file channel (this default) refuses with NotSupportedException.
    /// </summary>
    Task<RemoteFileInfo> UploadAsync(Stream content, RemoteFileTarget target, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot upload files.");

    /// <summary>
    /// Forwards a free port on this machine's 127.0.0.1 to <paramref name="remoteHost"/>:<paramref name="remotePort"/>
    /// as seen from the server (its loopback by default), until the returned forward is disposed.
    /// The SSH shell uses the pooled connection (the server's sshd must allow TCP forwarding);
    /// a shell without a tunnel (this default) refuses with NotSupportedException.
    /// </summary>
    Task<ILocalPortForward> ForwardLocalPortAsync(int remotePort, string remoteHost, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot forward ports.");
}

/// <summary>What a remote script returned.</summary>
public sealed record RemoteResult(int ExitCode, string StdOut, string StdErr, TimeSpan Duration);

/// <summary>Which output stream a remote line came from.</summary>
public enum RemoteStream
{
    StdOut,
    StdErr,
}

/// <summary>One line of a remote command's output, without its line break.</summary>
public sealed record RemoteOutputLine(RemoteStream Stream, string Text);
