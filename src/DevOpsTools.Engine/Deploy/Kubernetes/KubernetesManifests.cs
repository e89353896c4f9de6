using System.Globalization;
using System.Text;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// Renders a resolved app as the Kubernetes objects Deploy-App applies, in apply order:
/// ConfigMap (config files), Secret (secrets read by this process), PVCs (volumes), Service
/// (ports), Ingress (host names) and the Deployment. Every object carries the managed-by label, which is what
/// Remove-App deletes by. Secrets that name a Kubernetes Secret are referenced, never read.
/// </summary>
public static class KubernetesManifests
{
    public const string FieldManager = "devopstools";
    public const string NameLabel = "app.kubernetes.io/name";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "devopstools";
    public const string EnvironmentLabel = "devopstools.io/environment";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string ImageAnnotation = "devopstools.io/image";

    /// <summary>The label selector of every object of one app that the module manages.</summary>
    public static string Selector(string app) => $"{NameLabel}={app},{ManagedByLabel}={ManagedBy}";

    public static string ConfigMapName(string app) => app + "-config";

    public static string SecretName(string app) => app + "-secrets";

    public static string ClaimName(string app, AppVolume volume) =>
        volume.Name.StartsWith(app + "-", StringComparison.Ordinal) || volume.Name == app ? volume.Name : $"{app}-{volume.Name}";

    /// <summary>The image reference the pods run: image@digest when promotion fixed the digest.</summary>
    public static string ImageReference(ResolvedApp app)
    {
        if (app.ImageDigest is null)
        {
            return app.Image;
        }

        var at = app.Image.IndexOf('@', StringComparison.Ordinal);
        return (at >= 0 ? app.Image[..at] : app.Image) + "@" + app.ImageDigest;
    }

    public static Dictionary<string, string> Labels(ResolvedApp app) => new(StringComparer.Ordinal)
    {
        [NameLabel] = app.Name,
        [ManagedByLabel] = ManagedBy,
        [EnvironmentLabel] = app.Environment,
    };

    public static V1Namespace Namespace(string name, string environment) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy, [EnvironmentLabel] = environment } },
    };

    public static V1ConfigMap? ConfigMap(ResolvedApp app, string ns)
    {
        if (app.ConfigFiles.Count == 0)
        {
            return null;
        }

        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Meta(ConfigMapName(app.Name), ns, app),
            Data = app.ConfigFiles.Select((f, i) => (Key: ConfigKey(i), f.Content)).ToDictionary(p => p.Key, p => p.Content),
        };
    }

    /// <summary>The Secret of the values this process reads (fromEnv, fromFile); null when the app has none. Its data never reaches output.</summary>
    public static V1Secret? Secret(ResolvedApp app, string ns, IReadOnlyList<SecretValue> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "Opaque",
            Metadata = Meta(SecretName(app.Name), ns, app),
            Data = values.ToDictionary(v => v.Name, v => Encoding.UTF8.GetBytes(v.Reveal())),
        };
    }

    public static IEnumerable<V1PersistentVolumeClaim> Claims(ResolvedApp app, string ns) => app.Volumes.Select(v => new V1PersistentVolumeClaim
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = Meta(ClaimName(app.Name, v), ns, app),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(Bytes(v.SizeBytes ?? (1L << 30))) } },
        },
    });

    public static V1Service? Service(ResolvedApp app, string ns)
    {
        if (app.Ports.Count == 0)
        {
            return null;
        }

        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(app.Name, ns, app),
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { [NameLabel] = app.Name },
                Ports = app.Ports.Select(p => new V1ServicePort
                {
                    Name = p.Name,
                    Port = p.PublicPort > 0 ? p.PublicPort : p.ContainerPort,
                    TargetPort = p.ContainerPort,
                    Protocol = "TCP",
                }).ToList(),
            },
        };
    }

    /// <summary>
    /// One rule per host name, every path to the Service's first port; null without host names or
    /// ports. No ingress class is named, so the cluster's default class serves it.
    /// </summary>
    public static V1Ingress? Ingress(ResolvedApp app, string ns)
    {
        if (app.HostNames.Count == 0 || Service(app, ns)?.Spec.Ports[0] is not { } port)
        {
            return null;
        }

        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = Meta(app.Name, ns, app),
            Spec = new V1IngressSpec
            {
                Rules = app.HostNames.Select(host => new V1IngressRule
                {
                    Host = host.ToLowerInvariant(),
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths =
                        [
                            new V1HTTPIngressPath
                            {
                                Path = "/",
                                PathType = "Prefix",
                                Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = app.Name, Port = new V1ServiceBackendPort { Number = port.Port } } },
                            },
                        ],
                    },
                }).ToList(),
            },
        };
    }

    public static V1Deployment Deployment(ResolvedApp app, string ns, int progressDeadlineSeconds, IReadOnlyList<SecretValue> values)
    {
        var env = app.Variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => new V1EnvVar { Name = v.Key, Value = v.Value }).ToList();
        foreach (var secret in app.Secrets)
        {
            var (secretName, key) = secret.FromKubernetesSecret is { } reference
                ? (reference[..reference.IndexOf('/', StringComparison.Ordinal)], reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..])
                : (SecretName(app.Name), secret.Name);
            if (secret.FromKubernetesSecret is null && !values.Any(v => v.Name == secret.Name))
            {
                continue;
            }

            env.Add(new V1EnvVar { Name = secret.Name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secretName, Key = key } } });
        }

        var mounts = app.Volumes.Select(v => new V1VolumeMount { Name = "vol-" + v.Name, MountPath = v.MountPath })
            .Concat(app.ConfigFiles.Select((f, i) => new V1VolumeMount { Name = "config", MountPath = f.Path, SubPath = ConfigKey(i), ReadOnlyProperty = true }))
            .ToList();
        var volumes = app.Volumes.Select(v => new V1Volume { Name = "vol-" + v.Name, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ClaimName(app.Name, v) } }).ToList();
        if (app.ConfigFiles.Count > 0)
        {
            volumes.Add(new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = ConfigMapName(app.Name) } });
        }

        var container = new V1Container
        {
            Name = app.Name,
            Image = ImageReference(app),
            Ports = app.Ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.ContainerPort, Protocol = "TCP" }).ToList(),
            Env = env.Count > 0 ? env : null,
            Resources = Resources(app.Resources),
            ReadinessProbe = Probe(app),
            VolumeMounts = mounts.Count > 0 ? mounts : null,
        };
        var labels = Labels(app);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(app.Name, ns, app),
            Spec = new V1DeploymentSpec
            {
                Replicas = app.Replicas,
                ProgressDeadlineSeconds = progressDeadlineSeconds,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [NameLabel] = app.Name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels, Annotations = new Dictionary<string, string> { [ImageAnnotation] = app.Image } },
                    Spec = new V1PodSpec { Containers = [container], Volumes = volumes.Count > 0 ? volumes : null },
                },
            },
        };
    }

    private static V1ObjectMeta Meta(string name, string ns, ResolvedApp app) => new() { Name = name, NamespaceProperty = ns, Labels = Labels(app) };

    private static string ConfigKey(int index) => "file-" + index.ToString(CultureInfo.InvariantCulture);

    private static V1ResourceRequirements? Resources(AppResources resources)
    {
        var quantities = new Dictionary<string, ResourceQuantity>();
        if (resources.Cpu is { } cpu)
        {
            quantities["cpu"] = new ResourceQuantity(((long)Math.Round(cpu * 1000m)).ToString(CultureInfo.InvariantCulture) + "m");
        }

        if (resources.MemoryBytes is { } memory)
        {
            quantities["memory"] = new ResourceQuantity(Bytes(memory));
        }

        return quantities.Count == 0 ? null : new V1ResourceRequirements { Requests = quantities, Limits = new Dictionary<string, ResourceQuantity>(quantities) };
    }

    private static string Bytes(long bytes) =>
        bytes % (1L << 30) == 0 ? (bytes >> 30).ToString(CultureInfo.InvariantCulture) + "Gi"
        : bytes % (1L << 20) == 0 ? (bytes >> 20).ToString(CultureInfo.InvariantCulture) + "Mi"
        : bytes.ToString(CultureInfo.InvariantCulture);

    private static V1Probe? Probe(ResolvedApp app)
    {
        if (app.HealthCheck is not { } check)
        {
            return null;
        }

        var probe = new V1Probe
        {
            InitialDelaySeconds = Seconds(check.StartPeriod, 0),
            PeriodSeconds = Seconds(check.Interval, 1),
            TimeoutSeconds = Seconds(check.Timeout, 1),
            FailureThreshold = Math.Max(1, check.Threshold),
        };
        if (check.Command is { Count: > 0 } command)
        {
            probe.Exec = new V1ExecAction { Command = command.ToList() };
        }
        else if (check.HttpPath is { } path)
        {
            var port = check.Port > 0 ? check.Port : app.Ports.Count > 0 ? app.Ports[0].ContainerPort : 8080;
            probe.HttpGet = new V1HTTPGetAction { Path = path, Port = port };
        }
        else
        {
            return null;
        }

        return probe;
    }

    private static int Seconds(TimeSpan span, int minimum) => Math.Max(minimum, (int)Math.Ceiling(span.TotalSeconds));

    /// <summary>The namespace of an environment: "prefix-env" or the environment itself; an RFC 1123 label either way.</summary>
    public static string NamespaceFor(string? prefix, string environment)
    {
        var name = string.IsNullOrEmpty(prefix) ? environment : $"{prefix}-{environment}";
        if (!Validation.IsRfc1123Label(name))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"'{name}' cannot be a Kubernetes namespace: it must be an RFC 1123 label (lower-case letters, digits and '-', at most 63 characters).", name);
        }

        return name;
    }
}
