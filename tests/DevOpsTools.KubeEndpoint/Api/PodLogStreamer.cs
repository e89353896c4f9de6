using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;
using Microsoft.AspNetCore.Http;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// <c>GET .../pods/{name}/log</c> as text/plain: <c>container</c>, <c>tailLines</c>, <c>sinceSeconds</c>,
/// <c>sinceTime</c>, <c>timestamps</c>, <c>previous</c>, <c>limitBytes</c> and <c>follow</c> (streams
/// new lines until the pod goes away or the client leaves).
/// </summary>
public sealed class PodLogStreamer(ObjectStore store, LogBook book, CancellationToken shutdown)
{
    public async Task ServeAsync(HttpContext ctx, ResourcePath rp)
    {
        var q = ctx.Request.Query;
        var pod = store.Get(ResourceCatalog.Pods, rp.Namespace, rp.Name!) ?? throw ApiException.NotFound(ResourceCatalog.Pods, rp.Name!);
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"] ?? string.Empty).ToList();
        var container = q["container"].FirstOrDefault();
        if (string.IsNullOrEmpty(container))
        {
            container = containers.Count == 1
                ? containers[0]
                : throw ApiException.BadRequest($"a container name must be specified for pod {rp.Name}, choose one of: [{string.Join(' ', containers)}]");
        }
        else if (!containers.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {rp.Name}");
        }

        var lines = book.Read(rp.Namespace!, rp.Name!, container);
        if (lines.Count == 0 && (string?)pod["status"]?["phase"] is null or "Pending")
        {
            throw ApiException.BadRequest($"container \"{container}\" in pod \"{rp.Name}\" is waiting to start: ContainerCreating");
        }

        var latestRun = lines.Count == 0 ? 0 : lines.Max(l => l.Run);
        var run = ResourceApi.IsTrue(q["previous"]) ? latestRun - 1 : latestRun;
        if (run < 0)
        {
            throw ApiException.BadRequest($"previous terminated container \"{container}\" in pod \"{rp.Name}\" not found");
        }

        DateTimeOffset? since = null;
        if (long.TryParse(q["sinceSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var sinceSeconds))
        {
            since = store.Now - TimeSpan.FromSeconds(sinceSeconds);
        }
        else if (Meta.ParseTime(q["sinceTime"].FirstOrDefault()) is { } sinceTime)
        {
            since = sinceTime;
        }

        var selected = lines.Where(l => l.Run == run && (since is null || l.Time >= since)).ToList();
        if (long.TryParse(q["tailLines"], NumberStyles.None, CultureInfo.InvariantCulture, out var tail) && tail < selected.Count)
        {
            selected = selected.Skip(selected.Count - (int)tail).ToList();
        }

        var timestamps = ResourceApi.IsTrue(q["timestamps"]);
        var limitBytes = long.TryParse(q["limitBytes"], NumberStyles.None, CultureInfo.InvariantCulture, out var lb) && lb > 0 ? lb : long.MaxValue;
        long written = 0;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, shutdown);
        async Task<bool> WriteAsync(LogLine l)
        {
            var text = (timestamps ? l.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z' ", CultureInfo.InvariantCulture) : string.Empty) + l.Text + "\n";
            var bytes = Encoding.UTF8.GetBytes(text);
            var room = (int)Math.Min(bytes.Length, limitBytes - written);
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, room), cts.Token).ConfigureAwait(false);
            written += room;
            return written < limitBytes;
        }

        try
        {
            var count = 0;
            foreach (var l in selected)
            {
                if (!await WriteAsync(l).ConfigureAwait(false))
                {
                    return;
                }
            }

            await ctx.Response.Body.FlushAsync(cts.Token).ConfigureAwait(false);
            if (!ResourceApi.IsTrue(q["follow"]))
            {
                return;
            }

            count = lines.Count;
            var uid = Meta.Uid(pod);
            while (!cts.IsCancellationRequested)
            {
                await Task.Delay(100, cts.Token).ConfigureAwait(false);
                var current = store.Get(ResourceCatalog.Pods, rp.Namespace, rp.Name!);
                var now = book.Read(rp.Namespace!, rp.Name!, container);
                foreach (var l in now.Skip(count).Where(l => l.Run >= run))
                {
                    if (!await WriteAsync(l).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                count = now.Count;
                await ctx.Response.Body.FlushAsync(cts.Token).ConfigureAwait(false);
                if (current is null || Meta.Uid(current) != uid || (string?)current["status"]?["phase"] is "Succeeded" or "Failed")
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }
}
