using System.Diagnostics;
using System.Text;
using DevOpsTools.Engine.Core;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// <see cref="IRemoteShell"/> over a pooled SSH connection. The script goes to `sh -s` on stdin
/// (never on the command line). The remote side runs under coreutils `timeout`, so a time-out
/// kills the script's whole process group on the server even if the connection is lost; on
/// Ctrl+C a second command on the same connection kills it (matched by a per-run marker), and
/// the call returns within a few seconds either way.
/// </summary>
internal sealed class SshRemoteShell : IRemoteShell
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);
    private readonly SshConnectionPool _pool;

    public SshRemoteShell(SshConnectionPool pool, Server server)
    {
        _pool = pool;
        Server = server;
    }

    public Server Server { get; }

    public Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunCoreAsync(script, sudo, timeout, null, null, null, cancellationToken);

    /// <summary>stdout copied as raw bytes into <paramref name="stdout"/> while the script runs (see <see cref="IRemoteShell"/>).</summary>
    public Task<RemoteResult> RunToStreamAsync(string script, bool sudo, TimeSpan timeout, Stream stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        return RunCoreAsync(script, sudo, timeout, null, stdout, null, cancellationToken);
    }

    /// <summary>The script, then the bytes of <paramref name="stdin"/>, on the command's stdin (see <see cref="IRemoteShell"/>).</summary>
    public Task<RemoteResult> RunFromStreamAsync(string script, bool sudo, TimeSpan timeout, Stream stdin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        return RunCoreAsync(script, sudo, timeout, null, null, stdin, cancellationToken);
    }

    /// <summary>Streams stdout and stderr lines from the channel as they arrive (see <see cref="IRemoteShell"/>).</summary>
    public Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, Action<RemoteOutputLine> onLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        return RunCoreAsync(script, sudo, timeout, onLine, null, null, cancellationToken);
    }

    private async Task<RemoteResult> RunCoreAsync(string script, bool sudo, TimeSpan timeout, Action<RemoteOutputLine>? onLine, Stream? binaryOut, Stream? binaryIn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The time-out must be positive.");
        }

        var watch = Stopwatch.StartNew();
        var client = await _pool.GetClientAsync(Server, cancellationToken).ConfigureAwait(false);
        var marker = "devopstools-run-" + Guid.NewGuid().ToString("N");
        var seconds = (long)Math.Ceiling(timeout.TotalSeconds);
        var commandText = (sudo ? "sudo -n " : string.Empty) + $"timeout -k {KillGrace.TotalSeconds:0} {seconds} {(binaryIn is null ? "sh" : "bash")} -s {marker}";

        using var command = client.CreateCommand(commandText, Encoding.UTF8);
        var execution = command.ExecuteAsync(CancellationToken.None);

        // Streaming: read both channel streams while the command runs (they end when it does).
        RemoteLineSplitter? stdout = null, stderr = null;
        Task readers = Task.CompletedTask;
        if (binaryOut is not null)
        {
            // Raw bytes to the caller's stream as they arrive; stderr is text, collected whole.
            stderr = new RemoteLineSplitter(RemoteStream.StdErr, _ => { });
            readers = Task.WhenAll(
                Task.Run(() => command.OutputStream.CopyToAsync(binaryOut, 1 << 16, cancellationToken), CancellationToken.None),
                Task.Run(() => stderr.ReadToEndAsync(command.ExtendedOutputStream), CancellationToken.None));
        }
        else if (onLine is not null)
        {
            stdout = new RemoteLineSplitter(RemoteStream.StdOut, onLine);
            stderr = new RemoteLineSplitter(RemoteStream.StdErr, onLine);
            readers = Task.WhenAll(
                Task.Run(() => stdout.ReadToEndAsync(command.OutputStream), CancellationToken.None),
                Task.Run(() => stderr.ReadToEndAsync(command.ExtendedOutputStream), CancellationToken.None));
        }

        try
        {
            using (var input = command.CreateInputStream())
            {
                var text = script.EndsWith('\n') ? script : script + "\n";
                if (binaryIn is not null)
                {
                    // bash reads a pipe byte by byte and runs the function's call line before it
                    // reads further, so the data after that line is left to the script's commands.
                    text = "devopstools_main() {\n" + text + "}\ndevopstools_main\n";
                }

                await input.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
                if (binaryIn is not null)
                {
                    await CopyInputAsync(binaryIn, input, execution, cancellationToken).ConfigureAwait(false);
                }
            }

            // The remote `timeout` ends the script first; the local deadline is a backstop for a
            // connection that stops answering.
            await execution.WaitAsync(timeout + KillGrace + KillGrace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            await StopRemoteAsync(client, command, execution, marker, sudo).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"The command on {Server.Environment}/{Server.Name} was cancelled and stopped.", ex, cancellationToken);
            }

            throw TimedOut(timeout, ex);
        }
        catch (SshException ex)
        {
            await _pool.ForgetAsync(Server).ConfigureAwait(false);
            throw ErrorClassifier.Classify(ex, Server);
        }

        if (binaryOut is not null)
        {
            // Every byte must reach the caller's stream: a dump cut short is an error, not a result.
            try
            {
                await readers.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw TimedOut(timeout, ex);
            }
        }
        else if (onLine is not null)
        {
            try
            {
                await readers.WaitAsync(KillGrace, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The channel closed without ending its streams: keep what was read.
            }
        }

        var exitCode = command.ExitStatus ?? (command.ExitSignal is null ? -1 : 128 + SignalNumber(command.ExitSignal));
        var elapsed = watch.Elapsed;

        // 124: `timeout` ended the script (137: it had to use SIGKILL).
        if (exitCode is 124 or 137 && elapsed >= timeout - TimeSpan.FromMilliseconds(500))
        {
            throw TimedOut(timeout, null);
        }

        if (binaryOut is not null)
        {
            await binaryOut.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new RemoteResult(exitCode, string.Empty, stderr!.Text, elapsed);
        }

        return stdout is not null && stderr is not null
            ? new RemoteResult(exitCode, stdout.Text, stderr.Text, elapsed)
            : new RemoteResult(exitCode, command.Result, command.Error, elapsed);
    }

    /// <summary>SFTP upload, placed as root with mode and owner, verified by SHA-256 (see <see cref="SshFileUpload"/>).</summary>
    public Task<RemoteFileInfo> UploadAsync(Stream content, RemoteFileTarget target, CancellationToken cancellationToken) =>
        SshFileUpload.UploadAsync(_pool, Server, content, target, cancellationToken);

    /// <summary>A local port forward over the pooled connection (see <see cref="ILocalPortForward"/>).</summary>
    public Task<ILocalPortForward> ForwardLocalPortAsync(int remotePort, string remoteHost, CancellationToken cancellationToken) =>
        SshLocalForward.StartAsync(_pool, Server, remoteHost, remotePort, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private DevOpsToolsException TimedOut(TimeSpan timeout, Exception? inner) =>
        new(ErrorIds.RemoteCommandTimeout, ErrorKind.OperationTimeout,
            $"The command on {Server.Environment}/{Server.Name} did not finish within {timeout.TotalSeconds:0} s and was stopped.", Server, inner);

    /// <summary>Copies the caller's data to the command's stdin; a command that ended (and closed it) early ends the copy quietly.</summary>
    private static async Task CopyInputAsync(Stream source, Stream input, Task execution, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(input, 1 << 16, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (execution.IsCompleted && ex is SshException or InvalidOperationException or ObjectDisposedException)
        {
            // The exit code tells why it stopped reading.
        }
    }

    /// <summary>Kills the remote script's processes and waits briefly for the channel to close.</summary>
    private static async Task StopRemoteAsync(SshClient client, SshCommand command, Task execution, string marker, bool sudo)
    {
        // "[d]evopstools-run-..." matches the marker but not this pkill's own command line.
        var pattern = "[" + marker[0] + "]" + marker[1..];
        try
        {
            using var kill = client.CreateCommand((sudo ? "sudo -n " : string.Empty) + $"pkill -TERM -f '{pattern}'");
            await kill.ExecuteAsync(CancellationToken.None).WaitAsync(KillGrace).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or TimeoutException or InvalidOperationException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The connection is gone: the remote `timeout` still ends the script.
        }

        try
        {
            await execution.WaitAsync(KillGrace).ConfigureAwait(false);
        }
        catch (Exception)
        {
            try
            {
                command.CancelAsync(forceKill: true, millisecondsTimeout: 1000);
            }
            catch (Exception cancelError) when (cancelError is SshException or InvalidOperationException or ObjectDisposedException)
            {
            }
        }
    }

    private static int SignalNumber(string signal) => signal switch
    {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "KILL" => 9,
        "SEGV" => 11,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        _ => 0,
    };
}
