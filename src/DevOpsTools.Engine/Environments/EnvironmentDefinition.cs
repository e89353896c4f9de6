using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Yaml;

namespace DevOpsTools;

public enum ProviderKind
{
    Podman,
    Aws,
}

/// <summary>
/// One environment (test, preprod, prod) as declared in a YAML file. Its parts pipe into the
/// cmdlets: Servers into New-Server, Hardening into Set-Hardening, Data into Deploy-DataService.
/// Apps and Monitoring are validated and carried (apps in the app spec format of Deploy/Spec).
/// </summary>
public sealed class EnvironmentDefinition : IYamlLocated
{
    [YamlField("apiVersion", Description = "Schema version of this file", Pattern = "^devopstools/v1$")]
    public string ApiVersion { get; set; } = "devopstools/v1";

    [YamlField("name", Required = true, Description = "Environment name, an RFC 1123 label such as test, preprod or prod", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("description", Description = "Free text for people")]
    public string? Description { get; set; }

    [YamlField("provider", Description = "Where the servers of this environment run")]
    public ProviderSettings Provider { get; set; } = new();

    [YamlField("servers", Description = "Servers to create, grouped by role")]
    public List<ServerGroup> ServerGroups { get; set; } = [];

    [YamlField("hardening", Description = "Security baseline applied to every server")]
    public HardeningSettings Hardening { get; set; } = new();

    [YamlField("apps", Description = "Applications deployed to this environment (the app spec format, docs/app-spec.md)")]
    public List<AppSpec> Apps { get; set; } = [];

    [YamlField("data", Description = "Data services (databases) of this environment; Deploy-DataService sets them up")]
    public List<DataServiceDefinition> Data { get; set; } = [];

    [YamlField("monitoring", Description = "Probes, SLOs and the Prometheus set-up")]
    public MonitoringSettings Monitoring { get; set; } = new();

    [YamlField("tags", Description = "Tags added to every resource of the environment (keys: a letter or digit, then letters, digits and _.:/+@-, at most 128, not starting with aws: or devopstools.; values: at most 256 letters, digits, spaces and _.:/+=@-)", KeyPattern = Validation.TagKeyPattern, Pattern = Validation.TagValuePattern)]
    public Dictionary<string, string> Tags { get; set; } = [];

    /// <summary>The file this definition was read from.</summary>
    public string? Path { get; set; }

    public YamlLocation? Location { get; set; }

    /// <summary>Servers expanded from their groups (count 2 of "web" gives web-1 and web-2).</summary>
    public IReadOnlyList<ServerSpec> Servers => ServerGroups.SelectMany(g => g.Expand(this)).ToList();
}

public sealed class ProviderSettings
{
    [YamlField("type", Description = "podman (local servers, the default) or aws")]
    public ProviderKind Type { get; set; } = ProviderKind.Podman;

    [YamlField("podman", Description = "Settings for local Podman servers")]
    public PodmanSettings? Podman { get; set; }

    [YamlField("aws", Description = "Settings for AWS EC2")]
    public AwsSettings? Aws { get; set; }
}

public sealed class PodmanSettings : ServerProviderSettings
{
    public override string ProviderName() => "Podman";

    /// <summary>Podman is reached locally: a server carries no connection settings beyond its provider.</summary>
    public override ServerProviderSettings ConnectionOnly() => new PodmanSettings();

    public override string SettingsKey() => $"Podman|{Image}";

    [YamlField("image", Description = "Server image (an image reference such as localhost/team/debian12:1); default: the module-built Debian 12 image", Pattern = Validation.ImagePattern)]
    public string? Image { get; set; }
}

public sealed class AwsSettings : ServerProviderSettings
{
    public override string ProviderName() => "Aws";

    [YamlField("region", Description = "AWS region, e.g. eu-west-1")]
    public string? Region { get; set; }

    [YamlField("profile", Description = "Shared credentials/config profile name")]
    public string? Profile { get; set; }

    [YamlField("endpointUrl", Description = "EC2-compatible endpoint URL")]
    public string? EndpointUrl { get; set; }

    [YamlField("image", Description = "AMI id or alias such as debian-12", Pattern = Validation.ImagePattern)]
    public string? Image { get; set; }

    [YamlField("subnetId", Description = "Subnet to launch into")]
    public string? SubnetId { get; set; }

    [YamlField("vpcId", Description = "VPC of the environment's security group")]
    public string? VpcId { get; set; }

    [YamlField("allowSshFrom", Description = "CIDR blocks allowed to reach SSH")]
    public List<string> AllowSshFrom { get; set; } = [];

    [YamlField("associatePublicIp", Description = "Give instances a public IP address")]
    public bool? AssociatePublicIp { get; set; }

    [YamlField("rootVolumeSize", Description = "Root volume size in GiB; default: the image's own root volume size", Minimum = 1, Maximum = 16384)]
    public int? RootVolumeSize { get; set; }

    /// <summary>
    /// A copy with the given values (cmdlet parameters) in place of this one's; null keeps this
    /// one's value. Parameters win over the environment file.
    /// </summary>
    public AwsSettings WithOverrides(string? region = null, string? profile = null, string? endpointUrl = null, IEnumerable<string>? allowSshFrom = null) => new()
    {
        Region = region ?? Region,
        Profile = profile ?? Profile,
        EndpointUrl = endpointUrl ?? EndpointUrl,
        Image = Image,
        SubnetId = SubnetId,
        VpcId = VpcId,
        AllowSshFrom = allowSshFrom?.ToList() ?? [.. AllowSshFrom],
        AssociatePublicIp = AssociatePublicIp,
        RootVolumeSize = RootVolumeSize,
    };

    /// <summary>Where EC2 is reached (region, profile, endpoint): servers with the same key share a client.</summary>
    public override string ConnectionKey() => $"{Region}|{Profile}|{EndpointUrl}";

    /// <summary>Every setting: requests with the same key are created together.</summary>
    public override string SettingsKey() =>
        $"{ConnectionKey()}|{Image}|{SubnetId}|{VpcId}|{string.Join(",", AllowSshFrom)}|{AssociatePublicIp}|{RootVolumeSize}";

    /// <summary>Only what says where EC2 is (no image, network or ingress): what a Server carries.</summary>
    public override AwsSettings ConnectionOnly() => new() { Region = Region, Profile = Profile, EndpointUrl = EndpointUrl };

    public override string ToString() =>
        string.Join(", ", new[] { Region is null ? null : $"region {Region}", Profile is null ? null : $"profile {Profile}", EndpointUrl is null ? null : $"endpoint {EndpointUrl}" }.Where(x => x is not null)) is { Length: > 0 } text ? text : "default AWS settings";
}

public sealed class ServerGroup : IYamlLocated
{
    [YamlField("name", Required = true, Description = "Server name (RFC 1123 label); with count > 1 a suffix -1, -2... is added", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("count", Description = "How many servers of this kind", Minimum = 1, Maximum = 100)]
    public int Count { get; set; } = 1;

    [YamlField("size", Description = "small, medium, large or a provider instance type")]
    public string Size { get; set; } = "small";

    [YamlField("role", Description = "Role (RFC 1123 label) such as web, db, bastion, container-host", Pattern = Validation.Rfc1123LabelPattern)]
    public string? Role { get; set; }

    [YamlField("image", Description = "Image override for this group (an image reference, AMI id or alias)", Pattern = Validation.ImagePattern)]
    public string? Image { get; set; }

    [YamlField("ports", Description = "Application ports this server exposes (opened by the firewall rule)")]
    public List<int> Ports { get; set; } = [];

    [YamlField("containerHost", Description = "These servers host containers (Deploy-App): Podman servers get SYS_ADMIN and /dev/fuse for their inner podman; never set it on others")]
    public bool ContainerHost { get; set; }

    [YamlField("tags", Description = "Extra tags for these servers (keys: a letter or digit, then letters, digits and _.:/+@-, at most 128, not starting with aws: or devopstools.; values: at most 256 letters, digits, spaces and _.:/+=@-)", KeyPattern = Validation.TagKeyPattern, Pattern = Validation.TagValuePattern)]
    public Dictionary<string, string> Tags { get; set; } = [];

    public YamlLocation? Location { get; set; }

    internal IEnumerable<ServerSpec> Expand(EnvironmentDefinition environment)
    {
        for (var i = 1; i <= Count; i++)
        {
            var tags = new Dictionary<string, string>(environment.Tags);
            foreach (var (k, v) in Tags)
            {
                tags[k] = v;
            }

            yield return new ServerSpec
            {
                Name = Count == 1 ? Name : $"{Name}-{i}",
                Environment = environment.Name,
                Provider = environment.Provider.Type.ToString(),
                Size = Size,
                Role = Role,
                Image = Image ?? (environment.Provider.Type == ProviderKind.Aws ? environment.Provider.Aws?.Image : environment.Provider.Podman?.Image),
                Ports = Ports,
                ContainerHost = ContainerHost,
                Tags = tags,
                AwsSettings = environment.Provider.Type == ProviderKind.Aws ? environment.Provider.Aws : null,
            };
        }
    }
}

/// <summary>One server to create; its property names bind to New-Server's parameters.</summary>
public sealed class ServerSpec
{
    public required string Name { get; init; }

    public required string Environment { get; init; }

    public required string Provider { get; init; }

    public string Size { get; init; } = "small";

    public string? Role { get; init; }

    public string? Image { get; init; }

    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>Binds to New-Server -ContainerHost.</summary>
    public bool ContainerHost { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The environment's provider.aws section (binds to New-Server -AwsSettings); null for Podman.</summary>
    public AwsSettings? AwsSettings { get; init; }
}

public sealed class HardeningSettings
{
    [YamlField("profile", Description = "Baseline, Strict, or the path of a custom profile YAML")]
    public string Profile { get; set; } = "Baseline";

    [YamlField("rules", Description = "Only these rule ids")]
    public List<string> Rules { get; set; } = [];

    [YamlField("excludeRules", Description = "Rule ids to skip")]
    public List<string> ExcludeRules { get; set; } = [];
}

public sealed class MonitoringSettings
{
    [YamlField("prometheus", Description = "Run a Prometheus server for this environment")]
    public bool Prometheus { get; set; }

    [YamlField("slos", Description = "Service level objectives")]
    public List<SloSettings> Slos { get; set; } = [];
}

public sealed class SloSettings
{
    [YamlField("name", Required = true, Description = "SLO name")]
    public string Name { get; set; } = string.Empty;

    [YamlField("app", Required = true, Description = "Application the SLO applies to")]
    public string App { get; set; } = string.Empty;

    [YamlField("objective", Required = true, Description = "Target success ratio in percent, e.g. 99.9", Minimum = 0, Maximum = 100)]
    public double Objective { get; set; }

    [YamlField("window", Description = "Compliance window, e.g. 30d", Pattern = @"^\d+[mhdw]$")]
    public string Window { get; set; } = "30d";

    [YamlField("latencyMs", Description = "Requests slower than this count as bad", Minimum = 1)]
    public int? LatencyMs { get; set; }
}
