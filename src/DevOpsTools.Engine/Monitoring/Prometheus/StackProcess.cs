using System.Runtime.InteropServices;
using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Prometheus;

/// <summary>
/// One program of the stack as a managed background process: started detached through
/// Resources/monitoring/start-detached.sh with a pid file, recognised afterwards only when the
/// pid's command line still names this stack's directory (a reused pid is never signalled), and
/// stopped with SIGTERM, then SIGKILL.
/// </summary>
public sealed class StackProcess
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public StackProcess(string name, string program, IReadOnlyList<string> arguments, string stackDirectory)
    {
        Name = name;
        Program = program;
        Arguments = arguments;
        StackDirectory = stackDirectory;
    }

    public string Name { get; }

    public string Program { get; }

    public IReadOnlyList<string> Arguments { get; }

    public string StackDirectory { get; }

    public string PidFile => Path.Combine(StackDirectory, "run", Name + ".pid");

    public string LogFile => Path.Combine(StackDirectory, "log", Name + ".log");

    /// <summary>The command line as one string, to see whether a running instance was started the same way.</summary>
    public string CommandLine => string.Join(' ', [Program, .. Arguments]);

    /// <summary>The pid of this stack's running instance, or null.</summary>
    public int? RunningPid()
    {
        if (!File.Exists(PidFile) || !int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid))
        {
            return null;
        }

        return CommandLineOf(pid) is { } line && line.Contains(StackDirectory, StringComparison.Ordinal) ? pid : null;
    }

    /// <summary>The running instance's command line (NUL-separated arguments joined by spaces), or null.</summary>
    public static string? CommandLineOf(int pid)
    {
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            return raw.Length == 0 ? null : Encoding.UTF8.GetString(raw).TrimEnd('\0').Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async Task<int> StartAsync(EngineContext context)
    {
        SecureFiles.EnsurePrivateDirectory(Path.GetDirectoryName(PidFile)!);
        SecureFiles.EnsurePrivateDirectory(Path.GetDirectoryName(LogFile)!);
        var script = Path.Combine(StackDirectory, "run", "start-detached.sh");
        File.WriteAllText(script, MonitoringResources.Read("start-detached.sh"));
        var environment = new Dictionary<string, string?> { ["DEVOPSTOOLS_PIDFILE"] = PidFile, ["DEVOPSTOOLS_LOG"] = LogFile };
        await ExternalProcess.RunCheckedAsync("/bin/sh", [script, Program, .. Arguments], context.CancellationToken, environment, target: Name).ConfigureAwait(false);
        context.Output.WriteVerbose($"Started {Name}: {CommandLine}");
        return int.Parse(File.ReadAllText(PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the running instance (if any) and waits until it is gone.</summary>
    public async Task StopAsync(EngineContext context)
    {
        if (RunningPid() is { } pid)
        {
            _ = Kill(pid, SigTerm);
            for (var i = 0; i < 100 && CommandLineOf(pid) is not null && !IsZombie(pid); i++)
            {
                await Task.Delay(100, context.CancellationToken).ConfigureAwait(false);
            }

            if (CommandLineOf(pid) is not null && !IsZombie(pid))
            {
                context.Output.WriteWarning($"{Name} (pid {pid}) did not stop within 10 s of SIGTERM; killing it.");
                _ = Kill(pid, SigKill);
                await Task.Delay(200, context.CancellationToken).ConfigureAwait(false);
            }

            context.Output.WriteVerbose($"Stopped {Name} (pid {pid}).");
        }

        File.Delete(PidFile);
    }

    /// <summary>The last lines of the program's log, for an error that says why it did not start.</summary>
    public string LogTail() => File.Exists(LogFile) ? ExternalProcess.Tail(File.ReadAllText(LogFile), 6) : "(no log)";

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>The files of Resources/monitoring.</summary>
internal static class MonitoringResources
{
    public static string Read(string name)
    {
        using var stream = typeof(MonitoringResources).Assembly.GetManifestResourceStream("monitoring/" + name)
            ?? throw new InvalidOperationException($"Resource monitoring/{name} is missing from the engine assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
