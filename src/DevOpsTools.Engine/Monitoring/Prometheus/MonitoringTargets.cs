using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Prometheus;

/// <summary>What Prometheus watches of deployments: a probe per recorded endpoint, and the app's /metrics when it serves them.</summary>
public static class MonitoringTargets
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public static async Task<(IReadOnlyList<ProbeTargetSpec> Probes, IReadOnlyList<(string App, string Address)> Metrics)> FromDeploymentsAsync(
        IEnumerable<Deployment> deployments, IEnumerable<(string App, Uri Url)> urls, EngineContext context)
    {
        var probes = new List<ProbeTargetSpec>();
        var metrics = new List<(string App, string Address)>();
        var endpoints = deployments.SelectMany(d => d.Endpoints.Select(e => (d.App, Endpoint: e, Probe: e.Url.TrimEnd('/') + (e.HealthPath ?? "/"))))
            .Concat(urls.Select(u => (u.App, Endpoint: new AppEndpoint { Protocol = u.Url.Scheme, Address = u.Url.Host.Trim('[', ']'), Port = u.Url.Port }, Probe: u.Url.AbsoluteUri)));
        foreach (var (app, endpoint, probe) in endpoints)
        {
            var hostPort = $"{(endpoint.Address.Contains(':') ? $"[{endpoint.Address}]" : endpoint.Address)}:{endpoint.Port}";
            if (endpoint.Protocol is not ("http" or "https"))
            {
                Add(probes, new ProbeTargetSpec(app, "tcp", hostPort));
                continue;
            }

            Add(probes, new ProbeTargetSpec(app, endpoint.Protocol, probe));
            if (endpoint.Protocol == "http" && !metrics.Contains((app, hostPort))
                && await ServesMetricsAsync(new Uri(endpoint.Url.TrimEnd('/') + "/metrics"), context).ConfigureAwait(false))
            {
                metrics.Add((app, hostPort));
            }
        }

        return (probes, metrics);
    }

    private static void Add(List<ProbeTargetSpec> probes, ProbeTargetSpec probe)
    {
        if (!probes.Contains(probe))
        {
            probes.Add(probe);
        }
    }

    /// <summary>True when GET /metrics answers 2xx in the Prometheus text format (or OpenMetrics).</summary>
    private static async Task<bool> ServesMetricsAsync(Uri url, EngineContext context)
    {
        try
        {
            using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, context.CancellationToken).ConfigureAwait(false);
            var type = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
            var yes = response.IsSuccessStatusCode && (type == "text/plain" || type.Contains("openmetrics", StringComparison.Ordinal));
            context.Output.WriteVerbose($"{url}: {(yes ? "serves Prometheus metrics" : $"no metrics ({(int)response.StatusCode} {type})")}.");
            return yes;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
