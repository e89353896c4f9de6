using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.PromQl;

/// <summary>What one Get-ServiceStats run asks of Prometheus.</summary>
public sealed record PrometheusStatsRequest
{
    public required Uri Url { get; init; }

    /// <summary>The services; empty: every service with data over the window.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    public TimeSpan Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The environment the results carry.</summary>
    public string? Environment { get; init; }

    /// <summary>Series must carry environment="&lt;Environment&gt;" (as Install-Monitoring labels every target).</summary>
    public bool MatchEnvironment { get; init; }

    /// <summary>Extra label matchers as PromQL text (handler="/api").</summary>
    public IReadOnlyList<string> Matchers { get; init; } = [];

    public PrometheusMetricNames Names { get; init; } = new();

    /// <summary>The success range, error-rate limit and latency objective, as for probes.</summary>
    public ProbeSettings Settings { get; init; } = new();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The answers of one run's queries, as Prometheus gave them (PrometheusQueries' order).</summary>
public sealed record PrometheusAnswers(
    IReadOnlyList<PromSample> Requests, IReadOnlyList<PromSample> Successes, IReadOnlyList<PromSample> FailuresByCode,
    IReadOnlyList<IReadOnlyList<PromSample>> Quantiles, IReadOnlyList<PromSample> Probes, IReadOnlyList<PromSample> Up);

/// <summary>
/// Get-ServiceStats from Prometheus: nine instant queries (requests, successes, failures by code,
/// four latency quantiles, probe_success, up) for all services at once, in parallel, then one
/// ServiceStats per service, every figure it has data for sourced "prometheus".
/// </summary>
public static class PrometheusStats
{
    private sealed record Answers(
        Dictionary<string, double> Requests, Dictionary<string, double> Successes, Dictionary<string, Dictionary<string, double>> FailuresByCode,
        Dictionary<string, double>[] Quantiles, Dictionary<string, double> Probes, Dictionary<string, double> Up);

    public static async Task<IReadOnlyList<ServiceStats>> RunAsync(EngineContext context, PrometheusStatsRequest request)
    {
        request.Settings.Validate();
        var queries = new PrometheusQueries(request.Names, request.Services, request.Window, request.Matchers,
            request.MatchEnvironment && request.Environment is { } env ? [new("environment", env)] : null,
            request.Settings.MinStatus, request.Settings.MaxStatus);
        using var client = new PrometheusClient(request.Url, request.Timeout);
        var token = context.CancellationToken;
        context.Output.WriteVerbose($"Querying Prometheus at {client.BaseUrl}: {queries.Requests}");

        Task<IReadOnlyList<PromSample>> Q(string expression) => client.QueryAsync(expression, token);
        var requests = Q(queries.Requests);
        var successes = Q(queries.Successes);
        var failures = Q(queries.FailuresByCode);
        var quantiles = PrometheusQueries.Quantiles.Select(q => Q(queries.Quantile(q))).ToArray();
        var probes = Q(queries.ProbeSuccess);
        var up = Q(queries.Up);
        var all = new[] { requests, successes, failures }.Concat(quantiles).Append(probes).Append(up).ToArray();
        try
        {
            await Task.WhenAll(all).ConfigureAwait(false);
        }
        catch (DevOpsToolsException)
        {
            // The first failure in query order, so the same fault always reports the same query.
            throw all.First(t => t.IsFaulted).Exception!.InnerException!;
        }

        var answers = new PrometheusAnswers(requests.Result, successes.Result, failures.Result,
            quantiles.Select(t => t.Result).ToList(), probes.Result, up.Result);
        var results = Summarize(request, answers, DateTimeOffset.UtcNow);
        foreach (var stats in results)
        {
            context.Output.WriteVerbose($"{stats.Service}: {stats.Requests} requests in Prometheus, {stats.Status}" + (stats.Reason is null ? "" : $": {stats.Reason}"));
            context.Emit(stats);
        }

        return results;
    }

    /// <summary>One ServiceStats per service asked (or, when none was, per service in the answers, by name).</summary>
    public static IReadOnlyList<ServiceStats> Summarize(PrometheusStatsRequest request, PrometheusAnswers raw, DateTimeOffset now)
    {
        var label = request.Names.ServiceLabel;
        var answers = new Answers(
            ByService(raw.Requests, label), ByService(raw.Successes, label),
            raw.FailuresByCode.Where(s => s.Labels.ContainsKey(label)).GroupBy(s => s.Labels[label], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToDictionary(s => s.Labels.GetValueOrDefault(request.Names.CodeLabel) ?? "", s => s.Value, StringComparer.Ordinal), StringComparer.Ordinal),
            raw.Quantiles.Select(q => ByService(q, label)).ToArray(), ByService(raw.Probes, label), ByService(raw.Up, label));
        var services = request.Services.Count > 0
            ? request.Services.Distinct(StringComparer.Ordinal).ToList()
            : answers.Requests.Keys.Concat(answers.Probes.Keys).Concat(answers.Up.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return services.Select(s => Assemble(s, request, answers, now)).ToList();
    }

    private static Dictionary<string, double> ByService(IReadOnlyList<PromSample> samples, string label) =>
        samples.Where(s => s.Labels.ContainsKey(label)).GroupBy(s => s.Labels[label], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);

    /// <summary>A number that is data: NaN (no requests in the window) and ±Inf are not.</summary>
    private static double? Finite(Dictionary<string, double> answer, string service) =>
        answer.TryGetValue(service, out var v) && double.IsFinite(v) ? v : null;

    private static ServiceStats Assemble(string service, PrometheusStatsRequest request, Answers answers, DateTimeOffset now)
    {
        var settings = request.Settings;
        var range = PromQlText.Range(request.Window);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var total = Finite(answers.Requests, service);
        long requests = 0, failures = 0;
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        if (total is { } t)
        {
            requests = (long)Math.Round(Math.Max(0, t));
            var ok = Finite(answers.Successes, service) ?? 0;
            failures = Math.Clamp((long)Math.Round(t - ok), 0, requests);
            foreach (var (code, count) in answers.FailuresByCode.GetValueOrDefault(service) ?? [])
            {
                if (double.IsFinite(count) && Math.Round(count) > 0)
                {
                    errors[$"HTTP {code}"] = (long)Math.Round(count);
                }
            }

            foreach (var name in new[] { "Requests", "Failures", "ErrorRate", "Throughput" })
            {
                sources[name] = "prometheus";
            }
        }

        var latencies = answers.Quantiles.Select(q => Finite(q, service) is { } seconds ? seconds * 1000 : (double?)null).ToArray();
        foreach (var (name, value) in new[] { "LatencyP50", "LatencyP90", "LatencyP95", "LatencyP99" }.Zip(latencies))
        {
            if (value is not null)
            {
                sources[name] = "prometheus";
            }
        }

        // Availability: the blackbox probes' success; without probes, the scrapes'; else the requests'.
        var probe = Finite(answers.Probes, service);
        var scraped = probe is null ? Finite(answers.Up, service) : null;
        var availability = probe ?? scraped ?? (requests > 0 ? (double)(requests - failures) / requests : (double?)null);
        if (availability is not null)
        {
            sources["Availability"] = "prometheus";
        }

        var (status, reason) = Judge(service, request, range, total, requests, failures, latencies[3], probe, scraped, errors);
        sources["Status"] = "prometheus";
        return new ServiceStats
        {
            Service = service,
            Environment = request.Environment,
            Target = $"{PrometheusClient.Normalize(request.Url).AbsoluteUri} {request.Names.ServiceLabel}={PromQlText.Quote(service)}",
            StartedAt = now - request.Window,
            Window = request.Window,
            Status = status,
            Reason = reason,
            Requests = requests,
            Failures = failures,
            Availability = availability ?? 0,
            ErrorRate = requests == 0 ? 0 : (double)failures / requests,
            Throughput = requests / request.Window.TotalSeconds,
            LatencyP50 = latencies[0],
            LatencyP90 = latencies[1],
            LatencyP95 = latencies[2],
            LatencyP99 = latencies[3],
            LatencyObjective = settings.LatencyObjective?.TotalMilliseconds,
            Errors = errors,
            Sources = sources,
        };
    }

    /// <summary>
    /// Unknown without any series; Down when every request failed or no probe (or scrape) succeeded;
    /// Degraded by the probe rules (error rate, p99) and when probes failed more often than the
    /// error-rate limit allows; Healthy otherwise, an idle service (no requests) included.
    /// </summary>
    private static (ServiceStatus, string?) Judge(string service, PrometheusStatsRequest request, string range, double? total,
        long requests, long failures, double? p99, double? probe, double? scraped, Dictionary<string, long> errors)
    {
        var settings = request.Settings;
        if (total is null && probe is null && scraped is null)
        {
            return (ServiceStatus.Unknown,
                $"Prometheus has no {request.Names.Requests}, probe_success or up series with {request.Names.ServiceLabel}={PromQlText.Quote(service)} over the last {range}");
        }

        var reasons = new List<string>();
        var down = false;
        if (probe is 0 || (probe is null && scraped is 0))
        {
            down = true;
            reasons.Add(probe is 0 ? $"no probe succeeded over the last {range}" : $"no scrape of its metrics succeeded over the last {range}");
        }
        else if (1 - (probe ?? scraped) is { } missed && missed > settings.MaxErrorRate)
        {
            reasons.Add($"{(probe is null ? "scrapes" : "probes")} failed {missed:P2} of the time, above {settings.MaxErrorRate:P2}");
        }

        if (requests > 0)
        {
            var (status, why) = ServiceStatsRules.Judge(new ProbeFigures(requests, failures, request.Window, p99, errors), settings);
            down |= status == ServiceStatus.Down;
            if (why is not null)
            {
                reasons.Add(why);
            }
        }

        return reasons.Count == 0
            ? (ServiceStatus.Healthy, null)
            : (down ? ServiceStatus.Down : ServiceStatus.Degraded, string.Join("; ", reasons));
    }
}
