using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Monitoring;

namespace DevOpsTools.Engine.Support;

/// <summary>What New-SupportReport asks for: the environment, where to look, and how much.</summary>
public sealed class SupportReportRequest
{
    public required string Environment { get; init; }
    public EnvironmentDefinition? Definition { get; init; }
    public string? DefinitionText { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Versions { get; init; } = [];

    /// <summary>The environment's servers (as its provider lists them, or as given).</summary>
    public IReadOnlyList<Server> Servers { get; init; } = [];

    /// <summary>What the caller could not gather before (the server listing failed...).</summary>
    public IReadOnlyList<string> Gaps { get; init; } = [];

    /// <summary>Where the apps' deployments are read (this machine, the container hosts, a cluster namespace).</summary>
    public IReadOnlyList<IDeployTarget> Targets { get; init; } = [];

    /// <summary>The apps to read; the definition's apps when empty.</summary>
    public IReadOnlyList<string> Apps { get; init; } = [];
    public int LogTail { get; init; } = 40;
    public int ErrorCount { get; init; } = 20;

    /// <summary>How long each deployed endpoint is probed; null: not probed.</summary>
    public ProbeSettings? Probe { get; init; }
}

/// <summary>A gathered report with what the redactor must know: the secret values and the host names seen.</summary>
public sealed record CollectedSupportReport(SupportReport Report, IReadOnlyList<string> Secrets, IReadOnlyList<string> Hosts);

/// <summary>
/// Gathers a support report. Each part is read on its own: a server that does not answer or a
/// target that cannot be read becomes a line under "Not gathered", and the rest is still written,
/// because the report is most needed when something is broken.
/// </summary>
public static class SupportReportCollector
{
    private const int ProgressId = 7301;

    public static async Task<CollectedSupportReport> CollectAsync(SupportReportRequest request, ModuleData data, EngineContext context)
    {
        var gaps = request.Gaps.ToList();
        var environment = request.Environment;
        var token = context.CancellationToken;
        var servers = request.Servers;
        var hardening = new HardeningReportStore(data).Load(environment);

        context.Output.WriteProgress(new ProgressUpdate(ProgressId, "Support report", "Deployments", 25));
        var apps = request.Apps.Count > 0 ? request.Apps : request.Definition?.Apps.Select(a => a.Name).ToList() ?? [];
        if (apps.Count == 0)
        {
            gaps.Add("Deployments: no app named (give -Definition or -App).");
        }

        var deployments = new List<Deployment>();
        var tails = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var target in request.Targets)
        {
            foreach (var app in apps)
            {
                token.ThrowIfCancellationRequested();
                try
                {
                    if (await target.GetAsync(app, environment, context).ConfigureAwait(false) is not { } deployment)
                    {
                        continue;
                    }

                    deployments.Add(deployment);
                    if (NeedsLogs(deployment) && request.LogTail > 0)
                    {
                        var lines = new List<string>();
                        await foreach (var line in target.GetLogsAsync(app, environment, new AppLogQuery(Tail: request.LogTail), context).WithCancellation(token).ConfigureAwait(false))
                        {
                            lines.Add($"{line.Instance}: {line.Line}");
                        }

                        tails[$"{deployment.App} on {deployment.Target}"] = lines.TakeLast(request.LogTail).ToList();
                    }
                }
                catch (DevOpsToolsException ex)
                {
                    gaps.Add($"{app} on {target.Name}: {ex.ErrorId}: {ex.Message}");
                }
            }
        }

        context.Output.WriteProgress(new ProgressUpdate(ProgressId, "Support report", "Service stats", 60));
        var stats = new List<ServiceStats>();
        if (request.Probe is { } probe)
        {
            var targets = deployments.Where(d => d.Status is not DeploymentStatus.Removed)
                .SelectMany(d => d.Endpoints.Take(1).Select(e => ProbeTarget.FromEndpoint(e, d.App, environment)))
                .ToList();
            if (targets.Count > 0)
            {
                // A context without the pipeline: the stats go in the report, not out of the cmdlet.
                var quiet = new EngineContext(context.Output, token);
                stats.AddRange(await ServiceProbe.RunAsync(quiet, targets, probe, throttleLimit: 8).ConfigureAwait(false));
            }
        }

        var errors = new ErrorJournal(data).Read(request.ErrorCount, environment);

        context.Output.WriteProgress(new ProgressUpdate(ProgressId, "Support report", "Done", 100, Completed: true));
        var report = new SupportReport
        {
            Environment = environment,
            Versions = request.Versions,
            DefinitionPath = request.Definition?.Path,
            DefinitionText = request.DefinitionText,
            Servers = servers,
            Hardening = hardening,
            Deployments = deployments,
            LogTails = tails,
            Stats = stats,
            Errors = errors,
            Gaps = gaps,
        };
        return new CollectedSupportReport(report, KnownSecrets(data, environment), KnownHosts(request.Definition, servers, deployments));
    }

    private static bool NeedsLogs(Deployment deployment) =>
        deployment.Status is DeploymentStatus.Failed or DeploymentStatus.RolledBack or DeploymentStatus.Degraded
        || deployment.RollbackReason is not null
        || deployment.History.FirstOrDefault()?.Status is DeploymentStatus.Failed or DeploymentStatus.RolledBack;

    /// <summary>
    /// The environment's generated secrets (data services' passwords and URLs): replaced wherever
    /// they appear, even in a log line or an error message that no pattern would catch.
    /// </summary>
    private static IReadOnlyList<string> KnownSecrets(ModuleData data, string environment)
    {
        var directory = Path.Combine(data.Root, "data", environment);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var secrets = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            try
            {
                if (new FileInfo(file).Length is > 0 and < 16 * 1024)
                {
                    secrets.AddRange(File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Unreadable: nothing to redact from it, and nothing of it can reach the report either.
            }
        }

        // A URL file's password is also redacted alone (it may be logged without the rest of the URL).
        foreach (var url in secrets.ToList())
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Split(':') is [_, var password, ..])
            {
                secrets.Add(Uri.UnescapeDataString(password));
            }
        }

        return secrets;
    }

    private static IReadOnlyList<string> KnownHosts(EnvironmentDefinition? definition, IReadOnlyList<Server> servers, IReadOnlyList<Deployment> deployments)
    {
        var hosts = new List<string>();
        hosts.AddRange(servers.Select(s => s.Address).OfType<string>());
        hosts.AddRange(deployments.SelectMany(d => d.Endpoints).Select(e => e.Address));
        if (definition is not null)
        {
            hosts.AddRange(definition.Apps.SelectMany(a => a.Hosts));
        }

        return hosts;
    }
}
