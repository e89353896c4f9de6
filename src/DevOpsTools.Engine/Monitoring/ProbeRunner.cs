using System.Diagnostics;
using DevOpsTools.Engine.Monitoring.Platform;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Monitoring;

/// <summary>
/// Drives the load against one target: Concurrency workers share a request counter (or the
/// clock, with Duration) and record into a few shards (histogram and error counts, each under
/// its own lock), added up at the end. Shards rather than one per worker: a histogram is about
/// 190 KB, so memory stays flat at any concurrency; rather than one, so 64 workers do not queue
/// on a single lock. Closed model without Rate; open model with Rate (see ProbeSettings.Rate).
/// </summary>
internal sealed class ProbeRunner
{
    private readonly ProbeTarget _target;
    private readonly ProbeSettings _settings;
    private readonly IProbe _probe;
    // The latency SLOs' thresholds, each counted exactly as requests complete (not read from the quantiles).
    private readonly TimeSpan[] _thresholds;
    private long _claimed = -1;
    private long _completed;

    public ProbeRunner(ProbeTarget target, ProbeSettings settings, IProbe probe)
    {
        _target = target;
        _settings = settings;
        _probe = probe;
        _thresholds = target.Slos.Where(s => s.LatencyThresholdMs is not null)
            .Select(s => TimeSpan.FromMilliseconds(s.LatencyThresholdMs!.Value)).Distinct().ToArray();
    }

    private sealed class Shard(int thresholds)
    {
        /// <summary>Per latency threshold: successes slower than it.</summary>
        public readonly long[] Slow = new long[thresholds];

        public readonly LatencyHistogram Successes = new();
        public readonly Dictionary<string, long> Errors = new(StringComparer.Ordinal);
    }

    /// <summary>Runs the probe; <paramref name="report"/> hears "n/N requests" twice a second. Throws only on cancellation.</summary>
    public async Task<ServiceStats> RunAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var limit = _settings.Duration is null ? _settings.Requests ?? ProbeSettings.DefaultRequests : _settings.Requests;
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = ReportAsync(report, limit, clock, done.Token);

        var shards = Enumerable.Range(0, Math.Min(_settings.Concurrency, 2 * System.Environment.ProcessorCount)).Select(_ => new Shard(_thresholds.Length)).ToArray();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, _settings.Concurrency)
                .Select(i => Task.Run(() => WorkAsync(shards[i % shards.Length], limit, clock, cancellationToken), cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            done.Cancel();
            await progress.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var window = clock.Elapsed;
        return Summarize(shards, startedAt, window);
    }

    private async Task WorkAsync(Shard shard, long? limit, Stopwatch clock, CancellationToken cancellationToken)
    {
        var interval = _settings.Rate is { } rate ? TimeSpan.FromSeconds(1 / rate) : (TimeSpan?)null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var index = Interlocked.Increment(ref _claimed);
            if (limit is { } n && index >= n)
            {
                return;
            }

            // Open model: this request is due at its slot whether or not the earlier ones have
            // returned; its latency starts there, so time spent queued behind a slow server counts.
            TimeSpan start;
            if (interval is { } step)
            {
                start = step * index;
                if (_settings.Duration is { } d1 && start >= d1)
                {
                    return;
                }

                var wait = start - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                start = clock.Elapsed;
                if (_settings.Duration is { } d2 && start >= d2)
                {
                    return;
                }
            }

            ProbeOutcome outcome;
            try
            {
                outcome = await _probe.SendAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = new ProbeOutcome(false, ProbeErrors.Reason(ex, _settings.Timeout));
            }

            var latency = clock.Elapsed - start;
            lock (shard)
            {
                if (outcome.Success)
                {
                    shard.Successes.Record(latency);
                    for (var t = 0; t < _thresholds.Length; t++)
                    {
                        if (latency > _thresholds[t])
                        {
                            shard.Slow[t]++;
                        }
                    }
                }
                else
                {
                    // Failures are counted by reason, not timed: the latencies reported are of successes only.
                    var reason = outcome.Reason ?? "failed";
                    shard.Errors[reason] = shard.Errors.GetValueOrDefault(reason) + 1;
                }
            }

            Interlocked.Increment(ref _completed);
        }
    }

    private async Task ReportAsync(Action<string> report, long? limit, Stopwatch clock, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop).ConfigureAwait(false);
                var count = Interlocked.Read(ref _completed);
                report(limit is { } n
                    ? $"{count}/{n} requests"
                    : $"{count} requests, {clock.Elapsed.TotalSeconds:0}/{_settings.Duration!.Value.TotalSeconds:0}s");
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended (or Ctrl+C): no more progress lines.
        }
    }

    private ServiceStats Summarize(Shard[] shards, DateTimeOffset startedAt, TimeSpan window)
    {
        var successes = new LatencyHistogram();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var slow = new long[_thresholds.Length];
        foreach (var w in shards)
        {
            successes.Add(w.Successes);
            for (var t = 0; t < slow.Length; t++)
            {
                slow[t] += w.Slow[t];
            }

            foreach (var (why, count) in w.Errors)
            {
                errors[why] = errors.GetValueOrDefault(why) + count;
            }
        }

        long failures = errors.Values.Sum();
        long requests = successes.Count + failures;
        var expires = _probe.CertificateExpiresAt;
        var figures = new ProbeFigures(requests, failures, window, successes.Percentile(99), errors);
        var slos = _target.Slos.Select(slo => SloResult.Evaluate(slo, requests, failures
            + (slo.LatencyThresholdMs is { } ms ? slow[Array.IndexOf(_thresholds, TimeSpan.FromMilliseconds(ms))] : 0))).ToArray();
        // The SLO shown: the one with the least budget left (the first of equals, as declared).
        var held = slos.OrderBy(r => r.ErrorBudgetRemaining ?? double.MaxValue).FirstOrDefault();
        var platform = _target.Platform;
        var (status, reason) = PlatformRules.Combine(ServiceStatsRules.Judge(figures, _settings, slos), platform);
        return new ServiceStats
        {
            Service = _target.Service,
            Environment = _target.Environment,
            Target = _target.Display,
            StartedAt = startedAt,
            Window = window,
            Status = status,
            Reason = reason,
            Requests = requests,
            Failures = failures,
            Availability = requests == 0 ? 0 : (double)successes.Count / requests,
            ErrorRate = requests == 0 ? 0 : (double)failures / requests,
            Throughput = window > TimeSpan.Zero ? requests / window.TotalSeconds : 0,
            LatencyP50 = successes.Percentile(50),
            LatencyP90 = successes.Percentile(90),
            LatencyP95 = successes.Percentile(95),
            LatencyP99 = successes.Percentile(99),
            LatencyMax = successes.Max,
            LatencyObjective = _settings.LatencyObjective?.TotalMilliseconds,
            Slo = held?.Name,
            SloObjective = held?.Objective,
            SloKind = held?.Kind,
            SloLatencyThresholdMs = held?.LatencyThresholdMs,
            BadEvents = held?.BadEvents,
            ErrorBudgetRemaining = held?.ErrorBudgetRemaining,
            BurnRate = held?.BurnRate,
            SloBreached = slos.Any(r => r.Breached),
            Slos = slos,
            CertificateExpiresAt = expires,
            CertificateDaysLeft = expires is { } e ? (int)Math.Floor((e - DateTimeOffset.UtcNow).TotalDays) : null,
            Errors = errors,
            ReplicasReady = platform?.ReplicasReady,
            ReplicasDesired = platform?.ReplicasDesired,
            Restarts = platform?.Restarts,
            CpuPercent = platform?.CpuPercent,
            MemoryBytes = platform?.MemoryBytes,
            Unavailable = platform?.Unavailable ?? new Dictionary<string, string>(),
            Sources = platform is null ? ServiceStatsRules.ProbeSources(expires is not null, slos.Length > 0)
                : ServiceStatsRules.ProbeSources(expires is not null, slos.Length > 0).Concat(PlatformRules.Sources(platform)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
    }
}
