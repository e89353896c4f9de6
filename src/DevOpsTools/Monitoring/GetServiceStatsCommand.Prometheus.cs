using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Monitoring.PromQl;

namespace DevOpsTools.Commands.Monitoring;

/// <summary>Get-ServiceStats' Prometheus source: PromQL over the app's own metrics and blackbox probes.</summary>
public sealed partial class GetServiceStatsCommand
{
    private const string PrometheusSet = "Prometheus";

    /// <summary>
    /// The Prometheus to read: its base URL (http://127.0.0.1:9090). Without it, -Environment's
    /// names the one Install-Monitoring runs for that environment on this machine.
    /// </summary>
    [Parameter(ParameterSetName = PrometheusSet)]
    [Parameter(ParameterSetName = UrlSet)]
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidateNotNullOrEmpty]
    public string? PrometheusUrl { get; set; }

    /// <summary>
    /// Probe (the active probe engine), Prometheus (PromQL, nothing is sent to the services) or All
    /// (one row of each per service). By default Prometheus when there is nothing to probe and a
    /// Prometheus parameter is given (-PrometheusUrl, -Window, -Matcher...), All when -PrometheusUrl
    /// comes with URLs or endpoints, else Probe (-Environment alone: its deployed apps).
    /// </summary>
    [Parameter]
    [ValidateSet("Probe", "Prometheus", "All")]
    public string? Source { get; set; }

    /// <summary>Prometheus: the window the figures cover, back from now (90s, 15m, 1h, 7d).</summary>
    [Parameter]
    [ValidatePattern(@"^\d+[smhdw]$")]
    public string Window { get; set; } = "1h";

    /// <summary>Prometheus: extra label matchers every series must meet, as PromQL (handler="/api", instance=~"10\\..*").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Matcher { get; set; } = [];

    /// <summary>Prometheus: the app's request counter, with the status in -CodeLabel.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string RequestMetric { get; set; } = "http_requests_total";

    /// <summary>Prometheus: the base name of the app's latency histogram in seconds (its _bucket series are read).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string LatencyMetric { get; set; } = "http_request_duration_seconds";

    /// <summary>Prometheus: the label that names the service (Install-Monitoring's targets carry app).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceLabel { get; set; } = "app";

    /// <summary>Prometheus: the label of the HTTP status code.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CodeLabel { get; set; } = "code";

    // Services to read from Prometheus, by environment name ("" for none), in order of arrival.
    private readonly Dictionary<string, List<string>> _prometheusServices = new(StringComparer.Ordinal);
    private bool _prometheusAll;

    private bool UsesProbe => EffectiveSource is "Probe" or "All";

    private bool UsesPrometheus => EffectiveSource is "Prometheus" or "All";

    // With nothing to probe, a Prometheus parameter asks for Prometheus; else the environment's
    // deployments are probed. With URLs or endpoints, -PrometheusUrl adds Prometheus rows.
    private string EffectiveSource => Source
        ?? (ParameterSetName == PrometheusSet ? (AsksForPrometheus ? "Prometheus" : "Probe") : PrometheusUrl is not null ? "All" : "Probe");

    private bool AsksForPrometheus => PrometheusUrl is not null
        || new[] { nameof(Window), nameof(Matcher), nameof(RequestMetric), nameof(LatencyMetric), nameof(ServiceLabel), nameof(CodeLabel) }.Any(MyInvocation.BoundParameters.ContainsKey);

    /// <summary>BeginProcessing: the values themselves (the parameter set may still change with pipeline input).</summary>
    private void CheckPrometheusParameters()
    {
        if (PromQlText.ParseWindow(Window) is null)
        {
            ThrowEngineError(PrometheusInvalid("Window", $"-Window '{Window}' is not a window such as 90s, 15m, 1h or 7d."));
        }

        if (PrometheusUrl is not null && PrometheusClient.ParseUrl(PrometheusUrl) is null)
        {
            ThrowEngineError(PrometheusInvalid("PrometheusUrl", $"-PrometheusUrl '{PrometheusUrl}' is not an absolute http:// or https:// URL without credentials."));
        }

        try
        {
            Names.Validate();
            foreach (var matcher in Matcher)
            {
                PromQlText.CheckMatcher(matcher);
            }
        }
        catch (DevOpsToolsException ex)
        {
            ThrowEngineError(ex);
        }
    }

    private bool _sourceChecked;

    /// <summary>The first ProcessRecord, once the parameter set is known: the parameters fit the source.</summary>
    private void CheckSource()
    {
        if (_sourceChecked)
        {
            return;
        }

        _sourceChecked = true;
        if (!UsesPrometheus)
        {
            foreach (var name in new[] { nameof(Window), nameof(Matcher), nameof(RequestMetric), nameof(LatencyMetric), nameof(ServiceLabel), nameof(CodeLabel) })
            {
                if (MyInvocation.BoundParameters.ContainsKey(name))
                {
                    ThrowEngineError(PrometheusInvalid(name, $"-{name} shapes the PromQL of -Source Prometheus or All: give -PrometheusUrl or -Source too."));
                }
            }
        }
    }

    private PrometheusMetricNames Names => new() { Requests = RequestMetric, Latency = LatencyMetric, ServiceLabel = ServiceLabel, CodeLabel = CodeLabel };

    /// <summary>Notes the services of one pipeline record for the Prometheus run at the end.</summary>
    private void CollectPrometheusServices(string? environmentName, IEnumerable<string> services)
    {
        var list = _prometheusServices.TryGetValue(environmentName ?? "", out var l) ? l : _prometheusServices[environmentName ?? ""] = [];
        var any = false;
        foreach (var service in services)
        {
            any = true;
            if (!list.Contains(service, StringComparer.Ordinal))
            {
                list.Add(service);
            }
        }

        // No service named: every service Prometheus has data of.
        _prometheusAll |= !any;
    }

    /// <summary>One batch of queries per environment, for every service collected.</summary>
    private void RunPrometheus()
    {
        var window = PromQlText.ParseWindow(Window)!.Value;
        var range = SuccessStatus.Split('-');
        var settings = new ProbeSettings
        {
            MinStatus = int.Parse(range[0]),
            MaxStatus = int.Parse(range[^1]),
            LatencyObjective = LatencyObjective,
            MaxErrorRate = MaxErrorRate,
        };
        foreach (var (environment, services) in _prometheusServices)
        {
            var name = environment.Length == 0 ? null : environment;
            Uri url;
            try
            {
                url = PrometheusUrl is not null ? PrometheusClient.ParseUrl(PrometheusUrl)!
                    : name is not null ? PrometheusLocator.ForEnvironment(ModuleData.Default, name)
                    : throw PrometheusInvalid("PrometheusUrl", "Reading stats from Prometheus needs -PrometheusUrl, or -Environment naming an environment whose monitoring Install-Monitoring set up here.");
            }
            catch (DevOpsToolsException ex)
            {
                ThrowEngineError(ex);
                return;
            }

            var request = new PrometheusStatsRequest
            {
                Url = url,
                Services = _prometheusAll ? [] : services,
                Window = window,
                Environment = name,
                // Install-Monitoring labels every series with its environment; another Prometheus may not.
                MatchEnvironment = PrometheusUrl is null && name is not null,
                Matchers = Matcher,
                Names = Names,
                Settings = settings,
                Timeout = Timeout,
            };
            _results.AddRange(RunEngine(context => PrometheusStats.RunAsync(context, request)));
        }
    }

    private static DevOpsToolsException PrometheusInvalid(string name, string message) =>
        new(ErrorIds.PrometheusSettingsInvalid, ErrorKind.InvalidArgument, message, name);
}
