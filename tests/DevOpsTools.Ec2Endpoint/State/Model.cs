namespace DevOpsTools.Ec2Endpoint.State;

/// <summary>An ordered tag set with EC2's replace-on-same-key semantics.</summary>
internal sealed class Tags
{
    private readonly List<KeyValuePair<string, string>> _items = [];

    public IReadOnlyList<KeyValuePair<string, string>> Items => _items;

    public int Count => _items.Count;

    public void Set(string key, string value)
    {
        var i = _items.FindIndex(t => t.Key == key);
        if (i >= 0)
        {
            _items[i] = new KeyValuePair<string, string>(key, value);
        }
        else
        {
            _items.Add(new KeyValuePair<string, string>(key, value));
        }
    }

    public void Remove(string key, string? value)
    {
        _items.RemoveAll(t => t.Key == key && (value is null || t.Value == value));
    }

    public string? Get(string key) => _items.FirstOrDefault(t => t.Key == key) is { Key: not null } kv ? kv.Value : null;

    public bool HasKey(string key) => _items.Any(t => t.Key == key);
}

internal interface ITagged
{
    string Id { get; }

    Tags Tags { get; }
}

internal sealed class Image
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string OwnerId { get; init; }

    public string? OwnerAlias { get; init; }

    public required string Architecture { get; init; }

    public required DateTimeOffset CreationDate { get; init; }

    public DateTimeOffset? DeprecationTime { get; init; }

    public required string Description { get; init; }

    public string State { get; init; } = "available";

    public string RootDeviceName { get; init; } = "/dev/xvda";

    public required string SnapshotId { get; init; }

    public int RootVolumeSize { get; init; } = 8;

    public string RootVolumeType { get; init; } = "gp3";

    public string BootMode { get; init; } = "uefi-preferred";

    public bool IsPublic { get; init; } = true;

    public string PlatformDetails { get; init; } = "Linux/UNIX";
}

internal sealed class KeyPair : ITagged
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Fingerprint { get; init; }

    public required string KeyType { get; init; }

    /// <summary>The OpenSSH public key line ("ssh-ed25519 AAAA... comment").</summary>
    public required string PublicKey { get; init; }

    public required DateTimeOffset CreateTime { get; init; }

    public Tags Tags { get; } = new();
}

internal sealed class SecurityGroupRule
{
    public required string RuleId { get; init; }

    /// <summary>"tcp", "udp", "icmp", "icmpv6" or "-1".</summary>
    public required string Protocol { get; init; }

    public int? FromPort { get; init; }

    public int? ToPort { get; init; }

    public string? CidrIpv4 { get; init; }

    public string? CidrIpv6 { get; init; }

    public string? ReferencedGroupId { get; init; }

    public string? PrefixListId { get; init; }

    public string? Description { get; init; }

    public bool SamePermission(SecurityGroupRule other) =>
        Protocol == other.Protocol && FromPort == other.FromPort && ToPort == other.ToPort &&
        CidrIpv4 == other.CidrIpv4 && CidrIpv6 == other.CidrIpv6 &&
        ReferencedGroupId == other.ReferencedGroupId && PrefixListId == other.PrefixListId;

    public string Peer => CidrIpv4 ?? CidrIpv6 ?? ReferencedGroupId ?? PrefixListId ?? "?";
}

internal sealed class SecurityGroup : ITagged
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Description { get; init; }

    public required string VpcId { get; init; }

    public required string OwnerId { get; init; }

    public List<SecurityGroupRule> Ingress { get; } = [];

    public List<SecurityGroupRule> Egress { get; } = [];

    public Tags Tags { get; } = new();
}

internal sealed class Volume : ITagged
{
    public required string Id { get; init; }

    public required int Size { get; init; }

    public required string VolumeType { get; init; }

    public required bool Encrypted { get; init; }

    public string? KmsKeyId { get; init; }

    public int? Iops { get; init; }

    public int? Throughput { get; init; }

    public string? SnapshotId { get; init; }

    public required string AvailabilityZone { get; init; }

    public required DateTimeOffset CreateTime { get; init; }

    public required string InstanceId { get; init; }

    public required string Device { get; init; }

    public required bool DeleteOnTermination { get; init; }

    /// <summary>False once the instance it belonged to is gone (and the volume was kept).</summary>
    public bool Attached { get; set; } = true;

    public Tags Tags { get; } = new();
}

internal sealed class MetadataOptions
{
    public string HttpTokens { get; set; } = "optional";

    public int HttpPutResponseHopLimit { get; set; } = 2;

    public string HttpEndpoint { get; set; } = "enabled";

    public string HttpProtocolIpv6 { get; set; } = "disabled";

    public string InstanceMetadataTags { get; set; } = "disabled";
}

internal enum InstanceStateName
{
    Pending = 0,
    Running = 16,
    ShuttingDown = 32,
    Terminated = 48,
}

internal static class InstanceStateNames
{
    public static string Name(this InstanceStateName s) => s switch
    {
        InstanceStateName.Pending => "pending",
        InstanceStateName.Running => "running",
        InstanceStateName.ShuttingDown => "shutting-down",
        InstanceStateName.Terminated => "terminated",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };
}

internal sealed class Instance : ITagged
{
    public required string Id { get; init; }

    public required string ReservationId { get; init; }

    public required int LaunchIndex { get; init; }

    public required string ImageId { get; init; }

    public required string InstanceType { get; init; }

    public required string Architecture { get; init; }

    public string? KeyName { get; init; }

    public required string VpcId { get; init; }

    public required string SubnetId { get; init; }

    public required string AvailabilityZone { get; init; }

    public required string PrivateIp { get; init; }

    public string? PublicIp { get; set; }

    public required string NetworkInterfaceId { get; init; }

    public required string MacAddress { get; init; }

    /// <summary>The launch time as EC2 reports it (whole seconds).</summary>
    public required DateTimeOffset LaunchTime { get; init; }

    /// <summary>The exact moment RunInstances was accepted; state transitions count from here.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    public string? ClientToken { get; init; }

    public string? UserData { get; init; }

    public required string RootDeviceName { get; init; }

    /// <summary>Security groups (ID, name) as they were at launch.</summary>
    public required List<KeyValuePair<string, string>> Groups { get; init; }

    public required MetadataOptions MetadataOptions { get; init; }

    public required List<Volume> Volumes { get; init; }

    public bool EbsOptimized { get; init; }

    public bool MonitoringEnabled { get; init; }

    public Tags Tags { get; } = new();

    /// <summary>When TerminateInstances was accepted (or the launch failed).</summary>
    public DateTimeOffset? TerminateRequestedAt { get; set; }

    public string? StateReasonCode { get; set; }

    public string? StateReasonMessage { get; set; }

    public string? StateTransitionReason { get; set; }

    /// <summary>Console text (the part a real instance prints to its serial console).</summary>
    public string? ConsoleOutput { get; set; }

    /// <summary>When the simulated/real guest is reachable (sshd answers); null until then.</summary>
    public DateTimeOffset? GuestReadyAt { get; set; }

    /// <summary>Whether a backing guest must report ready before the instance counts as running.</summary>
    public bool WaitsForBacking { get; init; }

    /// <summary>When the backing guest started (container up); pending lasts until then when <see cref="WaitsForBacking"/>.</summary>
    public DateTimeOffset? BackingStartedAt { get; set; }

    public string? SshHost { get; set; }

    public int SshPort { get; set; } = 22;

    public string? ContainerName { get; set; }
}

internal sealed class Vpc
{
    public required string Id { get; init; }

    public required string CidrBlock { get; init; }

    public required string CidrAssociationId { get; init; }

    public required string DhcpOptionsId { get; init; }

    public required bool IsDefault { get; init; }

    public Tags Tags { get; } = new();
}

internal sealed class Subnet
{
    public required string Id { get; init; }

    public required string VpcId { get; init; }

    public required string AvailabilityZone { get; init; }

    public required string CidrBlock { get; init; }

    /// <summary>The next host number handed out in this subnet.</summary>
    public int NextHost { get; set; } = 10;
}
