using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Tests.Core;

public class FanOutTests
{
    private readonly RecordingSink _sink = new();

    private static FanOutOptions Options(int throttle) => new() { Activity = "Testing", DoneWord = "done", ThrottleLimit = throttle, ProgressId = 7 };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Never_runs_more_items_at_once_than_the_throttle(int throttle)
    {
        var running = 0;
        var peak = 0;
        var items = Enumerable.Range(1, 12).ToList();

        var result = await FanOut.RunAsync(new EngineContext(_sink), items, Options(throttle), i => $"item-{i}", async (i, step) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(20, step.CancellationToken);
            Interlocked.Decrement(ref running);
            return i * 10;
        });

        Assert.Equal(Math.Min(throttle, items.Count), peak);
        Assert.Equal(items.Select(i => i * 10), result.Results);
    }

    [Fact]
    public async Task One_failure_is_an_error_about_that_item_while_the_others_finish()
    {
        var items = new[] { "a", "b", "c", "d" };
        var result = await FanOut.RunAsync(new EngineContext(_sink), items, Options(4), s => $"server {s}", async (s, _) =>
        {
            await Task.Yield();
            return s == "b" ? throw new InvalidOperationException("disk full") : s.ToUpperInvariant();
        });

        Assert.Equal(["A", "C", "D"], result.Results);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("b", failure.Item);
        var error = Assert.Single(_sink.Errors);
        Assert.Same(failure.Error, error);
        Assert.Equal("server b: disk full", error.Message);
        Assert.Equal("b", error.Target);
        Assert.Equal(ErrorIds.UnexpectedError, error.ErrorId);
    }

    [Fact]
    public async Task An_error_that_already_names_its_item_is_kept_as_it_is()
    {
        var known = new DevOpsToolsException(ErrorIds.RemoteCommandFailed, ErrorKind.InvalidOperation, "web-1: exit 3", "web-1");
        await FanOut.RunAsync<string>(new EngineContext(_sink), ["web-1"], Options(1), s => s, (_, _) => throw known);
        Assert.Same(known, Assert.Single(_sink.Errors));
    }

    [Fact]
    public async Task Ctrl_C_stops_the_running_items_starts_no_other_and_is_rethrown_after_all_have_ended()
    {
        using var cancel = new CancellationTokenSource();
        var started = 0;
        var ended = 0;
        var items = Enumerable.Range(1, 10).ToList();
        var run = FanOut.RunAsync<int>(new EngineContext(_sink, cancel.Token), items, Options(2), i => i.ToString(), async (_, step) =>
        {
            Interlocked.Increment(ref started);
            try
            {
                await Task.Delay(Timeout.Infinite, step.CancellationToken);
            }
            finally
            {
                // Clean-up of a running item finishes before the fan-out reports the stop.
                await Task.Delay(50, CancellationToken.None);
                Interlocked.Increment(ref ended);
            }
        });

        while (Volatile.Read(ref started) < 2)
        {
            await Task.Delay(5);
        }

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, started);
        Assert.Equal(2, ended);
        Assert.Empty(_sink.Errors);
        Assert.True(_sink.Progress[^1].Completed);
    }

    [Fact]
    public async Task Progress_counts_every_item_once_and_ends_completed()
    {
        var items = Enumerable.Range(1, 5).ToList();
        await FanOut.RunAsync(new EngineContext(_sink), items, Options(2), i => $"s{i}", async (i, step) =>
        {
            step.Report("working");
            await Task.Yield();
            if (i == 3)
            {
                throw new TimeoutException("slow");
            }
        });

        var updates = _sink.Progress;
        Assert.All(updates, u => Assert.Equal(7, u.ActivityId));
        Assert.Equal("0/5 done", updates[0].Status);
        var counts = updates.Where(u => !u.Completed).Select(u => int.Parse(u.Status.Split('/')[0])).ToList();
        Assert.Equal(counts.Order(), counts); // never goes backwards
        Assert.Equal(5, counts.Max());
        Assert.Contains(updates, u => u.CurrentOperation == "s2: working");
        Assert.Equal(5, updates.Count(u => u.CurrentOperation?.EndsWith(": done", StringComparison.Ordinal) == true));
        Assert.True(updates[^1].Completed);
        Assert.Equal(100, updates.Where(u => !u.Completed).Max(u => u.PercentComplete));
    }

    [Fact]
    public async Task No_items_report_nothing()
    {
        var result = await FanOut.RunAsync(new EngineContext(_sink), Array.Empty<int>(), Options(3), i => "", (i, _) => Task.FromResult(i));
        Assert.Empty(result.Outcomes);
        Assert.Empty(_sink.Progress);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
