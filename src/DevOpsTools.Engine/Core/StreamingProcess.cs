using System.Diagnostics;
using System.Text;

namespace DevOpsTools.Engine.Core;

/// <summary>
/// Runs a program whose standard output or input is binary (a pg_dump archive), copied to or from
/// a stream instead of being read as text. Standard error is kept as text for error messages.
/// Cancellation kills the program's process tree at once.
/// </summary>
public static class StreamingProcess
{
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment,
        Stream? output, Stream? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
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

        using var process = new Process { StartInfo = start };
        var watch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled, $"'{fileName}' could not be started: {ex.Message}", fileName, ex);
        }

        using var registration = cancellationToken.Register(() => Kill(process));
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var copyOut = output is null
            ? process.StandardOutput.ReadToEndAsync(CancellationToken.None)
            : process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken).ContinueWith(t => { t.GetAwaiter().GetResult(); return string.Empty; }, TaskScheduler.Default);
        var copyIn = input is null ? Task.CompletedTask : FeedAsync(process, input, cancellationToken);
        try
        {
            await Task.WhenAll(copyOut, copyIn).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new OperationCanceledException($"'{Path.GetFileName(fileName)}' was stopped (cancelled).", cancellationToken);
        }

        return new ProcessResult(process.ExitCode, output is null ? await copyOut.ConfigureAwait(false) : string.Empty, await stderr.ConfigureAwait(false), watch.Elapsed);
    }

    private static async Task FeedAsync(Process process, Stream input, CancellationToken cancellationToken)
    {
        try
        {
            await input.CopyToAsync(process.StandardInput.BaseStream, cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading all of its input; its exit code tells why.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
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
