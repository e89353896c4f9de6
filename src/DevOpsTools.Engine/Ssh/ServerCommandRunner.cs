using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Ssh;

/// <summary>One script to run on many servers (Invoke-ServerCommand).</summary>
public sealed record ServerCommand(string Script, string Label, bool Sudo, TimeSpan Timeout);

/// <summary>
/// Runs one script on many servers in parallel over SSH (Invoke-ServerCommand): one result per
/// server, a non-zero exit is a RemoteCommandFailed error for that server while the others go on.
/// Output lines are reported as they arrive (<see cref="ServerOutputLine"/> on the information stream).
/// </summary>
public static class ServerCommandRunner
{
    /// <summary>The information-stream tag of streamed output lines.</summary>
    public const string OutputTag = "ServerOutput";

    public static async Task RunAsync(EngineContext context, SshConnectionPool pool, IReadOnlyList<Server> servers, ServerCommand command, int throttleLimit)
    {
        var options = new FanOutOptions { Activity = "Running command", DoneWord = "servers", ThrottleLimit = throttleLimit, Detail = command.Label };
        await FanOut.RunAsync(context, servers, options, s => $"{s.Environment}/{s.Name}", async (server, step) =>
        {
            // Lines go to the information stream as they arrive; the result still holds them all.
            var result = await pool.GetShell(server).RunAsync(command.Script, command.Sudo, command.Timeout,
                line => context.Output.WriteInformation(
                    new ServerOutputLine { Server = server, Stream = line.Stream.ToString(), Line = line.Text },
                    [OutputTag, line.Stream.ToString()]),
                step.CancellationToken).ConfigureAwait(false);
            context.Emit(new ServerCommandResult
            {
                Server = server,
                Command = command.Label,
                ExitCode = result.ExitCode,
                StdOut = result.StdOut,
                StdErr = result.StdErr,
                Duration = result.Duration,
            });
            if (result.ExitCode != 0)
            {
                var detail = ExternalProcess.Tail(result.StdErr, 3);
                context.Output.WriteError(new DevOpsToolsException(ErrorIds.RemoteCommandFailed, ErrorKind.InvalidOperation,
                    $"'{command.Label}' failed on {step.Label} with exit code {result.ExitCode}" + (detail.Length > 0 ? $": {detail}" : "."), server));
            }
        }).ConfigureAwait(false);
    }
}
