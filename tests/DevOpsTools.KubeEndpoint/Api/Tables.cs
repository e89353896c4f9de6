using System.Globalization;
using System.Text.Json.Nodes;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// Server-side printing: a GET that asks for `application/json;as=Table;v=v1;g=meta.k8s.io` (as
/// `kubectl get` does) gets a meta.k8s.io/v1 Table with the columns an API server's printers give
/// each kind, so `kubectl get deploy` shows READY, UP-TO-DATE and AVAILABLE as on a cluster
/// rather than only NAME and AGE. Rows carry the object as PartialObjectMetadata (or the whole
/// object with includeObject=Object), which kubectl reads for namespaces and labels.
/// </summary>
public static class Tables
{
    /// <param name="Priority">0: always shown; 1: only with -o wide.</param>
    private sealed record Column(string Name, string Type, string Description, Func<JsonObject, DateTimeOffset, JsonNode?> Cell, string Format = "", int Priority = 0);

    /// <summary>Whether the Accept header asks for a Table (kubectl lists it first, JSON as the fallback).</summary>
    public static bool Wanted(string? accept) =>
        accept is not null && accept.Split(',').Any(part => part.Contains("as=Table", StringComparison.Ordinal) && part.Contains("g=meta.k8s.io", StringComparison.Ordinal) && part.Contains("v=v1", StringComparison.Ordinal) && !part.Contains("v=v1beta1", StringComparison.Ordinal));

    public static JsonObject Of(ResourceType type, IEnumerable<JsonObject> objects, JsonObject listMeta, string? includeObject)
    {
        var now = DateTimeOffset.UtcNow;
        var columns = ColumnsOf(type);
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(columns.Select(c => c.Cell(obj, now)).ToArray()) };
            row["object"] = includeObject switch
            {
                "None" => null,
                "Object" => WithKind(obj, type),
                _ => new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = obj["metadata"]?.DeepClone() },
            };
            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMeta,
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority,
            }).ToArray()),
            ["rows"] = rows,
        };
    }

    private static JsonObject WithKind(JsonObject obj, ResourceType type)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy["kind"] = type.Kind;
        copy["apiVersion"] = type.GroupVersion;
        return copy;
    }

    private static Column[] ColumnsOf(ResourceType type) => type.Kind switch
    {
        "Deployment" => [NameColumn, new("Ready", "string", "Number of the pod with ready state", (o, _) => $"{Int(o, "status", "readyReplicas")}/{Int(o, "spec", "replicas")}"),
            new("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", (o, _) => Int(o, "status", "updatedReplicas")),
            new("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", (o, _) => Int(o, "status", "availableReplicas")), AgeColumn,
            .. TemplateColumns],
        "ReplicaSet" => [NameColumn, new("Desired", "integer", "Number of desired pods.", (o, _) => Int(o, "spec", "replicas")),
            new("Current", "integer", "Number of actual replicas observed by the replication controller.", (o, _) => Int(o, "status", "replicas")),
            new("Ready", "integer", "The number of ready replicas for this replica set.", (o, _) => Int(o, "status", "readyReplicas")), AgeColumn,
            .. TemplateColumns],
        "Pod" => [NameColumn, new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", (o, _) => PodReady(o)),
            new("Status", "string", "The aggregate status of the containers in this pod.", (o, _) => PodStatus(o)),
            new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", PodRestarts), AgeColumn,
            new("IP", "string", "IP address allocated to the pod.", (o, _) => Str(o, "status", "podIP") ?? "<none>", Priority: 1),
            new("Node", "string", "Name of the Node this pod is scheduled on.", (o, _) => Str(o, "spec", "nodeName") ?? "<none>", Priority: 1),
            new("Nominated Node", "string", "The node the scheduler nominated for this pod.", (o, _) => Str(o, "status", "nominatedNodeName") ?? "<none>", Priority: 1),
            new("Readiness Gates", "string", "The readiness gates of this pod.", (o, _) => "<none>", Priority: 1)],
        "Service" => [NameColumn, new("Type", "string", "The type of the service.", (o, _) => Str(o, "spec", "type") ?? "ClusterIP"),
            new("Cluster-IP", "string", "The IP address of the service.", (o, _) => Str(o, "spec", "clusterIP") ?? "<none>"),
            new("External-IP", "string", "The external IP addresses of the service.", (o, _) => "<none>"),
            new("Port(s)", "string", "The ports of the service.", (o, _) => ServicePorts(o)), AgeColumn],
        "Namespace" => [NameColumn, new("Status", "string", "The status of the namespace", (o, _) => Str(o, "status", "phase") ?? "Active"), AgeColumn],
        "ConfigMap" => [NameColumn, new("Data", "integer", "Number of data entries.", (o, _) => Count(o["data"]) + Count(o["binaryData"])), AgeColumn],
        "Secret" => [NameColumn, new("Type", "string", "The type of the secret.", (o, _) => (string?)o["type"] ?? "Opaque"),
            new("Data", "integer", "Number of data entries.", (o, _) => Count(o["data"])), AgeColumn],
        "PersistentVolumeClaim" => [NameColumn, new("Status", "string", "The phase of the claim.", (o, _) => Str(o, "status", "phase") ?? "Pending"),
            new("Volume", "string", "The bound volume.", (o, _) => Str(o, "spec", "volumeName") ?? ""),
            new("Capacity", "string", "The capacity of the bound volume.", (o, _) => (string?)o["status"]?["capacity"]?["storage"] ?? ""),
            new("Access Modes", "string", "The access modes of the bound volume.", (o, _) => AccessModes(o)),
            new("StorageClass", "string", "The storage class of the claim.", (o, _) => Str(o, "spec", "storageClassName") ?? "<unset>"),
            new("VolumeAttributesClass", "string", "The volume attributes class of the claim.", (o, _) => Str(o, "spec", "volumeAttributesClassName") ?? "<unset>"), AgeColumn],
        "Job" => [NameColumn, new("Status", "string", "Status of the job.", (o, _) => JobStatus(o)),
            new("Completions", "string", "The completion status of the job.", (o, _) => $"{Int(o, "status", "succeeded")}/{(int?)o["spec"]?["completions"] ?? 1}"),
            new("Duration", "string", "Time required to complete the job.", JobDuration), AgeColumn],
        "Ingress" => [NameColumn, new("Class", "string", "The name of the IngressClass resource.", (o, _) => Str(o, "spec", "ingressClassName") ?? "<none>"),
            new("Hosts", "string", "Hosts that incoming requests are matched against.", (o, _) => IngressHosts(o)),
            new("Address", "string", "Address is a list containing ingress points for the load-balancer.", (o, _) => ""),
            new("Ports", "string", "Ports of TLS configurations that open.", (o, _) => o["spec"]?["tls"] is JsonArray { Count: > 0 } ? "80, 443" : "80"), AgeColumn],
        "Event" => [new("Last Seen", "string", "Time since the event was last seen.", (o, now) => Age((string?)o["lastTimestamp"] ?? (string?)o["eventTime"] ?? (string?)o["metadata"]?["creationTimestamp"], now)),
            new("Type", "string", "Type of this event.", (o, _) => (string?)o["type"] ?? ""),
            new("Reason", "string", "Reason is why the action was taken.", (o, _) => (string?)o["reason"] ?? ""),
            new("Object", "string", "The object the event is about.", (o, _) => $"{((string?)o["involvedObject"]?["kind"] ?? "").ToLowerInvariant()}/{(string?)o["involvedObject"]?["name"]}"),
            new("Message", "string", "A human-readable description of the status of this operation.", (o, _) => (string?)o["message"] ?? "")],
        _ => [NameColumn, AgeColumn],
    };

    /// <summary>The -o wide columns of a workload: its pod template's containers and images, and its selector.</summary>
    private static readonly Column[] TemplateColumns =
    [
        new("Containers", "string", "Names of each container in the template.", (o, _) => string.Join(",", Containers(o).Select(c => (string?)c["name"])), Priority: 1),
        new("Images", "string", "Images referenced by each container in the template.", (o, _) => string.Join(",", Containers(o).Select(c => (string?)c["image"])), Priority: 1),
        new("Selector", "string", "Label selector for pods.", (o, _) => string.Join(",", (o["spec"]?["selector"]?["matchLabels"] as JsonObject ?? []).Select(p => $"{p.Key}={(string?)p.Value}")), Priority: 1),
    ];

    private static IEnumerable<JsonObject> Containers(JsonObject workload) => (workload["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();

    private static readonly Column NameColumn = new("Name", "string", "Name must be unique within a namespace.", (o, _) => (string?)o["metadata"]?["name"], "name");

    private static readonly Column AgeColumn = new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.", (o, now) => Age((string?)o["metadata"]?["creationTimestamp"], now));

    private static int Int(JsonObject o, string section, string field) => (int?)o[section]?[field] ?? 0;

    private static string? Str(JsonObject o, string section, string field) => (string?)o[section]?[field] is { Length: > 0 } s ? s : null;

    private static int Count(JsonNode? map) => map is JsonObject m ? m.Count : 0;

    private static IEnumerable<JsonObject> Statuses(JsonObject pod) => (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>();

    private static string PodReady(JsonObject pod)
    {
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        return $"{Statuses(pod).Count(s => (bool?)s["ready"] == true)}/{total}";
    }

    /// <summary>As kubectl's pod printer: the phase, else the reason of the last container that waits or ended.</summary>
    private static string PodStatus(JsonObject pod)
    {
        if (pod["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        var reason = (string?)pod["status"]?["reason"] is { Length: > 0 } r ? r : (string?)pod["status"]?["phase"] ?? "Pending";
        var running = false;
        foreach (var status in Statuses(pod).Reverse())
        {
            var state = status["state"];
            if ((string?)state?["waiting"]?["reason"] is { Length: > 0 } waiting)
            {
                reason = waiting;
            }
            else if (state?["terminated"] is JsonObject terminated)
            {
                reason = (string?)terminated["reason"] is { Length: > 0 } ended ? ended
                    : (int?)terminated["signal"] is int signal and not 0 ? $"Signal:{signal}" : $"ExitCode:{(int?)terminated["exitCode"] ?? 0}";
            }
            else if (state?["running"] is not null && (bool?)status["ready"] == true)
            {
                running = true;
            }
        }

        return reason == "Completed" && running ? "Running" : reason;
    }

    private static JsonNode PodRestarts(JsonObject pod, DateTimeOffset now)
    {
        var restarts = Statuses(pod).Sum(s => (int?)s["restartCount"] ?? 0);
        var last = Statuses(pod).Select(s => (string?)s["lastState"]?["terminated"]?["finishedAt"]).Where(t => t is not null).Max();
        return restarts > 0 && last is not null ? $"{restarts} ({Age(last, now)} ago)" : restarts.ToString(CultureInfo.InvariantCulture);
    }

    private static string ServicePorts(JsonObject service)
    {
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(p => (int?)p["nodePort"] is int node and > 0 ? $"{(int?)p["port"]}:{node}/{(string?)p["protocol"] ?? "TCP"}" : $"{(int?)p["port"]}/{(string?)p["protocol"] ?? "TCP"}")
            .ToList();
        return ports.Count == 0 ? "<none>" : string.Join(",", ports);
    }

    private static string AccessModes(JsonObject claim)
    {
        var modes = (claim["status"]?["accessModes"] as JsonArray ?? claim["spec"]?["accessModes"] as JsonArray ?? []).Select(m => (string?)m switch
        {
            "ReadWriteOnce" => "RWO", "ReadOnlyMany" => "ROX", "ReadWriteMany" => "RWX", "ReadWriteOncePod" => "RWOP", var other => other,
        });
        return string.Join(",", modes);
    }

    private static string JobStatus(JsonObject job)
    {
        var conditions = (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["status"] == "True").Select(c => (string?)c["type"]).ToList();
        return conditions.Contains("Complete") ? "Complete" : conditions.Contains("Failed") ? "Failed" : (bool?)job["spec"]?["suspend"] == true ? "Suspended" : "Running";
    }

    private static JsonNode JobDuration(JsonObject job, DateTimeOffset now)
    {
        if ((string?)job["status"]?["startTime"] is not { } start)
        {
            return "";
        }

        var end = (string?)job["status"]?["completionTime"] is { } done ? DateTimeOffset.Parse(done, CultureInfo.InvariantCulture) : now;
        return Human(end - DateTimeOffset.Parse(start, CultureInfo.InvariantCulture));
    }

    private static string IngressHosts(JsonObject ingress)
    {
        var hosts = (ingress["spec"]?["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(r => (string?)r["host"] ?? "*").Distinct().ToList();
        return hosts.Count == 0 ? "*" : string.Join(",", hosts);
    }

    private static string Age(string? timestamp, DateTimeOffset now) =>
        timestamp is null ? "<unknown>" : Human(now - DateTimeOffset.Parse(timestamp, CultureInfo.InvariantCulture));

    /// <summary>Kubernetes' short human duration (apimachinery's HumanDuration): 45s, 5m3s, 25m, 3h12m, 30h, 4d6h, 120d.</summary>
    public static string Human(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 120)
        {
            return $"{seconds}s";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        }

        if (minutes < 180)
        {
            return $"{minutes}m";
        }

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        var days = hours / 24;
        return hours < 24 * 365 * 8 && days % 365 != 0 ? $"{days / 365}y{days % 365}d" : $"{days / 365}y";
    }
}
