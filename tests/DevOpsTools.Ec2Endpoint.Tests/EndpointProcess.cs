using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DevOpsTools.Ec2Endpoint.Tests;

/// <summary>The endpoint console program run as a child process, the way other test suites use it.</summary>
public sealed partial class EndpointProcess : IAsyncDisposable
{
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdoutRest = new();
    private Task? _stdoutPump;

    private EndpointProcess(Process process) => Process = process;

    public Process Process { get; }

    public Uri BaseUri { get; private set; } = null!;

    public string ListeningLine { get; private set; } = string.Empty;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public string StdoutAfterListening
    {
        get
        {
            lock (_stdoutRest)
            {
                return _stdoutRest.ToString();
            }
        }
    }

    [GeneratedRegex("^LISTENING (http://127\\.0\\.0\\.1:(\\d+)/)$")]
    private static partial Regex ListeningShape();

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "DevOpsTools.Ec2Endpoint.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    public static async Task<EndpointProcess> StartAsync(params string[] args)
    {
        var process = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("could not start the endpoint");
        var ep = new EndpointProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (ep._stderr)
                {
                    ep._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("no LISTENING line within 60 s; stderr: " + ep.Stderr);
        }

        if (line is null)
        {
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"endpoint exited ({process.ExitCode}) before listening; stderr: {ep.Stderr}");
        }

        var m = ListeningShape().Match(line);
        if (!m.Success)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"unexpected first line '{line}'");
        }

        ep.ListeningLine = line;
        ep.BaseUri = new Uri(m.Groups[1].Value);
        ep._stdoutPump = Task.Run(async () =>
        {
            var buffer = new char[1024];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (ep._stdoutRest)
                {
                    ep._stdoutRest.Append(buffer, 0, n);
                }
            }
        });
        return ep;
    }

    /// <summary>Sends a signal by number through kill(1).</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal.ToString(System.Globalization.CultureInfo.InvariantCulture), Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Process.Id} failed");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token);
        if (_stdoutPump is not null)
        {
            await _stdoutPump.WaitAsync(TimeSpan.FromSeconds(5));
        }

        return Process.ExitCode;
    }

    public async Task<int> CloseStdinAndWaitAsync(TimeSpan timeout)
    {
        Process.StandardInput.Close();
        return await WaitForExitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            try
            {
                await CloseStdinAndWaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
            }
        }

        Process.Dispose();
    }
}
