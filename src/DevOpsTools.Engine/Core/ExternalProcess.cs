using System.Diagnostics;
using System.Text;

namespace DevOpsTools.Engine.Core;

/// <summary>What an external program returned.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs an external program (podman, debootstrap) with arguments passed as a list (never through
/// a shell), optional stdin, extra environment variables, a time-out, and cancellation that kills
/// the whole process tree and returns promptly.
/// </summary>
public static class ExternalProcess
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? stdin = null,
        TimeSpan? timeout = null,
        Action<string>? onOutputLine = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    start.Environment.Remove(key);
                }
                else
                {
                    start.Environment[key] = value;
                }
            }
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var outDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                outDone.TrySetResult();
                return;
            }

            lock (stdout)
            {
                stdout.Append(e.Data).Append('\n');
            }

            onOutputLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                errDone.TrySetResult();
                return;
            }

            lock (stderr)
            {
                stderr.Append(e.Data).Append('\n');
            }

            onOutputLine?.Invoke(e.Data);
        };

        var watch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled, $"'{fileName}' could not be started: {ex.Message}", fileName, ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited without reading all of its input; its exit code tells why.
            }
        }

        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            await Task.WhenAll(outDone.Task, errDone.Task).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"'{fileName}' was stopped (cancelled).", cancellationToken);
            }

            throw new TimeoutException($"'{Describe(fileName, start.ArgumentList)}' did not finish within {timeout!.Value.TotalSeconds:0} s and was stopped.");
        }
        catch (TimeoutException)
        {
            // Output pipes held open by a grandchild (e.g. conmon): the exit code is what matters.
        }

        string outText, errText;
        lock (stdout)
        {
            outText = stdout.ToString();
        }

        lock (stderr)
        {
            errText = stderr.ToString();
        }

        return new ProcessResult(process.ExitCode, outText, errText, watch.Elapsed);
    }

    /// <summary>Runs and throws ExternalCommandFailed (with its stderr) on a non-zero exit.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? stdin = null,
        TimeSpan? timeout = null,
        object? target = null)
    {
        var result = await RunAsync(fileName, arguments, cancellationToken, environment, stdin, timeout).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.ExternalCommandFailed, ErrorKind.InvalidOperation,
                $"'{Describe(fileName, arguments)}' failed with exit code {result.ExitCode}: {Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut)}", target);
        }

        return result;
    }

    /// <summary>Finds a program on PATH (and in the sbin directories, which non-root PATHs lack).</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"]);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string Tail(string text, int maxLines = 8)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - maxLines)));
    }

    private static string Describe(string fileName, IEnumerable<string> arguments) =>
        Path.GetFileName(fileName) + " " + string.Join(' ', arguments.Take(3));

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }
}
