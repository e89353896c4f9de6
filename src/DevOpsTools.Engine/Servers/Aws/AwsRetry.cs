using Amazon.EC2;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

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

    public AwsRetry(IOutputSink output, int maxAttempts = 8, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _output = output;
        MaxAttempts = maxAttempts;
        BaseDelay = baseDelay ?? TimeSpan.FromMilliseconds(200);
        MaxDelay = maxDelay ?? TimeSpan.FromSeconds(20);
    }

    public int MaxAttempts { get; }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonEC2Exception ex) when (Throttling.Contains(ex.ErrorCode ?? string.Empty) && attempt < MaxAttempts)
            {
                var cap = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
                var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
                _output.WriteVerbose($"EC2 {operation} throttled ({ex.ErrorCode}); retry {attempt}/{MaxAttempts - 1} in {delay.TotalMilliseconds:F0} ms.");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
