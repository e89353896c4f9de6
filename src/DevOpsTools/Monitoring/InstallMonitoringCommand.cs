using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Prometheus;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// Sets up (or brings up to date) an environment's Prometheus stack on this machine: Prometheus,
/// Alertmanager, blackbox_exporter probes of the deployments' endpoints, node_exporter, and the
/// SLO recording and burn-rate alerting rules. Idempotent; -WhatIf shows the configuration diff.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "Monitoring", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MonitoringStack))]
public sealed class InstallMonitoringCommand : DevOpsToolsCmdlet
{
    private readonly List<Deployment> _deployments = [];

    /// <summary>The environment (Import-DevOpsEnvironment): its name and monitoring.slos.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public EnvironmentDefinition Environment { get; set; } = null!;

    /// <summary>The environment's deployments (Deploy-App, Get-AppDeployment): every endpoint they record is probed.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Deployment[] Deployment { get; set; } = [];

    /// <summary>More endpoints to probe, by app: @{ shop = 'http://127.0.0.1:8080/healthz', 'tcp://127.0.0.1:5432' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? Probe { get; set; }

    /// <summary>Where Alertmanager posts the burn-rate alerts (fired and resolved), in its webhook format.</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? WebhookUrl { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int PrometheusPort { get; set; } = 9090;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int AlertmanagerPort { get; set; } = 9093;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int BlackboxPort { get; set; } = 9115;

    [Parameter]
    [ValidateRange(1, 65535)]
    public int NodeExporterPort { get; set; } = 9100;

    /// <summary>How often Prometheus scrapes and probes (and evaluates the rules).</summary>
    [Parameter]
    public TimeSpan ScrapeInterval { get; set; } = TimeSpan.FromSeconds(15);

    protected override void BeginProcessingCore()
    {
        if (ScrapeInterval < TimeSpan.FromSeconds(1))
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"-ScrapeInterval must be at least 1 s (got {ScrapeInterval}).", "ScrapeInterval"));
        }

        if (WebhookUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                "-WebhookUrl must be an absolute http:// or https:// URL.", "WebhookUrl"));
        }
    }

    protected override void ProcessRecordCore()
    {
        _deployments.AddRange(Deployment.Where(d => d is not null && !_deployments.Contains(d)));
    }

    protected override void EndProcessingCore()
    {
        var environment = Environment;
        var foreign = _deployments.Where(d => d.Environment != environment.Name).Select(d => $"{d.Environment}/{d.App}").Distinct().ToList();
        if (foreign.Count > 0)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"{string.Join(", ", foreign)} belong to another environment than {environment.Name}.", foreign[0]));
        }

        var ports = new MonitoringPorts(PrometheusPort, AlertmanagerPort, BlackboxPort, NodeExporterPort);
        if (ports.All.Distinct().Count() != 4)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"The four ports must differ (got {string.Join(", ", ports.All)}).", "Port"));
        }

        var deployments = _deployments.ToList();
        var urls = new List<(string App, Uri Url)>();
        foreach (System.Collections.DictionaryEntry entry in Probe ?? [])
        {
            foreach (var value in LanguagePrimitives.GetEnumerable(entry.Value) ?? new[] { entry.Value })
            {
                if (!Uri.TryCreate(value?.ToString(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https" or "tcp") || url.Port <= 0)
                {
                    ThrowEngineError(new DevOpsToolsException(ErrorIds.ProbeUrlInvalid, ErrorKind.InvalidArgument,
                        $"-Probe {entry.Key}: '{value}' is not an http://, https:// or tcp://host:port URL.", value));
                }

                urls.Add((entry.Key.ToString()!, url!));
            }
        }
        var target = $"monitoring of {environment.Name} on this machine";
        var action = $"Install Prometheus on 127.0.0.1:{PrometheusPort} ({deployments.Sum(d => d.Endpoints.Count) + urls.Count} endpoints, {environment.Monitoring.Slos.Count} SLOs)";
        var apply = ShouldProcess($"Performing the operation \"{action}\" on target \"{target}\".", $"{action}: {target}?", "Install-Monitoring", out var reason);
        if (!apply && reason != ShouldProcessReason.WhatIf)
        {
            return;
        }

        var webhook = WebhookUrl;
        var interval = ScrapeInterval;
        var stack = RunEngine(async context =>
        {
            var (probes, metrics) = await MonitoringTargets.FromDeploymentsAsync(deployments, urls, context).ConfigureAwait(false);
            var request = new MonitoringRequest
            {
                Environment = environment.Name,
                Probes = probes,
                MetricsTargets = metrics,
                Slos = environment.Monitoring.Slos.Select(ServiceLevelObjective.From).ToList(),
                Ports = ports,
                WebhookUrl = webhook,
                ScrapeInterval = interval,
            };
            return await new MonitoringInstaller(ModuleData.Default).InstallAsync(request, apply, context).ConfigureAwait(false);
        });

        if (!apply)
        {
            foreach (var change in stack.Changes)
            {
                WriteVerbose($"What if: {environment.Name}: {change}");
            }

            if (stack.Diff.Length > 0)
            {
                WriteInformation(new HostInformationMessage { Message = stack.Diff.TrimEnd('\n') }, ["PSHOST"]);
            }
        }

        WriteObject(stack);
    }
}
