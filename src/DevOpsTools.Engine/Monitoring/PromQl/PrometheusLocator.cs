using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Prometheus;

namespace DevOpsTools.Engine.Monitoring.PromQl;

/// <summary>Finds the Prometheus that Install-Monitoring runs for an environment on this machine.</summary>
public static class PrometheusLocator
{
    private const string ListenFlag = "--web.listen-address=";

    /// <summary>
    /// The URL of the environment's Prometheus, read from the running process Install-Monitoring
    /// recorded (its pid file, and the listen address on its command line), so a -PrometheusPort
    /// chosen at install time is found without being given again.
    /// </summary>
    public static Uri ForEnvironment(ModuleData data, string environment)
    {
        var installer = new MonitoringInstaller(data);
        var dir = installer.StackDirectory(environment);
        if (!System.IO.Directory.Exists(dir))
        {
            throw new DevOpsToolsException(ErrorIds.PrometheusNotFound, ErrorKind.ObjectNotFound,
                $"Install-Monitoring has set up no Prometheus for {environment} on this machine.", environment)
            { RecommendedAction = $"Run Install-Monitoring for {environment}, or give the Prometheus with -PrometheusUrl." };
        }

        var process = new StackProcess("prometheus", "prometheus", [], dir);
        var line = process.RunningPid() is { } pid ? StackProcess.CommandLineOf(pid) : null;
        var address = line?.Split(' ').FirstOrDefault(a => a.StartsWith(ListenFlag, StringComparison.Ordinal))?[ListenFlag.Length..];
        if (address is null || !Uri.TryCreate($"http://{address}/", UriKind.Absolute, out var url))
        {
            throw new DevOpsToolsException(ErrorIds.PrometheusUnreachable, ErrorKind.ResourceUnavailable,
                $"The Prometheus Install-Monitoring set up for {environment} ({dir}) is not running.", environment)
            { RecommendedAction = $"Run Install-Monitoring for {environment} again to start it." };
        }

        return url;
    }
}
