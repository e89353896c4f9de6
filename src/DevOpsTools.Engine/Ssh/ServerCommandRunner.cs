using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Runs one script on many servers in parallel over SSH (Invoke-ServerCommand): one result per
/// server, a non-zero exit is a RemoteCommandFailed error for that server while the others go on.
/// </summary>
public static class ServerCommandRunner
{
    private const int ProgressId = 1;

    public static async Task RunAsync(
        SshConnectionPool pool,
        IReadOnlyList<Server> servers,
        string script,
        string commandLabel,
        bool sudo,
        int throttleLimit,
        TimeSpan timeout,
        IOutputSink output,
        Action<ServerCommandResult> emit,
        CancellationToken cancellationToken)
    {
        if (servers.Count == 0)
        {
            return;
        }

        var total = servers.Count;
        var done = 0;
        output.WriteProgress(new ProgressUpdate(ProgressId, "Running command", $"0/{total} servers", 0) { CurrentOperation = commandLabel });
        using var throttle = new SemaphoreSlim(Math.Max(1, throttleLimit));
        var tasks = servers.Select(async server =>
        {
            await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await pool.GetShell(server).RunAsync(script, sudo, timeout, cancellationToken).ConfigureAwait(false);
                var commandResult = new ServerCommandResult
                {
                    Server = server,
                    Command = commandLabel,
                    ExitCode = result.ExitCode,
                    StdOut = result.StdOut,
                    StdErr = result.StdErr,
                    Duration = result.Duration,
                };
                emit(commandResult);
                if (result.ExitCode != 0)
                {
                    var detail = ExternalProcess.Tail(result.StdErr, 3);
                    output.WriteError(new DevOpsToolsException(ErrorIds.RemoteCommandFailed, ErrorKind.InvalidOperation,
                        $"'{commandLabel}' failed on {server.Environment}/{server.Name} with exit code {result.ExitCode}" + (detail.Length > 0 ? $": {detail}" : "."), server));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var error = ErrorClassifier.Classify(ex, server);
                output.WriteError(error.Target is Server ? error : new DevOpsToolsException(error.ErrorId, error.Kind, $"{server.Environment}/{server.Name}: {error.Message}", server, ex) { RecommendedAction = error.RecommendedAction });
            }
            finally
            {
                throttle.Release();
                var n = Interlocked.Increment(ref done);
                output.WriteProgress(new ProgressUpdate(ProgressId, "Running command", $"{n}/{total} servers", n * 100 / total) { CurrentOperation = $"{server.Name}: done" });
            }
        }).ToList();

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            output.WriteProgress(new ProgressUpdate(ProgressId, "Running command", "done", 100, Completed: true));
        }
    }
}
