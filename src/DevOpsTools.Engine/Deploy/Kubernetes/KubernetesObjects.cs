using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// Server-side apply, read and delete of the kinds Deploy-App renders, one switch per verb so the
/// target's code stays kind-agnostic. Applies never force: a field another manager owns comes
/// back as a 409 (KubernetesConflict), never silently taken over.
/// </summary>
internal sealed class KubernetesObjects(IKubernetes client, string server)
{
    public IKubernetes Client { get; } = client;

    public string Server { get; } = server;

    public static string KindOf(IKubernetesObject<V1ObjectMeta> obj) => obj.Kind;

    public static string Label(IKubernetesObject<V1ObjectMeta> obj) => $"{obj.Kind}/{obj.Metadata.Name}";

    /// <summary>Applies <paramref name="obj"/> as field manager devopstools (a dry run with dryRun=All) and returns the server's result.</summary>
    public Task<IKubernetesObject<V1ObjectMeta>> ApplyAsync(IKubernetesObject<V1ObjectMeta> obj, bool dryRun, CancellationToken ct)
    {
        var patch = new V1Patch(KubernetesJson.Serialize(obj), V1Patch.PatchType.ApplyPatch);
        var name = obj.Metadata.Name;
        var ns = obj.Metadata.NamespaceProperty;
        var dry = dryRun ? "All" : null;
        const string fm = KubernetesManifests.FieldManager;
        return KubernetesErrors.CallAsync(Server, $"{(dryRun ? "dry-run apply" : "apply")} {Label(obj)} in namespace {ns}", async () => obj switch
        {
            V1Deployment => (IKubernetesObject<V1ObjectMeta>)await Client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            V1Service => await Client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            V1ConfigMap => await Client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            V1Secret => await Client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            V1PersistentVolumeClaim => await Client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            V1Ingress => await Client.NetworkingV1.PatchNamespacedIngressAsync(patch, name, ns, dryRun: dry, fieldManager: fm, cancellationToken: ct).ConfigureAwait(false),
            _ => throw new NotSupportedException($"No apply for {obj.Kind}."),
        });
    }

    /// <summary>The live object of the same kind and name, or null when there is none.</summary>
    public async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IKubernetesObject<V1ObjectMeta> like, CancellationToken ct)
    {
        var name = like.Metadata.Name;
        var ns = like.Metadata.NamespaceProperty;
        try
        {
            return like switch
            {
                V1Deployment => await Client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                V1Service => await Client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                V1ConfigMap => await Client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                V1Secret => await Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                V1PersistentVolumeClaim => await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                V1Ingress => await Client.NetworkingV1.ReadNamespacedIngressAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                _ => throw new NotSupportedException($"No read for {like.Kind}."),
            };
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            throw KubernetesErrors.Classify(ex, Server, $"read {Label(like)} in namespace {ns}");
        }
    }

    /// <summary>The Deployment, or null when it does not exist.</summary>
    public async Task<V1Deployment?> DeploymentAsync(string name, string ns, CancellationToken ct) =>
        (V1Deployment?)await ReadAsync(new V1Deployment { Kind = "Deployment", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } }, ct).ConfigureAwait(false);

    /// <summary>
    /// Every object of the app that the module applied: the managed-by label, and devopstools
    /// among its field managers (an object someone else labelled alike is left alone).
    /// </summary>
    public async Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> ManagedAsync(string app, string ns, bool withClaims, CancellationToken ct)
    {
        var selector = KubernetesManifests.Selector(app);
        var found = new List<IKubernetesObject<V1ObjectMeta>>();
        await KubernetesErrors.CallAsync(Server, $"list the objects of {app} in namespace {ns}", async () =>
        {
            found.AddRange((await Client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "Deployment")));
            found.AddRange((await Client.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "Service")));
            found.AddRange((await Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "ConfigMap")));
            found.AddRange((await Client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "Secret")));
            found.AddRange((await Client.NetworkingV1.ListNamespacedIngressAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "Ingress")));
            if (withClaims)
            {
                found.AddRange((await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => WithKind(i, "PersistentVolumeClaim")));
            }
        }).ConfigureAwait(false);
        return found.Where(IsManaged).ToList();
    }

    /// <summary>Whether the module applied <paramref name="obj"/> (devopstools among its field managers).</summary>
    public static bool IsManaged(IKubernetesObject<V1ObjectMeta>? obj) =>
        obj?.Metadata.ManagedFields?.Any(m => m.Manager == KubernetesManifests.FieldManager) == true;

    public Task DeleteAsync(IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var name = obj.Metadata.Name;
        var ns = obj.Metadata.NamespaceProperty;
        var options = new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = obj.Metadata.Uid } };
        return KubernetesErrors.CallAsync(Server, $"delete {Label(obj)} in namespace {ns}", async () =>
        {
            try
            {
                _ = obj switch
                {
                    V1Deployment => (object)await Client.AppsV1.DeleteNamespacedDeploymentAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    V1Service => await Client.CoreV1.DeleteNamespacedServiceAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    V1ConfigMap => await Client.CoreV1.DeleteNamespacedConfigMapAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    V1Secret => await Client.CoreV1.DeleteNamespacedSecretAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    V1PersistentVolumeClaim => await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    V1Ingress => await Client.NetworkingV1.DeleteNamespacedIngressAsync(name, ns, options, cancellationToken: ct).ConfigureAwait(false),
                    _ => throw new NotSupportedException($"No delete for {obj.Kind}."),
                };
            }
            catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
            {
                // Already gone: what Remove-App wanted.
            }
            catch (System.Text.Json.JsonException)
            {
                // A 2xx answer with a Status body instead of the deleted object (as some servers send for
                // services): the delete happened; only the typed client could not read the answer.
            }
        });
    }

    public async Task<bool> NamespaceExistsAsync(string ns, CancellationToken ct)
    {
        try
        {
            await Client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            return false;
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            throw KubernetesErrors.Classify(ex, Server, $"read namespace {ns}");
        }
    }

    /// <summary>Creates the environment's namespace, labelled managed-by devopstools, when it does not exist.</summary>
    public async Task EnsureNamespaceAsync(string ns, string environment, CancellationToken ct)
    {
        if (await NamespaceExistsAsync(ns, ct).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await Client.CoreV1.CreateNamespaceAsync(KubernetesManifests.Namespace(ns, environment), fieldManager: KubernetesManifests.FieldManager, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException ex) when (KubernetesErrors.StatusOf(ex)?.Reason == "AlreadyExists")
        {
            // Created meanwhile (another deploy of this environment): what was wanted.
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            throw KubernetesErrors.Classify(ex, Server, $"create namespace {ns}");
        }
    }

    private static IKubernetesObject<V1ObjectMeta> WithKind(IKubernetesObject<V1ObjectMeta> obj, string kind)
    {
        obj.Kind ??= kind;
        return obj;
    }
}
