using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.State;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// Every write path (create, replace, the patch types, delete) through the same steps a real API
/// server takes: identity checks, status kept apart from the main resource, defaulting, validation,
/// managedFields, optimistic concurrency, then the store, or nothing at all under <c>dryRun=All</c>.
/// </summary>
public sealed class Writes(ObjectStore store)
{
    private int _clusterIps;

    /// <summary>A copy of a stored object as clients see it (kind and apiVersion always set).</summary>
    public static JsonObject Outward(ResourceType type, JsonObject obj)
    {
        var copy = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.GroupVersion };
        foreach (var (k, v) in obj)
        {
            if (k is not ("kind" or "apiVersion"))
            {
                copy[k] = v?.DeepClone();
            }
        }

        return copy;
    }

    public JsonObject Create(ResourcePath rp, JsonObject body, string manager, bool dryRun)
    {
        var obj = Identify(rp, body);
        var meta = Meta.Of(obj);
        if (string.IsNullOrEmpty((string?)meta["name"]) && (string?)meta["generateName"] is { Length: > 0 } prefix)
        {
            meta["name"] = prefix + Names.RandomSuffix();
        }

        CheckNamespaceOpen(rp.Type, obj);
        if (rp.Type.HasStatus && rp.Type != ResourceCatalog.Pods)
        {
            obj.Remove("status");
        }

        meta.Remove("managedFields");
        Defaults.Apply(rp.Type, obj, () => Interlocked.Increment(ref _clusterIps));
        Defaults.Validate(rp.Type, obj, null);
        Quota.Admit(store, rp.Type, obj);
        FieldManagement.RecordUpdate(null, obj, manager, rp.Type, null, store.Now);
        return Outward(rp.Type, store.Create(rp.Type, obj, dryRun));
    }

    public JsonObject Replace(ResourcePath rp, JsonObject body, string manager, bool dryRun)
    {
        var obj = Identify(rp, body);
        if (Meta.Name(obj) != rp.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({Meta.Name(obj)}) does not match the name on the URL ({rp.Name})");
        }

        var current = store.Get(rp.Type, rp.Namespace, rp.Name) ?? throw ApiException.NotFound(rp.Type, rp.Name);
        var expected = (string?)Meta.Of(obj)["resourceVersion"];
        return Commit(rp, current, Split(rp, current, obj), manager, expected, dryRun);
    }

    public (int Status, JsonObject Object) Patch(ResourcePath rp, string contentType, string text, string? fieldManager, string manager, bool force, bool dryRun)
    {
        if (contentType == "application/apply-patch+yaml" || contentType == "application/apply-patch+cbor")
        {
            return Apply(rp, text, fieldManager, force, dryRun);
        }

        var current = store.Get(rp.Type, rp.Namespace, rp.Name!) ?? throw ApiException.NotFound(rp.Type, rp.Name!);
        var live = Outward(rp.Type, current);
        var patch = Http.ParseJson(text);
        if (rp.Subresource == "scale")
        {
            var scale = Patches.MergePatch(new JsonObject { ["spec"] = new JsonObject { ["replicas"] = live["spec"]?["replicas"]?.DeepClone() } }, patch);
            Meta.Child(live, "spec")["replicas"] = scale?["spec"]?["replicas"]?.DeepClone();
            return (200, Commit(rp with { Subresource = null }, current, live, manager, null, dryRun));
        }

        JsonNode? patched = contentType switch
        {
            "application/merge-patch+json" => Patches.MergePatch(live, patch),
            "application/strategic-merge-patch+json" => Patches.StrategicMerge(live, patch),
            "application/json-patch+json" => Patches.JsonPatch(live, patch as JsonArray ?? throw ApiException.BadRequest("a JSON patch must be an array of operations")),
            _ => throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"),
        };
        if (patched is not JsonObject after)
        {
            throw ApiException.BadRequest("the patch did not produce an object");
        }

        // A resourceVersion set by the patch is a precondition; otherwise the patch applies to the version it read.
        var expected = (string?)Meta.Of(after)["resourceVersion"];
        Meta.Of(after)["name"] = rp.Name;
        return (200, Commit(rp, current, Split(rp, current, after), manager, expected, dryRun));
    }

    private (int Status, JsonObject Object) Apply(ResourcePath rp, string text, string? fieldManager, bool force, bool dryRun)
    {
        if (string.IsNullOrEmpty(fieldManager))
        {
            throw ApiException.BadRequest("PATCH, with application/apply-patch+yaml, requires fieldManager: is required for apply patch");
        }

        var applied = Yaml.Parse(text) as JsonObject ?? throw ApiException.BadRequest("the apply configuration is not an object");
        if (applied["apiVersion"] is null || applied["kind"] is null)
        {
            throw ApiException.BadRequest("apiVersion and kind must be set in an apply configuration");
        }

        applied = Identify(rp, applied);
        var meta = Meta.Of(applied);
        if (Meta.Name(applied) != rp.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({Meta.Name(applied)}) does not match the name on the URL ({rp.Name})");
        }

        var expected = (string?)meta["resourceVersion"];
        foreach (var serverOwned in new[] { "managedFields", "resourceVersion", "uid", "creationTimestamp", "generation" })
        {
            meta.Remove(serverOwned);
        }

        var current = store.Get(rp.Type, rp.Namespace, rp.Name!);
        var merged = FieldManagement.Apply(current, applied, fieldManager, force, rp.Type, rp.Subresource, store.Now);
        if (current is null)
        {
            CheckNamespaceOpen(rp.Type, merged);
            Defaults.Apply(rp.Type, merged, () => Interlocked.Increment(ref _clusterIps));
            Defaults.Validate(rp.Type, merged, null);
            Quota.Admit(store, rp.Type, merged);
            return (201, Outward(rp.Type, store.Create(rp.Type, merged, dryRun)));
        }

        if (rp.Subresource != "status" && rp.Type.HasStatus)
        {
            merged["status"] = current["status"]?.DeepClone();
        }

        Defaults.Apply(rp.Type, merged, () => Interlocked.Increment(ref _clusterIps));
        Defaults.Validate(rp.Type, merged, current);
        return (200, Outward(rp.Type, store.Update(rp.Type, merged, expected ?? (string?)Meta.Of(current)["resourceVersion"], dryRun)));
    }

    public JsonObject Delete(ResourceType type, string? ns, string name, string policy, JsonObject options, bool dryRun)
    {
        var current = store.Get(type, ns, name) ?? throw ApiException.NotFound(type, name);
        if (options["preconditions"] is JsonObject pre)
        {
            if ((string?)pre["uid"] is { } uid && uid != Meta.Uid(current))
            {
                throw ApiException.Conflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Meta.Uid(current)}");
            }

            if ((string?)pre["resourceVersion"] is { } rv && rv != (string?)Meta.Of(current)["resourceVersion"])
            {
                throw ApiException.Conflict(type, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {Meta.Of(current)["resourceVersion"]}");
            }
        }

        if (type == ResourceCatalog.Namespaces)
        {
            // A namespace terminates first; the namespace controller empties and then removes it.
            var terminating = (JsonObject)current.DeepClone();
            Meta.Of(terminating)["deletionTimestamp"] ??= Meta.Timestamp(store.Now);
            Meta.Child(terminating, "status")["phase"] = "Terminating";
            return Outward(type, store.Update(type, terminating, null, dryRun));
        }

        if (!dryRun)
        {
            Cascade(current, policy);
            store.Delete(type, ns, name);
        }

        if (type == ResourceCatalog.Pods)
        {
            return Outward(type, current);
        }

        var details = ApiException.Describe(type, name);
        details["uid"] = Meta.Uid(current);
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    /// <summary>Dependents (by ownerReference) are deleted with their owner, or orphaned.</summary>
    private void Cascade(JsonObject owner, string policy)
    {
        var uid = Meta.Uid(owner);
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
        {
            foreach (var dependent in store.List(type, Meta.Namespace(owner)).Items)
            {
                if (Meta.Of(dependent)["ownerReferences"] is not JsonArray refs || !refs.OfType<JsonObject>().Any(r => (string?)r["uid"] == uid))
                {
                    continue;
                }

                if (policy == "Orphan")
                {
                    store.Mutate(type, Meta.Namespace(dependent), Meta.Name(dependent), d =>
                    {
                        var list = (JsonArray)Meta.Of(d)["ownerReferences"]!;
                        foreach (var r in list.OfType<JsonObject>().Where(r => (string?)r["uid"] == uid).ToList())
                        {
                            list.Remove(r);
                        }

                        return true;
                    });
                }
                else
                {
                    Cascade(dependent, policy);
                    store.Delete(type, Meta.Namespace(dependent), Meta.Name(dependent));
                }
            }
        }
    }

    private JsonObject Commit(ResourcePath rp, JsonObject current, JsonObject after, string manager, string? expected, bool dryRun)
    {
        FieldManagement.Carry(current, after);
        Defaults.Apply(rp.Type, after, () => Interlocked.Increment(ref _clusterIps));
        Defaults.Validate(rp.Type, after, current);
        FieldManagement.RecordUpdate(current, after, manager, rp.Type, rp.Subresource, store.Now);
        return Outward(rp.Type, store.Update(rp.Type, after, expected, dryRun));
    }

    /// <summary>The main resource cannot change status, and the status subresource can change nothing else.</summary>
    private static JsonObject Split(ResourcePath rp, JsonObject current, JsonObject body)
    {
        if (rp.Subresource == "status")
        {
            var result = (JsonObject)current.DeepClone();
            result["status"] = body["status"]?.DeepClone();
            Meta.Of(result)["resourceVersion"] = Meta.Of(body)["resourceVersion"]?.DeepClone();
            return result;
        }

        if (rp.Type.HasStatus)
        {
            body["status"] = current["status"]?.DeepClone();
        }

        return body;
    }

    /// <summary>Checks kind, apiVersion and namespace of a body against the URL and fills them in.</summary>
    private static JsonObject Identify(ResourcePath rp, JsonObject body)
    {
        var obj = (JsonObject)body.DeepClone();
        if ((string?)obj["apiVersion"] is { } av && av != rp.Type.GroupVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({av}) does not match the expected API version ({rp.Type.GroupVersion})");
        }

        if ((string?)obj["kind"] is { } kind && kind != rp.Type.Kind)
        {
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({rp.Type.Kind})");
        }

        obj["apiVersion"] = rp.Type.GroupVersion;
        obj["kind"] = rp.Type.Kind;
        var meta = Meta.Of(obj);
        if (rp.Type.Namespaced)
        {
            if ((string?)meta["namespace"] is { Length: > 0 } ns && ns != rp.Namespace)
            {
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            meta["namespace"] = rp.Namespace;
        }
        else
        {
            meta.Remove("namespace");
        }

        return obj;
    }

    private void CheckNamespaceOpen(ResourceType type, JsonObject obj)
    {
        if (!type.Namespaced)
        {
            return;
        }

        var ns = store.Get(ResourceCatalog.Namespaces, null, Meta.Namespace(obj)!) ?? throw ApiException.NotFound(ResourceCatalog.Namespaces, Meta.Namespace(obj)!);
        if (Meta.Of(ns)["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden", $"{type.QualifiedPlural} \"{Meta.Name(obj)}\" is forbidden: unable to create new content in namespace {Meta.Namespace(obj)} because it is being terminated");
        }
    }
}

/// <summary>Random name suffixes in the alphabet Kubernetes uses (no vowels, no look-alike digits).</summary>
public static class Names
{
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string RandomSuffix(int length = 5) =>
        string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });

    /// <summary>A pod-template-hash: a stable hash of the template written in the same alphabet.</summary>
    public static string Hash(string text)
    {
        uint h = 2166136261;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h = (h ^ b) * 16777619;
        }

        var chars = new char[10];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[(int)(h % (uint)Alphabet.Length)];
            h = (h / (uint)Alphabet.Length) ^ (h * 2654435761u);
        }

        return new string(chars);
    }
}
