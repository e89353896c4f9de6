using Amazon.EC2;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>How throttled EC2 calls are retried.</summary>
public sealed record AwsRetryPolicy
{
    public static readonly AwsRetryPolicy Default = new();

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>The cap of the first wait; each further retry doubles the cap, up to MaxDelay.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// Retries throttled EC2 calls (RequestLimitExceeded) with capped exponential backoff and full
/// jitter, so a fleet of parallel creations does not retry in lock-step. The SDK's own retry
/// is off so every wait is visible (verbose) and cancellable.
/// </summary>
internal sealed class AwsRetry
{
    private static readonly HashSet<string> Throttling = new(StringComparer.Ordinal)
    {
        "RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled",
    };

    private readonly IOutputSink _output;
    private readonly AwsRetryPolicy _policy;
    private readonly Func<double> _random;

    public AwsRetry(IOutputSink output, AwsRetryPolicy? policy = null, Func<double>? random = null)
    {
        _output = output;
        _policy = policy ?? AwsRetryPolicy.Default;
        _random = random ?? Random.Shared.NextDouble;
    }

    public static bool IsThrottling(string? errorCode) => Throttling.Contains(errorCode ?? string.Empty);

    /// <summary>Full jitter: uniform in [0, min(MaxDelay, BaseDelay * 2^(attempt-1))).</summary>
    public TimeSpan Delay(int attempt)
    {
        var cap = Math.Min(_policy.MaxDelay.TotalMilliseconds, _policy.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(_random() * cap);
    }

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonEC2Exception ex) when (IsThrottling(ex.ErrorCode) && attempt < _policy.MaxAttempts)
            {
                var delay = Delay(attempt);
                _output.WriteVerbose($"EC2 {operation} throttled ({ex.ErrorCode}); retry {attempt}/{_policy.MaxAttempts - 1} in {delay.TotalMilliseconds:F0} ms.");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
