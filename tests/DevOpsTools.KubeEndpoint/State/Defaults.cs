using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DevOpsTools.KubeEndpoint.Api;

namespace DevOpsTools.KubeEndpoint.State;

/// <summary>
/// The defaulting and validation a real API server applies on every write, for the fields the
/// served kinds use most. Defaults matter to clients: <c>kubectl diff</c> and apply's dry runs compare
/// defaulted objects, and <c>rollout status</c> reads <c>spec.replicas</c> even when nobody set it.
/// </summary>
public static partial class Defaults
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    public static void Apply(ResourceType type, JsonObject obj, Func<int> nextClusterIp)
    {
        switch (type.Kind)
        {
            case "Deployment":
                var spec = Meta.Child(obj, "spec");
                spec["replicas"] ??= 1;
                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                var strategy = Meta.Child(spec, "strategy");
                strategy["type"] ??= "RollingUpdate";
                if ((string?)strategy["type"] == "RollingUpdate")
                {
                    var ru = Meta.Child(strategy, "rollingUpdate");
                    ru["maxSurge"] ??= "25%";
                    ru["maxUnavailable"] ??= "25%";
                }

                PodTemplate(Meta.Child(spec, "template"));
                break;
            case "ReplicaSet":
                Meta.Child(obj, "spec")["replicas"] ??= 1;
                PodTemplate(Meta.Child(Meta.Child(obj, "spec"), "template"));
                break;
            case "Job":
                var job = Meta.Child(obj, "spec");
                job["backoffLimit"] ??= 6;
                job["completions"] ??= 1;
                job["parallelism"] ??= 1;
                job["completionMode"] ??= "NonIndexed";
                job["suspend"] ??= false;
                var template = Meta.Child(job, "template");
                PodTemplate(template);
                break;
            case "Pod":
                PodSpec(Meta.Child(obj, "spec"));
                break;
            case "Service":
                var svc = Meta.Child(obj, "spec");
                svc["type"] ??= "ClusterIP";
                svc["sessionAffinity"] ??= "None";
                if (svc["clusterIP"] is null)
                {
                    var n = nextClusterIp();
                    // Loopback, where nothing answers: a client that connects to a Service address it read
                    // here stays on this machine (a real cluster's 10.96.0.0/16 would leave it).
                    svc["clusterIP"] = $"127.96.{n / 250}.{(n % 250) + 2}";
                    svc["clusterIPs"] = new JsonArray((string?)svc["clusterIP"]);
                }

                svc["ipFamilies"] ??= new JsonArray("IPv4");
                svc["ipFamilyPolicy"] ??= "SingleStack";
                svc["internalTrafficPolicy"] ??= "Cluster";
                obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
                foreach (var port in (svc["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                    port["targetPort"] ??= port["port"]?.DeepClone();
                }

                break;
            case "Secret":
                obj["type"] ??= "Opaque";
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = Meta.Child(obj, "data");
                    foreach (var (k, v) in stringData)
                    {
                        data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)v ?? string.Empty));
                    }

                    obj.Remove("stringData");
                }

                break;
            case "PersistentVolumeClaim":
                var pvc = Meta.Child(obj, "spec");
                pvc["volumeMode"] ??= "Filesystem";
                pvc["storageClassName"] ??= "standard";

                // The simulated default storage class binds at once (no WaitForFirstConsumer).
                obj["status"] ??= new JsonObject
                {
                    ["phase"] = "Bound",
                    ["accessModes"] = pvc["accessModes"]?.DeepClone(),
                    ["capacity"] = new JsonObject { ["storage"] = pvc["resources"]?["requests"]?["storage"]?.DeepClone() ?? "1Gi" },
                };
                break;
            case "Ingress":
                // No ingress controller runs here, so nobody fills in an address.
                obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case "Namespace":
                Meta.Labels(obj)["kubernetes.io/metadata.name"] = Meta.Name(obj);
                Meta.Child(obj, "spec")["finalizers"] ??= new JsonArray("kubernetes");
                obj["status"] ??= new JsonObject { ["phase"] = "Active" };
                break;
        }
    }

    private static void PodTemplate(JsonObject template) => PodSpec(Meta.Child(template, "spec"));

    private static void PodSpec(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["securityContext"] ??= new JsonObject();
        spec["schedulerName"] ??= "default-scheduler";
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var c in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var image = (string?)c["image"] ?? string.Empty;
                var tagged = image.Contains('@') || (image.LastIndexOf(':') > image.LastIndexOf('/') && !image.EndsWith(":latest", StringComparison.Ordinal));
                c["imagePullPolicy"] ??= tagged ? "IfNotPresent" : "Always";
                c["terminationMessagePath"] ??= "/dev/termination-log";
                c["terminationMessagePolicy"] ??= "File";
                c["resources"] ??= new JsonObject();
                foreach (var port in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                }
            }
        }
    }

    /// <summary>422 Invalid for what a real server rejects: names, missing required fields, selectors, immutable fields.</summary>
    public static void Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        var causes = new List<(string, string, string)>();
        var name = Meta.Name(obj);
        if (name.Length == 0)
        {
            causes.Add(("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
        }
        else if (name.Length > 253 || !(type.Kind is "Namespace" or "Service" ? Dns1123Label() : Dns1123Subdomain()).IsMatch(name))
        {
            causes.Add(("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": a lowercase RFC 1123 name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
        }

        if (type.Kind is "Deployment" or "ReplicaSet" or "Job")
        {
            var spec = obj["spec"] as JsonObject;
            var template = spec?["template"] as JsonObject;
            ValidateContainers(template?["spec"] as JsonObject, "spec.template.spec", causes);
            if (type.Kind != "Job")
            {
                var selector = spec?["selector"];
                if (selector is null)
                {
                    causes.Add(("spec.selector", "FieldValueRequired", "Required value"));
                }
                else if (template is not null && !Selector.FromLabelSelector(selector).Matches(template))
                {
                    causes.Add(("spec.template.metadata.labels", "FieldValueInvalid", $"Invalid value: {template["metadata"]?["labels"]?.ToJsonString() ?? "null"}: `selector` does not match template `labels`"));
                }

                if (old is not null && !JsonNode.DeepEquals(old["spec"]?["selector"], selector))
                {
                    causes.Add(("spec.selector", "FieldValueInvalid", $"Invalid value: {selector?.ToJsonString()}: field is immutable"));
                }

                if ((long?)spec?["replicas"] < 0)
                {
                    causes.Add(("spec.replicas", "FieldValueInvalid", $"Invalid value: {spec!["replicas"]}: must be greater than or equal to 0"));
                }
            }
        }
        else if (type.Kind == "Ingress")
        {
            ValidateIngress(obj["spec"] as JsonObject, causes);
        }
        else if (type.Kind == "Pod")
        {
            ValidateContainers(obj["spec"] as JsonObject, "spec", causes);
        }
        else if (type.Kind == "PersistentVolumeClaim" && old is not null && !JsonNode.DeepEquals(old["spec"]?["accessModes"], obj["spec"]?["accessModes"]))
        {
            causes.Add(("spec", "FieldValueForbidden", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
        }

        if (causes.Count > 0)
        {
            throw ApiException.Invalid(type, name, causes);
        }
    }

    /// <summary>What networking/v1 validation rejects most: rules without paths, a path type or a backend.</summary>
    private static void ValidateIngress(JsonObject? spec, List<(string, string, string)> causes)
    {
        var rules = spec?["rules"] as JsonArray ?? [];
        if (rules.Count == 0 && spec?["defaultBackend"] is null)
        {
            causes.Add(("spec", "FieldValueInvalid", "Invalid value: \"\": either `defaultBackend` or `rules` must be specified"));
        }

        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r] as JsonObject;
            if ((string?)rule?["host"] is { Length: > 0 } host && !Dns1123Subdomain().IsMatch(host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host))
            {
                causes.Add(($"spec.rules[{r}].host", "FieldValueInvalid", $"Invalid value: \"{host}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
            }

            var paths = rule?["http"]?["paths"] as JsonArray;
            if (rule?["http"] is not null && (paths is null || paths.Count == 0))
            {
                causes.Add(($"spec.rules[{r}].http.paths", "FieldValueRequired", "Required value"));
            }

            for (var i = 0; i < (paths?.Count ?? 0); i++)
            {
                var at = $"spec.rules[{r}].http.paths[{i}]";
                var path = paths![i] as JsonObject;
                var pathType = (string?)path?["pathType"];
                if (pathType is null)
                {
                    causes.Add(($"{at}.pathType", "FieldValueRequired", "Required value: pathType must be specified"));
                }
                else if (pathType is not ("Exact" or "Prefix" or "ImplementationSpecific"))
                {
                    causes.Add(($"{at}.pathType", "FieldValueNotSupported", $"Unsupported value: \"{pathType}\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""));
                }
                else if (pathType != "ImplementationSpecific" && !((string?)path?["path"] ?? string.Empty).StartsWith('/'))
                {
                    causes.Add(($"{at}.path", "FieldValueInvalid", $"Invalid value: \"{(string?)path?["path"]}\": must be an absolute path"));
                }

                var service = path?["backend"]?["service"];
                if (service is null && path?["backend"]?["resource"] is null)
                {
                    causes.Add(($"{at}.backend", "FieldValueInvalid", "Invalid value: \"\": must specify a service or a resource"));
                }
                else if (service is not null && service["port"]?["number"] is null && service["port"]?["name"] is null)
                {
                    causes.Add(($"{at}.backend.service.port", "FieldValueInvalid", "Invalid value: \"\": port name or number is required"));
                }
            }
        }
    }

    private static void ValidateContainers(JsonObject? podSpec, string at, List<(string, string, string)> causes)
    {
        var containers = podSpec?["containers"] as JsonArray;
        if (containers is null || containers.Count == 0)
        {
            causes.Add(($"{at}.containers", "FieldValueRequired", "Required value"));
            return;
        }

        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var cname = (string?)c?["name"];
            if (string.IsNullOrEmpty(cname))
            {
                causes.Add(($"{at}.containers[{i}].name", "FieldValueRequired", "Required value"));
            }
            else if (!Dns1123Label().IsMatch(cname))
            {
                causes.Add(($"{at}.containers[{i}].name", "FieldValueInvalid", $"Invalid value: \"{cname}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"));
            }

            if (string.IsNullOrEmpty((string?)c?["image"]))
            {
                causes.Add(($"{at}.containers[{i}].image", "FieldValueRequired", "Required value"));
            }
        }
    }
}
