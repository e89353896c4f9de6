using System.Diagnostics;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>IRemoteShell over `podman exec -i &lt;container&gt; sh`: the script goes on stdin.</summary>
public sealed class PodmanExecShell : IRemoteShell
{
    private readonly string _container;

    public PodmanExecShell(Server server, string container)
    {
        Server = server;
        _container = container;
    }

    public Server Server { get; }

    public int Runs { get; private set; }

    public async Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Runs++;
        var args = sudo ? new[] { "exec", "-i", "--", _container, "sh" } : ["exec", "-i", "--user", Server.User, "--", _container, "sh"];
        var result = await Podman.RunAsync(args, script, timeout, cancellationToken).ConfigureAwait(false);
        return new RemoteResult(result.ExitCode, result.StdOut, result.StdErr, result.Duration);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Runs podman (and other tools) with the project's containers.conf.</summary>
public static class Podman
{
    public static string ContainersConf { get; } = FindContainersConf();

    private static string FindContainersConf()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DevOpsTools.psd1")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir ?? "/", "src/DevOpsTools.Engine/Resources/podman/containers.conf");
    }

    public sealed record Result(int ExitCode, string StdOut, string StdErr, TimeSpan Duration);

    public static Task<Result> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, CancellationToken ct = default) =>
        ExecAsync("podman", args, stdin, timeout ?? TimeSpan.FromMinutes(5), ct);

    public static async Task<Result> ExecAsync(string file, IEnumerable<string> args, string? stdin, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["CONTAINERS_CONF"] = ContainersConf;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), ct).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} timed out after {timeout}.");
        }

        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), clock.Elapsed);
    }
}
