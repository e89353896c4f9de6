using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Alerts;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// Probes services (URLs, or the endpoints of deployments from the pipeline) with the built-in
/// active probe engine, or reads their figures from Prometheus (GetServiceStatsCommand.Prometheus.cs),
/// and returns one ServiceStats per endpoint and source; a deployment's also carry its platform's
/// figures (replicas, restarts, CPU, memory), and -Environment alone probes every app the
/// environment has deployed (GetServiceStatsCommand.Deployments.cs).
/// </summary>
[Cmdlet(VerbsCommon.Get, "ServiceStats", DefaultParameterSetName = PrometheusSet, SupportsShouldProcess = true)]
[OutputType(typeof(ServiceStats))]
public sealed partial class GetServiceStatsCommand : ServiceProbeCommandBase
{
    [Parameter]
    public TimeSpan? Duration { get; set; }

    /// <summary>Requests per second (open model, latency from the scheduled send time).</summary>
    [Parameter]
    [ValidateRange(0.001, 1_000_000.0)]
    public double? Rate { get; set; }

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>Ends in a terminating error (non-zero exit of pwsh -c) when a service is Degraded, Down or breaks its SLO.</summary>
    /// <remarks>
    /// A string, not the engine's HealthGate: a value-typed field of an engine type would load the
    /// engine when PowerShell reflects over the cmdlets, before the module's resolver is in place.
    /// </remarks>
    [Parameter]
    [ValidateSet(nameof(HealthGate.Degraded), nameof(HealthGate.Down), nameof(HealthGate.SloBreach))]
    public string? FailOn { get; set; }

    /// <summary>
    /// An http(s) URL that gets a JSON alert once per state change of each service: fired when it
    /// becomes Degraded, Down or breaks an SLO, resolved when it is Healthy again.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NotifyWebhook { get; set; }

    /// <summary>The alert body's shape; a string for the same reason as -FailOn.</summary>
    [Parameter]
    [ValidateSet("Generic", "Slack", "Teams")]
    public string WebhookFormat { get; set; } = "Generic";

    private Uri? _webhook;

    private readonly List<ServiceStats> _results = [];

    protected override void BeginProcessingCore()
    {
        if (Duration is { } d && d <= TimeSpan.Zero)
        {
            ThrowEngineError(Invalid("Duration", $"-Duration must be positive (got {d})."));
        }

        ValidateProbeParameters();

        if (NotifyWebhook is not null && (_webhook = WebhookNotifier.ParseUrl(NotifyWebhook)) is null)
        {
            // Not echoed: a webhook URL carries its token.
            ThrowEngineError(new DevOpsToolsException(ErrorIds.WebhookUrlInvalid, ErrorKind.InvalidArgument,
                "-NotifyWebhook must be an absolute http:// or https:// URL.", "NotifyWebhook"));
        }
        else if (NotifyWebhook is null && MyInvocation.BoundParameters.ContainsKey(nameof(WebhookFormat)))
        {
            ThrowEngineError(Invalid("WebhookFormat", "-WebhookFormat shapes the alerts of -NotifyWebhook: give the webhook URL too."));
        }

        CheckPrometheusParameters();
    }

    protected override void EndProcessingCore()
    {
        if (UsesPrometheus)
        {
            RunPrometheus();
        }

        if (_webhook is not null)
        {
            Notify(_webhook);
        }

        if (FailOn is not null && HealthGates.Check(_results, Enum.Parse<HealthGate>(FailOn, ignoreCase: true)) is { } failure)
        {
            ThrowEngineError(failure);
        }
    }

    /// <summary>Posts an alert for every service whose state changed since the last one notified; records only the delivered ones.</summary>
    private void Notify(Uri webhook)
    {
        var store = AlertStateStore.Load(ModuleData.Default);
        var format = Enum.Parse<Engine.Monitoring.Alerts.WebhookFormat>(WebhookFormat, ignoreCase: true);
        var delivered = 0;
        foreach (var notice in AlertRules.Pending(_results, store))
        {
            var action = $"Post the {WebhookBodies.StatusOf(notice)} alert for {notice.Stats.Service} ({notice.Stats.Target})";
            if (!ShouldProcess(webhook.Host, action))
            {
                continue;
            }

            if (RunEngine(context => WebhookNotifier.PostAsync(webhook, notice, format, context)) is { } failure)
            {
                WriteEngineError(failure, webhook.Host);
                continue;
            }

            WriteVerbose($"Posted: {WebhookBodies.Headline(notice)} to {webhook.Host}.");
            store.Record(notice);
            delivered++;
        }

        if (delivered > 0)
        {
            store.Save();
        }
    }

    protected override void ProcessRecordCore()
    {
        CheckSource();
        if (ParameterSetName == PrometheusSet)
        {
            // Nothing to probe was given: Prometheus, or every app the environment has deployed.
            var (environmentName, environment) = ResolveEnvironment();
            if (UsesPrometheus)
            {
                CollectPrometheusServices(environmentName, Service is null ? [] : [Service]);
                return;
            }

            if (environmentName is null)
            {
                ThrowEngineError(Invalid("Url", "Give the URLs to probe (-Url), pipe deployments or servers, or name an -Environment to probe every app it has deployed."));
            }

            ProbeEnvironment(environmentName!, environment);
            return;
        }

        var targets = ResolveTargets();
        if (UsesPrometheus)
        {
            CollectPrometheusServices(ResolveEnvironment().Name, targets.Select(t => t.Service));
        }

        if (targets.Count == 0 || !UsesProbe)
        {
            return;
        }

        _results.AddRange(Probe(targets, SettingsWith(Requests, Duration, Rate)));
    }
}
