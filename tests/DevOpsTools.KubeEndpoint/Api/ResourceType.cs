namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>One served resource: where it lives in the URL space and how discovery describes it.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    string[] ShortNames,
    string[] Subresources)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"deployments.apps" or "pods": the form error messages use.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string ListKind => Kind + "List";

    /// <summary>Whether spec changes bump metadata.generation (every kind with a spec does).</summary>
    public bool HasSpec => Kind is not ("ConfigMap" or "Secret" or "Event");

    public bool HasStatus => Subresources.Contains("status");
}

/// <summary>The resources this endpoint serves; discovery, routing and the store all read this list.</summary>
public static class ResourceCatalog
{
    private static readonly string[] None = [];

    public static readonly ResourceType Namespaces = new("", "v1", "Namespace", "namespaces", "namespace", false, ["ns"], ["status"]);
    public static readonly ResourceType ConfigMaps = new("", "v1", "ConfigMap", "configmaps", "configmap", true, ["cm"], None);
    public static readonly ResourceType Secrets = new("", "v1", "Secret", "secrets", "secret", true, None, None);
    public static readonly ResourceType Services = new("", "v1", "Service", "services", "service", true, ["svc"], ["status"]);
    public static readonly ResourceType Pvcs = new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true, ["pvc"], ["status"]);
    public static readonly ResourceType Events = new("", "v1", "Event", "events", "event", true, ["ev"], None);
    public static readonly ResourceType Pods = new("", "v1", "Pod", "pods", "pod", true, ["po"], ["status", "log"]);
    public static readonly ResourceType Deployments = new("apps", "v1", "Deployment", "deployments", "deployment", true, ["deploy"], ["status", "scale"]);
    public static readonly ResourceType ReplicaSets = new("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, ["rs"], ["status", "scale"]);
    public static readonly ResourceType Jobs = new("batch", "v1", "Job", "jobs", "job", true, None, ["status"]);
    public static readonly ResourceType Ingresses = new("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, ["ing"], ["status"]);
    public static readonly ResourceType ResourceQuotas = new("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", true, ["quota"], ["status"]);

    public static readonly IReadOnlyList<ResourceType> All =
        [Namespaces, ConfigMaps, Secrets, Services, Pvcs, Events, Pods, ResourceQuotas, Deployments, ReplicaSets, Jobs, Ingresses];

    /// <summary>Groups other than the core one, in the order /apis lists them.</summary>
    public static readonly IReadOnlyList<(string Group, string Version)> Groups = [("apps", "v1"), ("batch", "v1"), ("networking.k8s.io", "v1")];

    public static ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    public static ResourceType? FindKind(string apiVersion, string kind) =>
        All.FirstOrDefault(t => t.GroupVersion == apiVersion && t.Kind == kind);
}
