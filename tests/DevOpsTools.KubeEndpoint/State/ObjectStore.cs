using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using DevOpsTools.KubeEndpoint.Api;

namespace DevOpsTools.KubeEndpoint.State;

/// <summary>One change, as watches deliver it. <see cref="Object"/> is the state after the change
/// (for DELETED, the last state with the deletion's resourceVersion).</summary>
public sealed record StoreEvent(string Type, ResourceType Resource, long ResourceVersion, JsonObject Object, JsonObject? Previous);

/// <summary>
/// Every object of every kind, in memory, behind one lock. resourceVersion is one counter for the
/// whole store, as etcd's revision is for a real cluster, so "changes after N" is a single question
/// for every kind. The last <see cref="KubeEndpointOptions.WatchHistory"/> changes are kept for
/// watches that resume from a resourceVersion.
/// </summary>
public sealed class ObjectStore
{
    private readonly object _gate = new();
    private readonly Dictionary<ResourceType, SortedDictionary<string, JsonObject>> _objects = [];
    private readonly LinkedList<StoreEvent> _history = new();
    private readonly List<Channel<StoreEvent>> _subscribers = [];
    private readonly int _historyLimit;
    private readonly TimeProvider _time;
    private long _resourceVersion;
    private long _oldestResumable;

    public ObjectStore(int historyLimit, TimeProvider time)
    {
        _historyLimit = Math.Max(1, historyLimit);
        _time = time;
        foreach (var type in ResourceCatalog.All)
        {
            _objects[type] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        }

        _resourceVersion = 1;
        _oldestResumable = 1;
    }

    public long CurrentResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    public static string Key(string? ns, string name) => ns is null or "" ? name : $"{ns}/{name}";

    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects[type].TryGetValue(Key(ns, name), out var o) ? (JsonObject)o.DeepClone() : null;
        }
    }

    /// <summary>Copies of the objects of one kind (in one namespace, or all), with the store's version at that instant.</summary>
    public (List<JsonObject> Items, long ResourceVersion) List(ResourceType type, string? ns)
    {
        lock (_gate)
        {
            var items = _objects[type].Values
                .Where(o => ns is null || Meta.Namespace(o) == ns)
                .Select(o => (JsonObject)o.DeepClone())
                .ToList();
            return (items, _resourceVersion);
        }
    }

    public bool NamespaceExists(string ns)
    {
        lock (_gate)
        {
            return _objects[ResourceCatalog.Namespaces].ContainsKey(ns);
        }
    }

    /// <summary>Stores a new object: uid, creationTimestamp, generation and resourceVersion are the store's.</summary>
    public JsonObject Create(ResourceType type, JsonObject obj, bool dryRun = false)
    {
        lock (_gate)
        {
            var meta = Meta.Of(obj);
            var name = Meta.Name(obj);
            var ns = type.Namespaced ? Meta.Namespace(obj) : null;
            if (type.Namespaced && !_objects[ResourceCatalog.Namespaces].ContainsKey(ns!))
            {
                throw ApiException.NotFound(ResourceCatalog.Namespaces, ns!);
            }

            if (_objects[type].ContainsKey(Key(ns, name)))
            {
                throw ApiException.AlreadyExists(type, name);
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Meta.Timestamp(Now);
            if (type.HasSpec)
            {
                meta["generation"] = 1;
            }

            meta.Remove("deletionTimestamp");
            meta.Remove("resourceVersion");
            if (dryRun)
            {
                return Normalize(obj);
            }

            meta["resourceVersion"] = Next();
            var stored = Normalize(obj);
            _objects[type][Key(ns, name)] = stored;
            Publish(new StoreEvent("ADDED", type, _resourceVersion, (JsonObject)stored.DeepClone(), null));
            return (JsonObject)stored.DeepClone();
        }
    }

    /// <summary>
    /// Replaces an object. With <paramref name="expectedResourceVersion"/> the write is refused (409
    /// Conflict) if the object changed since; identity fields always come from the stored object.
    /// An update that changes nothing keeps the resourceVersion and sends no event, as a real server does.
    /// </summary>
    public JsonObject Update(ResourceType type, JsonObject obj, string? expectedResourceVersion, bool dryRun = false)
    {
        lock (_gate)
        {
            var name = Meta.Name(obj);
            var ns = type.Namespaced ? Meta.Namespace(obj) : null;
            if (!_objects[type].TryGetValue(Key(ns, name), out var current))
            {
                throw ApiException.NotFound(type, name);
            }

            var currentMeta = Meta.Of(current);
            if (!string.IsNullOrEmpty(expectedResourceVersion) && expectedResourceVersion != (string?)currentMeta["resourceVersion"])
            {
                throw ApiException.Conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");
            }

            var meta = Meta.Of(obj);
            meta["uid"] = currentMeta["uid"]?.DeepClone();
            meta["creationTimestamp"] = currentMeta["creationTimestamp"]?.DeepClone();
            meta["resourceVersion"] = currentMeta["resourceVersion"]?.DeepClone();
            if (type.HasSpec)
            {
                var generation = (long?)currentMeta["generation"] ?? 1;
                meta["generation"] = SpecChanged(current, obj) ? generation + 1 : generation;
            }

            if (JsonNode.DeepEquals(current, Normalize(obj)) || dryRun)
            {
                return Normalize(obj);
            }

            meta["resourceVersion"] = Next();
            var stored = Normalize(obj);
            _objects[type][Key(ns, name)] = stored;
            Publish(new StoreEvent("MODIFIED", type, _resourceVersion, (JsonObject)stored.DeepClone(), current));
            return (JsonObject)stored.DeepClone();
        }
    }

    /// <summary>Read-modify-write under the lock, for the controllers: <paramref name="change"/> returns false to leave the object alone.</summary>
    public JsonObject? Mutate(ResourceType type, string? ns, string name, Func<JsonObject, bool> change)
    {
        lock (_gate)
        {
            var current = Get(type, ns, name);
            if (current is null || !change(current))
            {
                return current;
            }

            return Update(type, current, null);
        }
    }

    public JsonObject? Delete(ResourceType type, string? ns, string name, bool dryRun = false)
    {
        lock (_gate)
        {
            var key = Key(ns, name);
            if (!_objects[type].TryGetValue(key, out var current))
            {
                return null;
            }

            if (dryRun)
            {
                return (JsonObject)current.DeepClone();
            }

            _objects[type].Remove(key);
            var last = (JsonObject)current.DeepClone();
            Meta.Of(last)["resourceVersion"] = Next();
            Publish(new StoreEvent("DELETED", type, _resourceVersion, (JsonObject)last.DeepClone(), current));
            return last;
        }
    }

    /// <summary>
    /// Registers a watcher and hands it the retained changes after <paramref name="fromResourceVersion"/>
    /// in the same instant, so nothing falls between the backlog and the live feed. Null backlog: that
    /// version is older than the history (the caller answers 410 Expired).
    /// </summary>
    public (List<StoreEvent>? Backlog, ChannelReader<StoreEvent> Live, long Oldest) Subscribe(long fromResourceVersion, out Action unsubscribe)
    {
        var channel = Channel.CreateUnbounded<StoreEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _subscribers.Add(channel);
            unsubscribe = () =>
            {
                lock (_gate)
                {
                    _subscribers.Remove(channel);
                }

                channel.Writer.TryComplete();
            };
            if (fromResourceVersion < _oldestResumable - 1)
            {
                return (null, channel.Reader, _oldestResumable);
            }

            return (_history.Where(e => e.ResourceVersion > fromResourceVersion).ToList(), channel.Reader, _oldestResumable);
        }
    }

    /// <summary>Subscribes and takes a snapshot of one kind at the same instant (watches without a resourceVersion start with it).</summary>
    public (List<JsonObject> Snapshot, long ResourceVersion, ChannelReader<StoreEvent> Live) SubscribeWithSnapshot(ResourceType type, string? ns, out Action unsubscribe)
    {
        lock (_gate)
        {
            var (_, live, _) = Subscribe(long.MaxValue, out unsubscribe);
            var (items, rv) = List(type, ns);
            return (items, rv, live);
        }
    }

    /// <summary>Forgets the change history (a test hook: the next resume from an old version is 410).</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _oldestResumable = _resourceVersion + 1;
        }
    }

    /// <summary>
    /// A copy re-read from its JSON text: values built in code (an int here, a long there) become
    /// uniform JSON numbers that read back as any numeric type.
    /// </summary>
    public static JsonObject Normalize(JsonObject obj) => (JsonObject)JsonNode.Parse(obj.ToJsonString())!;

    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        foreach (var key in before.Select(p => p.Key).Union(after.Select(p => p.Key)))
        {
            if (key is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(before[key], after[key]))
            {
                return true;
            }
        }

        return false;
    }

    private string Next() => (++_resourceVersion).ToString(CultureInfo.InvariantCulture);

    private void Publish(StoreEvent e)
    {
        _history.AddLast(e);
        while (_history.Count > _historyLimit)
        {
            _oldestResumable = _history.First!.Value.ResourceVersion + 1;
            _history.RemoveFirst();
        }

        foreach (var s in _subscribers)
        {
            s.Writer.TryWrite(e);
        }
    }
}
