using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Alerts;
using DevOpsTools.Engine.Monitoring.Slo;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// Probes services (URLs, or the endpoints of deployments from the pipeline) with the built-in
/// active probe engine and returns one ServiceStats per endpoint; a deployment's also carry its
/// platform's figures (replicas, restarts, CPU, memory), and -Environment alone probes every app
/// the environment has deployed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ServiceStats", DefaultParameterSetName = UrlSet, SupportsShouldProcess = true)]
[OutputType(typeof(ServiceStats))]
public sealed partial class GetServiceStatsCommand : DevOpsToolsCmdlet
{
    private const string UrlSet = "Url";
    private const string EndpointSet = "Endpoint";

    /// <summary>
    /// http://, https:// or tcp://host:port URLs. By property name only: binding whole pipeline
    /// objects here would turn a deployment into its ToString() and probe that. Not mandatory:
    /// -Environment alone probes the environment's deployments instead (a parameter set of its
    /// own would make piped deployments ambiguous, as Environment binds from them too).
    /// </summary>
    [Parameter(Position = 0, ParameterSetName = UrlSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Url { get; set; } = [];

    /// <summary>
    /// A deployment's endpoints (AppEndpoint: Deploy-App, Get-AppDeployment) or a server's
    /// (ServerEndpoint: New-Server, Get-Server). Typed object so both bind by property name.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = EndpointSet, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public object[] Endpoints { get; set; } = [];

    /// <summary>The name the results carry; a deployment's App or a server's Name binds here.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("App", "Name")]
    [ValidateNotNullOrEmpty]
    public string? Service { get; set; }

    /// <summary>
    /// The environment the results carry: a name (a deployment's Environment binds here), an
    /// environment definition (Import-DevOpsEnvironment) or the path of its .yaml file, whose
    /// monitoring.slos hold each service to the SLOs declared for its app.
    /// </summary>
    /// <remarks>Without -Url or endpoints: every app recorded in the environment, on this machine or with -KubeConfig/-Context in its cluster namespace.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public object? Environment { get; set; }

    private readonly Dictionary<string, EnvironmentDefinition> _environmentFiles = new(StringComparer.Ordinal);

    /// <summary>Endpoints: the path to probe instead of the app's health path.</summary>
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidatePattern("^/")]
    public string? Path { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Requests { get; set; }

    [Parameter]
    public TimeSpan? Duration { get; set; }

    [Parameter]
    [ValidateRange(1, 10_000)]
    public int Concurrency { get; set; } = 1;

    /// <summary>Requests per second (open model, latency from the scheduled send time).</summary>
    [Parameter]
    [ValidateRange(0.001, 1_000_000.0)]
    public double? Rate { get; set; }

    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The statuses that are successes: "200-299" (default), "200" or "200-399".</summary>
    [Parameter]
    [ValidatePattern(@"^[1-5]\d\d(-[1-5]\d\d)?$")]
    public string SuccessStatus { get; set; } = "200-299";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BodyContains { get; set; }

    /// <summary>The p99 of successes above this makes the service Degraded.</summary>
    [Parameter]
    public TimeSpan? LatencyObjective { get; set; }

    /// <summary>An error rate above this (0.01: 1 %) makes the service Degraded.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MaxErrorRate { get; set; } = 0.01;

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>An SLO every service is held to: this percent of requests good (99.9).</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double? Objective { get; set; }

    /// <summary>With -Objective: a latency SLO, requests that fail or take longer than this are bad.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? LatencyThresholdMs { get; set; }

    /// <summary>With -Objective: the SLO's compliance window (30d, 6h, 2w, 90m); 30d by default.</summary>
    [Parameter]
    [ValidatePattern(@"^\d+[mhdw]$")]
    public string SloWindow { get; set; } = "30d";

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

        if (Timeout <= TimeSpan.Zero)
        {
            ThrowEngineError(Invalid("Timeout", $"-Timeout must be positive (got {Timeout})."));
        }

        var range = SuccessStatus.Split('-');
        if (int.Parse(range[0]) > int.Parse(range[^1]))
        {
            ThrowEngineError(Invalid("SuccessStatus", $"-SuccessStatus '{SuccessStatus}' runs backwards; give low-high, e.g. 200-399."));
        }

        if (Objective is null && (LatencyThresholdMs is not null || MyInvocation.BoundParameters.ContainsKey(nameof(SloWindow))))
        {
            ThrowEngineError(Invalid("Objective", "-LatencyThresholdMs and -SloWindow describe an SLO: give its -Objective too (e.g. -Objective 99 -LatencyThresholdMs 300)."));
        }

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

        if (ServiceLevelObjective.ParseWindow(SloWindow) is null)
        {
            ThrowEngineError(Invalid("SloWindow", $"-SloWindow '{SloWindow}' is not a window such as 30d, 6h, 2w or 90m."));
        }
    }

    protected override void EndProcessingCore()
    {
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

    /// <summary>The -Objective SLO, named after its kind ("availability 99.9%", "latency 99% under 300ms").</summary>
    private ServiceLevelObjective[] ParameterSlos(string service)
    {
        if (Objective is not { } objective)
        {
            return [];
        }

        var name = LatencyThresholdMs is { } ms
            ? FormattableString.Invariant($"latency {objective:0.###}% under {ms}ms")
            : FormattableString.Invariant($"availability {objective:0.###}%");
        return [ServiceLevelObjective.From(new SloSettings { Name = name, App = service, Objective = objective, Window = SloWindow, LatencyMs = LatencyThresholdMs })];
    }

    /// <summary>-Environment as a name and, for a definition or its file, the definition.</summary>
    private (string? Name, EnvironmentDefinition? Definition) ResolveEnvironment()
    {
        switch (Environment is PSObject wrapped ? wrapped.BaseObject : Environment)
        {
            case null:
                return (null, null);
            case EnvironmentDefinition definition:
                return (definition.Name, definition);
            case string text when text.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".yml", StringComparison.OrdinalIgnoreCase):
                var file = GetUnresolvedProviderPathFromPSPath(text);
                if (!_environmentFiles.TryGetValue(file, out var loaded))
                {
                    var environments = EnvironmentLoader.LoadFile(file);
                    if (environments.Count != 1)
                    {
                        ThrowEngineError(Invalid("Environment", $"{text} defines {environments.Count} environments; pipe the one to use from Import-DevOpsEnvironment -Name."));
                    }

                    _environmentFiles[file] = loaded = environments[0];
                }

                return (loaded.Name, loaded);
            case var other:
                return (LanguagePrimitives.ConvertTo<string>(other), null);
        }
    }

    protected override void ProcessRecordCore()
    {
        var (environmentName, environment) = ResolveEnvironment();
        if (ParameterSetName == UrlSet && Url.Length == 0)
        {
            if (environmentName is null)
            {
                ThrowEngineError(Invalid("Url", "Give the URLs to probe (-Url), pipe deployments or servers, or name an -Environment to probe every app it has deployed."));
            }

            ProbeEnvironment(environmentName!, environment);
            return;
        }

        RefuseClusterWithUrls();

        var targets = new List<ProbeTarget>();
        if (ParameterSetName == UrlSet)
        {
            foreach (var url in Url)
            {
                try
                {
                    targets.Add(ProbeTarget.Parse(url, Service, environmentName));
                }
                catch (DevOpsToolsException ex)
                {
                    // One bad URL among many: the others are still probed.
                    WriteEngineError(ex, url);
                }
            }
        }
        else if (Endpoints.Length == 0)
        {
            WriteEngineError(new DevOpsToolsException(ErrorIds.ProbeNoEndpoint, ErrorKind.ObjectNotFound,
                $"{Service ?? "The input"} has no endpoints to probe.", Service)
            { RecommendedAction = "Check that the deployment is Healthy (Get-AppDeployment) or pass -Url." });
        }
        else
        {
            foreach (var item in Endpoints)
            {
                switch (item is PSObject wrapped ? wrapped.BaseObject : item)
                {
                    case AppEndpoint app:
                        targets.Add(ProbeTarget.FromEndpoint(app, Service, environmentName, Path));
                        break;
                    case ServerEndpoint server:
                        targets.Add(ProbeTarget.FromServerEndpoint(server, Service, environmentName, Path));
                        break;
                    default:
                        WriteEngineError(new DevOpsToolsException(ErrorIds.ProbeNoEndpoint, ErrorKind.InvalidArgument,
                            $"'{item}' is not an endpoint of a deployment or a server; pass URLs with -Url.", item));
                        break;
                }
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        var settings = Settings();
        // -Objective holds every service to one SLO; else the environment's SLOs for its app.
        targets = targets.Select(t => t.WithSlos(SlosOf(t.Service, environment))).ToList();
        _results.AddRange(Probe(targets, settings));
    }

    private ProbeSettings Settings()
    {
        var range = SuccessStatus.Split('-');
        return new ProbeSettings
        {
            Requests = Requests,
            Duration = Duration,
            Concurrency = Concurrency,
            Rate = Rate,
            Timeout = Timeout,
            MinStatus = int.Parse(range[0]),
            MaxStatus = int.Parse(range[^1]),
            BodyContains = BodyContains,
            LatencyObjective = LatencyObjective,
            MaxErrorRate = MaxErrorRate,
        };
    }

    private static DevOpsToolsException Invalid(string name, string message) =>
        new(ErrorIds.ProbeSettingsInvalid, ErrorKind.InvalidArgument, message, name);
}
