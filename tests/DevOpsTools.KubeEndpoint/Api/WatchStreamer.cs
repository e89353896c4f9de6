using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;
using Microsoft.AspNetCore.Http;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// <c>?watch=true</c>: one JSON event per line (<c>{"type":"ADDED","object":{...}}</c>), as long as the
/// client stays, <c>timeoutSeconds</c> allows, or the endpoint runs. Without a resourceVersion (or with
/// 0) the stream starts with an ADDED event per existing object; from a version, with the changes after
/// it, or a 410 Expired ERROR event when the history no longer reaches back that far.
/// </summary>
public sealed class WatchStreamer(ObjectStore store, KubeEndpointOptions options, CancellationToken shutdown)
{
    public async Task StreamAsync(HttpContext ctx, ResourcePath rp)
    {
        var q = ctx.Request.Query;
        var labels = Selector.ParseLabels(q["labelSelector"]);
        var fields = Selector.ParseFields(q["fieldSelector"], rp.Type);
        var bookmarks = ResourceApi.IsTrue(q["allowWatchBookmarks"]);
        var initialEvents = ResourceApi.IsTrue(q["sendInitialEvents"]);
        var rvText = q["resourceVersion"].FirstOrDefault() ?? string.Empty;
        bool Matches(JsonObject o) => (rp.Namespace is null || Meta.Namespace(o) == rp.Namespace) && labels.Matches(o) && fields.Matches(o);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, shutdown);
        if (int.TryParse(q["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var timeout) && timeout > 0)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        var writer = ctx.Response.Body;
        var initial = new List<JsonObject>();
        Action unsubscribe;
        System.Threading.Channels.ChannelReader<StoreEvent> live;
        long lastSeen;
        if (rvText is "" or "0" || initialEvents)
        {
            (initial, lastSeen, live) = store.SubscribeWithSnapshot(rp.Type, rp.Namespace, out unsubscribe);
        }
        else if (long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            var (backlog, reader, oldest) = store.Subscribe(from, out unsubscribe);
            live = reader;
            lastSeen = from;
            if (backlog is null)
            {
                unsubscribe();
                var expired = ApiException.StatusObject(410, "Expired", $"too old resource version: {from} ({oldest - 1})");
                await WriteEventAsync(writer, "ERROR", expired, cts.Token).ConfigureAwait(false);
                return;
            }

            foreach (var e in backlog)
            {
                await DeliverAsync(e).ConfigureAwait(false);
            }
        }
        else
        {
            throw ApiException.BadRequest($"invalid resource version: {rvText}");
        }

        try
        {
            foreach (var o in initial.Where(Matches))
            {
                await WriteEventAsync(writer, "ADDED", Writes.Outward(rp.Type, o), cts.Token).ConfigureAwait(false);
            }

            if (initialEvents && bookmarks)
            {
                // The end of the initial state, the marker streaming lists (WatchList) wait for.
                await WriteEventAsync(writer, "BOOKMARK", Bookmark(rp.Type, lastSeen, initialEnd: true), cts.Token).ConfigureAwait(false);
            }
            else
            {
                await writer.FlushAsync(cts.Token).ConfigureAwait(false);
            }

            var nextBookmark = DateTime.UtcNow + options.BookmarkInterval;
            while (!cts.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                wait.CancelAfter(bookmarks ? Max(nextBookmark - DateTime.UtcNow, TimeSpan.FromMilliseconds(10)) : Timeout.InfiniteTimeSpan);
                try
                {
                    if (!await live.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                {
                }

                while (live.TryRead(out var e))
                {
                    await DeliverAsync(e).ConfigureAwait(false);
                }

                if (bookmarks && DateTime.UtcNow >= nextBookmark)
                {
                    await WriteEventAsync(writer, "BOOKMARK", Bookmark(rp.Type, lastSeen, initialEnd: false), cts.Token).ConfigureAwait(false);
                    nextBookmark = DateTime.UtcNow + options.BookmarkInterval;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            unsubscribe();
        }

        async Task DeliverAsync(StoreEvent e)
        {
            lastSeen = Math.Max(lastSeen, e.ResourceVersion);
            if (e.Resource != rp.Type)
            {
                return;
            }

            var now = Matches(e.Object);
            var before = e.Previous is not null && Matches(e.Previous);
            var type = e.Type switch
            {
                "MODIFIED" when now && !before => "ADDED",
                "MODIFIED" when !now && before => "DELETED",
                "MODIFIED" when !now => null,
                "ADDED" or "DELETED" when !now => null,
                var t => t,
            };
            if (type is not null)
            {
                await WriteEventAsync(writer, type, Writes.Outward(rp.Type, e.Object), cts.Token).ConfigureAwait(false);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static JsonObject Bookmark(ResourceType type, long rv, bool initialEnd)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (initialEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.GroupVersion, ["metadata"] = meta };
    }

    private static async Task WriteEventAsync(Stream body, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString(Http.Wire) + "\n";
        await body.WriteAsync(Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }
}
