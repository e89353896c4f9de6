using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>The console program as other suites run it: one LISTENING line, a kubeconfig file, exit when stdin closes.</summary>
public sealed partial class ProcessTests
{
    [GeneratedRegex("^LISTENING https://127\\.0\\.0\\.1:(\\d+)/$")]
    private static partial Regex Listening();

    private static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DevOpsTools.KubeEndpoint.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    [Fact]
    public async Task Prints_one_listening_line_serves_the_kubeconfig_it_wrote_and_exits_when_stdin_closes()
    {
        var dir = Directory.CreateTempSubdirectory("kube-endpoint-process-");
        var kubeconfig = Path.Combine(dir.FullName, "kubeconfig");
        using var process = Process.Start(StartInfo("--port", "0", "--token", "t0k3n", "--kubeconfig-out", kubeconfig))!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(Listening(), line);

            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var namespaces = await client.CoreV1.ListNamespaceAsync();
            Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"], namespaces.Items.Select(n => n.Metadata.Name).Order().ToArray());

            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, process.ExitCode);
            Assert.Equal(string.Empty, await process.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Bad_arguments_exit_2_with_the_usage()
    {
        using var process = Process.Start(StartInfo("--pod-ready-seconds", "soon"))!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--pod-ready-seconds must be a number of seconds", stderr, StringComparison.Ordinal);
        Assert.Contains("usage: DevOpsTools.KubeEndpoint", stderr, StringComparison.Ordinal);
    }
}
