using System.Diagnostics;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Waits until a new server answers SSH with its recorded host key and accepts the environment's
/// key, then until its boot has finished (systemd). Each attempt is short; the overall time-out
/// names the stage the server was stuck in.
/// </summary>
public static class SshReadiness
{
    public const string StageSshPort = "waiting for the SSH port";
    public const string StageSshLogin = "waiting for SSH login";
    public const string StageBoot = "waiting for boot to finish";

    /// <summary>Returns the boot state reported by systemd (running, degraded...).</summary>
    public static async Task<string> WaitAsync(SshConnectionPool pool, Server server, TimeSpan timeout, Action<string> reportStage, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var stage = StageSshPort;
        Exception? lastError = null;
        var delay = TimeSpan.FromMilliseconds(200);
        reportStage(stage);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = timeout - watch.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new DevOpsToolsException(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout,
                    $"Server '{server.Environment}/{server.Name}' did not become ready within {timeout.TotalSeconds:0} s: stuck {stage}" +
                    (lastError is null ? "." : $" (last error: {lastError.Message})."), server, lastError);
            }

            try
            {
                if (stage == StageSshPort)
                {
                    await ProbeTcpAsync(server, Min(remaining, TimeSpan.FromSeconds(5)), cancellationToken).ConfigureAwait(false);
                    stage = StageSshLogin;
                    reportStage(stage);
                }

                // Connects (host key verified, key authentication) and keeps the connection in
                // the pool for the boot check and whatever the caller runs next.
                var shell = pool.GetShell(server);
                stage = StageBoot;
                reportStage(stage);
                var bootLeft = timeout - watch.Elapsed;
                if (bootLeft <= TimeSpan.Zero)
                {
                    continue;
                }

                var result = await shell.RunAsync("systemctl is-system-running --wait 2>/dev/null || true", sudo: false, Max(bootLeft, TimeSpan.FromSeconds(1)), cancellationToken).ConfigureAwait(false);
                var state = result.StdOut.Trim();
                return state.Length == 0 ? "unknown" : state;
            }
            catch (DevOpsToolsException ex) when (ex.ErrorId is ErrorIds.HostKeyMismatch or ErrorIds.HostKeyUnknown)
            {
                throw;
            }
            catch (DevOpsToolsException ex) when (ex.ErrorId == ErrorIds.RemoteCommandTimeout)
            {
                lastError = ex;
            }
            catch (Exception ex) when (ex is DevOpsToolsException or SshException or SocketException or IOException or TimeoutException)
            {
                // Not up yet (refused, reset before the banner, sshd still reading keys): retry.
                lastError = ex;
                if (stage == StageBoot)
                {
                    stage = StageSshLogin;
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Min(delay * 1.5, TimeSpan.FromSeconds(2));
        }
    }

    private static async Task ProbeTcpAsync(Server server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        using var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(server.Address!, server.SshPort, source.Token).ConfigureAwait(false);

            // Port forwarding accepts before sshd listens: wait for the SSH banner.
            var stream = tcp.GetStream();
            var buffer = new byte[4];
            var read = await stream.ReadAsync(buffer, source.Token).ConfigureAwait(false);
            if (read < 4 || buffer[0] != (byte)'S' || buffer[1] != (byte)'S' || buffer[2] != (byte)'H')
            {
                throw new IOException($"{server.Address}:{server.SshPort} accepted the connection but sent no SSH banner.");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No SSH banner from {server.Address}:{server.SshPort} within {timeout.TotalSeconds:0} s.");
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
