using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.ContainerHost;

namespace DevOpsTools.Engine.Monitoring.Platform;

/// <summary>
/// A container host's figures (this machine's Podman, or a server's over its pooled SSH
/// session): one run of container-host.sh's stats step reads the state file, podman inspect
/// (running, RestartCount) and podman stats (CPU, memory) of the app's containers.
/// </summary>
internal sealed class ContainerHostPlatformStats(ContainerHostTarget host, string source) : IPlatformStatsSource
{
    public async Task<PlatformFigures> ReadAsync(Deployment deployment, EngineContext context)
    {
        HostScriptResult run;
        try
        {
            run = await host.Steps.RunAsync(deployment.App, deployment.Environment, ["stats"], context, check: false, timeout: TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        }
        catch (DevOpsToolsException ex) when (ex.Kind != ErrorKind.SecurityError)
        {
            // The host cannot be reached (SSH refused, timed out): the probe still says what it can.
            return PlatformFigures.Unreadable(source, ex.Message);
        }

        if (!run.Succeeded)
        {
            return PlatformFigures.Unreadable(source, $"the stats step failed on {host.Name} (exit {run.ExitCode}): {ExternalProcess.Tail(run.StdErr, 2).Trim()}");
        }

        try
        {
            return PodmanStatsOutput.Figures(run.StdOut, source);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return PlatformFigures.Unreadable(source, $"podman's output on {host.Name} is not the JSON expected: {ex.Message}");
        }
    }
}
