using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Commands.Servers;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>
/// What Get-ServiceStats and Watch-ServiceStats share: the targets (URLs, or the endpoints of
/// deployments and servers from the pipeline), the names their results carry, what counts as a
/// success, and the SLOs; each record's targets resolved the same way for both.
/// </summary>
public abstract class ServiceProbeCommandBase : DevOpsToolsCmdlet
{
    protected const string UrlSet = "Url";
    protected const string EndpointSet = "Endpoint";

    /// <summary>
    /// http://, https:// or tcp://host:port URLs. By property name only: binding whole pipeline
    /// objects here would turn a deployment into its ToString() and probe that.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UrlSet, ValueFromPipelineByPropertyName = true)]
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
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
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
    [ValidateRange(1, 10_000)]
    public int Concurrency { get; set; } = 1;

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

    /// <summary>The checks of the shared parameters that their attributes cannot make.</summary>
    protected void ValidateProbeParameters()
    {
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

        if (ServiceLevelObjective.ParseWindow(SloWindow) is null)
        {
            ThrowEngineError(Invalid("SloWindow", $"-SloWindow '{SloWindow}' is not a window such as 30d, 6h, 2w or 90m."));
        }
    }

    /// <summary>The probe settings of the shared parameters, with the load the caller adds.</summary>
    protected ProbeSettings SettingsWith(int? requests, TimeSpan? duration = null, double? rate = null)
    {
        var range = SuccessStatus.Split('-');
        return new ProbeSettings
        {
            Requests = requests,
            Duration = duration,
            Concurrency = Concurrency,
            Rate = rate,
            Timeout = Timeout,
            MinStatus = int.Parse(range[0]),
            MaxStatus = int.Parse(range[^1]),
            BodyContains = BodyContains,
            LatencyObjective = LatencyObjective,
            MaxErrorRate = MaxErrorRate,
        };
    }

    /// <summary>
    /// The current record's targets, each held to its SLOs. A bad URL or endpoint is a
    /// non-terminating error and the others are still returned.
    /// </summary>
    protected List<ProbeTarget> ResolveTargets()
    {
        var (environmentName, environment) = ResolveEnvironment();
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

        // -Objective holds every service to one SLO; else the environment's SLOs for its app.
        return targets.Select(t => t.WithSlos(Objective is not null || environment is null
            ? ParameterSlos(t.Service)
            : ServiceLevelObjective.OfApp(environment, t.Service))).ToList();
    }

    protected static DevOpsToolsException Invalid(string name, string message) =>
        new(ErrorIds.ProbeSettingsInvalid, ErrorKind.InvalidArgument, message, name);

    /// <summary>The -Objective SLO, named after its kind ("availability 99.9%", "latency 99% under 300ms").</summary>
    protected ServiceLevelObjective[] ParameterSlos(string service)
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
    protected (string? Name, EnvironmentDefinition? Definition) ResolveEnvironment()
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
}
