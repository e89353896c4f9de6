using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DevOpsTools.Ec2Endpoint.State;
using static DevOpsTools.Ec2Endpoint.Api.Xml;

namespace DevOpsTools.Ec2Endpoint.Api;

internal sealed partial class Ec2Api
{
    private const int MaxUserDataBytes = 16 * 1024;

    private static readonly string[] InstanceTagResourceTypes = ["instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"];

    [GeneratedRegex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$")]
    private static partial Regex InstanceTypeShape();

    [GeneratedRegex("^([a-z]+)(\\d+)([a-z-]*)\\.")]
    private static partial Regex InstanceTypeParts();

    /// <summary>The CPU architecture of an instance type: Graviton families carry a "g" after the generation digit.</summary>
    internal static string InstanceTypeArchitecture(string instanceType)
    {
        if (instanceType.StartsWith("a1.", StringComparison.Ordinal))
        {
            return "arm64";
        }

        var m = InstanceTypeParts().Match(instanceType);
        return m.Success && m.Groups[3].Value.Contains('g', StringComparison.Ordinal) ? "arm64" : "x86_64";
    }

    // ---- RunInstances -----------------------------------------------------------------------------

    private IEnumerable<object?> RunInstances(QueryParameters p, RequestContext ctx)
    {
        var imageId = p.Required("ImageId");
        var minCount = p.GetInt("MinCount") ?? throw Ec2Error.MissingParameter("MinCount");
        var maxCount = p.GetInt("MaxCount") ?? throw Ec2Error.MissingParameter("MaxCount");
        if (minCount < 1)
        {
            throw Ec2Error.InvalidParameterValue($"Invalid value '{minCount}' for MinCount. Must be greater than 0.");
        }

        if (maxCount < minCount)
        {
            throw Ec2Error.InvalidParameterValue($"Invalid value '{maxCount}' for MaxCount. MaxCount must be greater than or equal to MinCount ({minCount}).");
        }

        var clientToken = p.Get("ClientToken");
        var requestFingerprint = RequestFingerprint(p, "ClientToken");
        if (!string.IsNullOrEmpty(clientToken) && _state.ClientTokens.TryGetValue(clientToken, out var prior))
        {
            if (prior.Fingerprint != requestFingerprint)
            {
                throw Ec2Error.Of("IdempotentParameterMismatch", "The client token you have provided is associated with a resource that is already deleted or with a request that has different parameters. Please use a new token.");
            }

            var previous = _state.Instances.Values.Where(i => i.ReservationId == prior.ReservationId).OrderBy(i => i.LaunchIndex).ToList();
            return ReservationBody(prior.ReservationId, previous, ctx.Now, forRunResponse: true);
        }

        if (!Ids.IsWellFormed(imageId, "ami"))
        {
            throw Ec2Error.Malformed("InvalidAMIID.Malformed", imageId, "ami-...");
        }

        var image = _state.FindImage(imageId)
            ?? throw new Ec2Error("InvalidAMIID.NotFound", $"The image id '[{imageId}]' does not exist");
        if (image.State != "available")
        {
            throw new Ec2Error("InvalidAMIID.Unavailable", $"The image id '[{imageId}]' is not available");
        }

        var instanceType = p.Get("InstanceType") ?? "m1.small";
        if (!InstanceTypeShape().IsMatch(instanceType))
        {
            throw Ec2Error.InvalidParameterValue($"Invalid value '{instanceType}' for InstanceType.");
        }

        var typeArch = InstanceTypeArchitecture(instanceType);
        if (typeArch != image.Architecture)
        {
            throw Ec2Error.InvalidParameterValue(
                $"The architecture '{typeArch}' of the specified instance type does not match the architecture '{image.Architecture}' of the specified AMI. " +
                "Specify an instance type and an AMI that have matching architectures, and try again. " +
                "You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.");
        }

        KeyPair? key = null;
        if (p.Get("KeyName") is { } keyName)
        {
            key = _state.FindKeyByName(keyName)
                ?? throw new Ec2Error("InvalidKeyPair.NotFound", $"The key pair '{keyName}' does not exist");
        }

        // Network placement: the instance-level SubnetId, or the primary network interface's.
        var nics = p.Structs("NetworkInterface");
        var primaryNic = nics.FirstOrDefault(n => (n.Get("DeviceIndex") ?? "0") == "0");
        if (nics.Count > 0 && primaryNic is null)
        {
            throw Ec2Error.InvalidParameterValue("Each network interface requires a device index, and one must have device index 0.");
        }

        var instanceGroupIds = p.List("SecurityGroupId");
        var instanceGroupNames = p.List("SecurityGroup");
        if (primaryNic is not null && (instanceGroupIds.Count > 0 || instanceGroupNames.Count > 0 || p.Has("SubnetId")))
        {
            throw Ec2Error.InvalidParameterCombination("Network interfaces and an instance-level security groups may not be specified on the same request");
        }

        var subnetId = primaryNic?.Get("SubnetId") ?? p.Get("SubnetId");
        Subnet subnet;
        if (subnetId is null)
        {
            var az = p.Get("Placement.AvailabilityZone");
            subnet = az is null
                ? _state.DefaultSubnet
                : _state.Subnets.FirstOrDefault(s => s.AvailabilityZone == az && s.VpcId == _state.DefaultVpc.Id)
                    ?? throw Ec2Error.InvalidParameterValue($"Invalid availability zone: [{az}]");
        }
        else
        {
            if (!Ids.IsWellFormed(subnetId, "subnet"))
            {
                throw Ec2Error.Malformed("InvalidSubnetID.Malformed", subnetId, "subnet-...");
            }

            subnet = _state.Subnets.FirstOrDefault(s => s.Id == subnetId)
                ?? throw new Ec2Error("InvalidSubnetID.NotFound", $"The subnet ID '{subnetId}' does not exist");
        }

        var groupIds = primaryNic?.List("SecurityGroupId") ?? instanceGroupIds;
        var groups = new List<SecurityGroup>();
        foreach (var gid in groupIds)
        {
            if (!Ids.IsWellFormed(gid, "sg"))
            {
                throw Ec2Error.Malformed("InvalidGroupId.Malformed", gid, "sg-...");
            }

            var g = _state.SecurityGroups.GetValueOrDefault(gid);
            if (g is null || g.VpcId != subnet.VpcId)
            {
                throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{gid}' does not exist in VPC '{subnet.VpcId}'");
            }

            groups.Add(g);
        }

        foreach (var name in instanceGroupNames)
        {
            var g = _state.FindGroupByName(subnet.VpcId, name)
                ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{name}' does not exist in default VPC '{subnet.VpcId}'");
            groups.Add(g);
        }

        if (groups.Count == 0)
        {
            groups.Add(_state.FindGroupByName(subnet.VpcId, "default")!);
        }

        groups = [.. groups.DistinctBy(g => g.Id)];

        var associatePublicIp = primaryNic?.GetBool("AssociatePublicIpAddress") ?? true;

        var userData = p.Get("UserData");
        if (userData is not null)
        {
            byte[] decoded;
            try
            {
                decoded = Convert.FromBase64String(userData);
            }
            catch (FormatException)
            {
                throw Ec2Error.InvalidParameterValue("Invalid BASE64 encoding of user data.");
            }

            if (decoded.Length > MaxUserDataBytes)
            {
                throw Ec2Error.InvalidParameterValue($"User data is limited to {MaxUserDataBytes} bytes");
            }
        }

        var metadata = ParseMetadataOptions(p.Struct("MetadataOptions"));
        var devices = ParseBlockDeviceMappings(p, image);
        var tagSpecs = ParseTagSpecifications(p, InstanceTagResourceTypes);

        // Capacity: launch as many as allowed, at least MinCount.
        var active = _state.Instances.Values.Count(i => i.TerminateRequestedAt is null);
        var available = Math.Max(0, _options.MaxInstances - active);
        if (available < minCount)
        {
            throw Ec2Error.Of("InstanceLimitExceeded", $"Your quota allows for {available} more running instance(s). You requested at least {minCount}");
        }

        var count = Math.Min(maxCount, available);
        var reservationId = Ids.New("r");
        var launched = new List<Instance>();
        for (var index = 0; index < count; index++)
        {
            var instanceId = Ids.New("i");
            var privateIp = _state.AllocatePrivateIp(subnet);
            var volumes = new List<Volume>();
            foreach (var d in devices)
            {
                var volume = new Volume
                {
                    Id = Ids.New("vol"),
                    Size = d.Size,
                    VolumeType = d.VolumeType,
                    Encrypted = d.Encrypted,
                    KmsKeyId = d.KmsKeyId,
                    Iops = d.Iops,
                    Throughput = d.Throughput,
                    SnapshotId = d.SnapshotId,
                    AvailabilityZone = subnet.AvailabilityZone,
                    CreateTime = TruncateToSeconds(ctx.Now),
                    InstanceId = instanceId,
                    Device = d.DeviceName,
                    DeleteOnTermination = d.DeleteOnTermination,
                };
                ApplyTags(volume.Tags, tagSpecs.GetValueOrDefault("volume"));
                _state.Volumes[volume.Id] = volume;
                volumes.Add(volume);
            }

            var instance = new Instance
            {
                Id = instanceId,
                ReservationId = reservationId,
                LaunchIndex = index,
                ImageId = image.Id,
                InstanceType = instanceType,
                Architecture = image.Architecture,
                KeyName = key?.Name,
                VpcId = subnet.VpcId,
                SubnetId = subnet.Id,
                AvailabilityZone = subnet.AvailabilityZone,
                PrivateIp = privateIp,
                NetworkInterfaceId = Ids.New("eni"),
                MacAddress = "0e:" + string.Join(':', RandomNumberGenerator.GetBytes(5).Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
                LaunchTime = TruncateToSeconds(ctx.Now),
                CreatedAt = ctx.Now,
                ClientToken = clientToken,
                UserData = userData,
                RootDeviceName = image.RootDeviceName,
                Groups = [.. groups.Select(g => new KeyValuePair<string, string>(g.Id, g.Name))],
                MetadataOptions = metadata,
                Volumes = volumes,
                EbsOptimized = p.GetBool("EbsOptimized") ?? false,
                MonitoringEnabled = p.GetBool("Monitoring.Enabled") ?? false,
                WaitsForBacking = _backing.WaitsForGuest,
                StateReasonCode = "pending",
                StateReasonMessage = "pending",
            };
            ApplyTags(instance.Tags, tagSpecs.GetValueOrDefault("instance"));
            _state.Instances[instance.Id] = instance;
            _backing.Launch(instance, key is null ? null : SshPublicKey.TryParseLine(key.PublicKey)?.Line(key.Name));
            instance.PublicIp = associatePublicIp ? instance.SshHost : null;
            launched.Add(instance);
        }

        if (!string.IsNullOrEmpty(clientToken))
        {
            _state.ClientTokens[clientToken] = (reservationId, requestFingerprint);
        }

        return ReservationBody(reservationId, launched, ctx.Now, forRunResponse: true);
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), t.Offset);

    private static string RequestFingerprint(QueryParameters p, params string[] ignore)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in p.All.Where(kv => !ignore.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(k).Append('\0').Append(v).Append('\0');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static MetadataOptions ParseMetadataOptions(QueryParameters? m)
    {
        var options = new MetadataOptions();
        if (m is null)
        {
            return options;
        }

        options.HttpTokens = OneOf(m, "HttpTokens", options.HttpTokens, "optional", "required");
        options.HttpEndpoint = OneOf(m, "HttpEndpoint", options.HttpEndpoint, "enabled", "disabled");
        options.HttpProtocolIpv6 = OneOf(m, "HttpProtocolIpv6", options.HttpProtocolIpv6, "enabled", "disabled");
        options.InstanceMetadataTags = OneOf(m, "InstanceMetadataTags", options.InstanceMetadataTags, "enabled", "disabled");
        if (m.GetInt("HttpPutResponseHopLimit") is { } hops)
        {
            if (hops < 1 || hops > 64)
            {
                throw Ec2Error.InvalidParameterValue($"Invalid value '{hops}' for HttpPutResponseHopLimit. Valid values are 1-64.");
            }

            options.HttpPutResponseHopLimit = hops;
        }

        return options;
    }

    private static string OneOf(QueryParameters p, string name, string fallback, params string[] allowed)
    {
        var v = p.Get(name);
        if (v is null)
        {
            return fallback;
        }

        return allowed.Contains(v) ? v : throw Ec2Error.InvalidParameterValue($"Invalid value '{v}' for {name}. Valid values are: {string.Join(", ", allowed)}.");
    }

    private IEnumerable<object?> ReservationBody(string reservationId, List<Instance> instances, DateTimeOffset now, bool forRunResponse)
    {
        yield return E("reservationId", reservationId);
        yield return E("ownerId", _state.AccountId);
        yield return E("groupSet");
        yield return Items("instancesSet", instances.Select(i => InstanceXml(i, now, forRunResponse)));
    }

    private XElement InstanceXml(Instance i, DateTimeOffset now, bool forRunResponse)
    {
        var state = StateOf(i, now);
        if (forRunResponse && state == InstanceStateName.Running)
        {
            // RunInstances always answers with the instances pending.
            state = InstanceStateName.Pending;
        }

        var gone = state == InstanceStateName.Terminated;
        var privateDns = $"ip-{i.PrivateIp.Replace('.', '-')}.ec2.internal";
        var publicIp = !forRunResponse && state is InstanceStateName.Pending or InstanceStateName.Running ? i.PublicIp : null;
        var groupSet = Items("groupSet", i.Groups.Select(g => Item(E("groupId", g.Key), E("groupName", g.Value))));
        var volumes = gone ? [] : i.Volumes;

        return Item(
            E("instanceId", i.Id),
            E("imageId", i.ImageId),
            E("instanceState", E("code", (int)state), E("name", state.Name())),
            E("privateDnsName", gone ? string.Empty : privateDns),
            E("dnsName", string.Empty),
            E("reason", i.StateTransitionReason ?? string.Empty),
            Opt("keyName", i.KeyName),
            E("amiLaunchIndex", i.LaunchIndex),
            E("productCodes"),
            E("instanceType", i.InstanceType),
            E("launchTime", i.LaunchTime),
            E("placement", E("availabilityZone", i.AvailabilityZone), E("groupName", string.Empty), E("tenancy", "default")),
            E("monitoring", E("state", i.MonitoringEnabled ? "enabled" : "disabled")),
            gone ? null : E("subnetId", i.SubnetId),
            gone ? null : E("vpcId", i.VpcId),
            gone ? null : E("privateIpAddress", i.PrivateIp),
            Opt("ipAddress", publicIp),
            E("sourceDestCheck", true),
            groupSet,
            StateReasonXml(i, state),
            E("architecture", i.Architecture),
            E("rootDeviceType", "ebs"),
            E("rootDeviceName", i.RootDeviceName),
            Items("blockDeviceMapping", volumes.Where(v => v.Attached).Select(v => Item(
                E("deviceName", v.Device),
                E("ebs",
                    E("volumeId", v.Id),
                    E("status", state == InstanceStateName.Pending ? "attaching" : "attached"),
                    E("attachTime", v.CreateTime),
                    E("deleteOnTermination", v.DeleteOnTermination))))),
            E("virtualizationType", "hvm"),
            E("clientToken", i.ClientToken ?? string.Empty),
            i.Tags.Count > 0 ? TagSet(i.Tags.Items) : null,
            E("hypervisor", "xen"),
            Items("networkInterfaceSet", gone ? [] : [NetworkInterfaceXml(i, privateDns, publicIp, groupSet)]),
            E("ebsOptimized", i.EbsOptimized),
            E("enaSupport", true),
            E("sriovNetSupport", "simple"),
            E("capacityReservationSpecification", E("capacityReservationPreference", "open")),
            E("hibernationOptions", E("configured", false)),
            E("enclaveOptions", E("enabled", false)),
            E("metadataOptions",
                E("state", state == InstanceStateName.Pending ? "pending" : "applied"),
                E("httpTokens", i.MetadataOptions.HttpTokens),
                E("httpPutResponseHopLimit", i.MetadataOptions.HttpPutResponseHopLimit),
                E("httpEndpoint", i.MetadataOptions.HttpEndpoint),
                E("httpProtocolIpv6", i.MetadataOptions.HttpProtocolIpv6),
                E("instanceMetadataTags", i.MetadataOptions.InstanceMetadataTags)),
            E("platformDetails", "Linux/UNIX"),
            E("usageOperation", "RunInstances"),
            E("usageOperationUpdateTime", i.LaunchTime),
            E("privateDnsNameOptions",
                E("hostnameType", "ip-name"),
                E("enableResourceNameDnsARecord", false),
                E("enableResourceNameDnsAAAARecord", false)),
            E("maintenanceOptions", E("autoRecovery", "default")),
            E("currentInstanceBootMode", i.Architecture == "arm64" ? "uefi" : "legacy-bios"));
    }

    private static XElement? StateReasonXml(Instance i, InstanceStateName state)
    {
        if (state == InstanceStateName.Running || i.StateReasonCode is null)
        {
            return null;
        }

        return E("stateReason", E("code", i.StateReasonCode), E("message", i.StateReasonMessage ?? i.StateReasonCode));
    }

    private XElement NetworkInterfaceXml(Instance i, string privateDns, string? publicIp, XElement groupSet)
    {
        var association = publicIp is null
            ? null
            : E("association", E("publicIp", publicIp), E("publicDnsName", string.Empty), E("ipOwnerId", "amazon"));
        return Item(
            E("networkInterfaceId", i.NetworkInterfaceId),
            E("subnetId", i.SubnetId),
            E("vpcId", i.VpcId),
            E("description", string.Empty),
            E("ownerId", _state.AccountId),
            E("status", "in-use"),
            E("macAddress", i.MacAddress),
            E("privateIpAddress", i.PrivateIp),
            E("privateDnsName", privateDns),
            E("sourceDestCheck", true),
            new XElement(groupSet),
            E("attachment",
                E("attachmentId", "eni-attach-" + i.NetworkInterfaceId[4..]),
                E("deviceIndex", 0),
                E("status", "attached"),
                E("attachTime", i.LaunchTime),
                E("deleteOnTermination", true),
                E("networkCardIndex", 0)),
            association,
            Items("privateIpAddressesSet", [Item(
                E("privateIpAddress", i.PrivateIp),
                E("privateDnsName", privateDns),
                E("primary", true),
                association is null ? null : new XElement(association))]),
            E("ipv6AddressesSet"),
            E("interfaceType", "interface"));
    }

    // ---- DescribeInstances -----------------------------------------------------------------------

    private static readonly string[] InstanceFilterNames =
    [
        "instance-id", "instance-state-name", "instance-state-code", "instance-type", "image-id", "key-name",
        "vpc-id", "subnet-id", "availability-zone", "private-ip-address", "ip-address", "reservation-id",
        "architecture", "instance.group-id", "instance.group-name", "group-id", "group-name", "private-dns-name",
        "launch-index", "client-token", "network-interface.network-interface-id", "metadata-options.http-tokens",
    ];

    private IEnumerable<string?> InstanceFilterValues(string name, Instance i, DateTimeOffset now) => name switch
    {
        "instance-id" => One(i.Id),
        "instance-state-name" => One(StateOf(i, now).Name()),
        "instance-state-code" => One(((int)StateOf(i, now)).ToString(CultureInfo.InvariantCulture)),
        "instance-type" => One(i.InstanceType),
        "image-id" => One(i.ImageId),
        "key-name" => One(i.KeyName),
        "vpc-id" => One(i.VpcId),
        "subnet-id" => One(i.SubnetId),
        "availability-zone" => One(i.AvailabilityZone),
        "private-ip-address" => One(i.PrivateIp),
        "ip-address" => One(StateOf(i, now) is InstanceStateName.Pending or InstanceStateName.Running ? i.PublicIp : null),
        "reservation-id" => One(i.ReservationId),
        "architecture" => One(i.Architecture),
        "instance.group-id" or "group-id" => i.Groups.Select(g => (string?)g.Key),
        "instance.group-name" or "group-name" => i.Groups.Select(g => (string?)g.Value),
        "private-dns-name" => One($"ip-{i.PrivateIp.Replace('.', '-')}.ec2.internal"),
        "launch-index" => One(i.LaunchIndex.ToString(CultureInfo.InvariantCulture)),
        "client-token" => One(i.ClientToken),
        "network-interface.network-interface-id" => One(i.NetworkInterfaceId),
        "metadata-options.http-tokens" => One(i.MetadataOptions.HttpTokens),
        _ => [],
    };

    private IEnumerable<object?> DescribeInstances(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("InstanceId");
        var filters = ParseFilters(p);
        if (ids.Count > 0 && p.Has("MaxResults"))
        {
            throw Ec2Error.InvalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults");
        }

        IEnumerable<Instance> candidates = ids.Count > 0
            ? ResolveInstances(ids, ctx.Now)
            : _state.Instances.Values.Where(i => IsVisible(i, ctx.Now)).OrderBy(i => i.CreatedAt).ThenBy(i => i.LaunchIndex);
        var matched = ApplyFilters(candidates, filters, InstanceFilterNames, (n, i) => InstanceFilterValues(n, i, ctx.Now), i => i.Tags).ToList();
        var (page, next) = Paginate(matched, p, 5, 1000);

        var reservations = page.GroupBy(i => i.ReservationId).Select(g => Item(
            E("reservationId", g.Key),
            E("ownerId", _state.AccountId),
            E("groupSet"),
            Items("instancesSet", g.Select(i => InstanceXml(i, ctx.Now, forRunResponse: false)))));
        yield return Items("reservationSet", reservations);
        if (next is not null)
        {
            yield return E("nextToken", next);
        }
    }

    // ---- DescribeInstanceStatus ------------------------------------------------------------------

    private static readonly string[] InstanceStatusFilterNames =
    [
        "availability-zone", "instance-state-name", "instance-state-code", "instance-status.status",
        "instance-status.reachability", "system-status.status", "system-status.reachability", "instance-id",
    ];

    private IEnumerable<object?> DescribeInstanceStatus(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("InstanceId");
        var includeAll = p.GetBool("IncludeAllInstances") ?? false;
        var filters = ParseFilters(p);
        IEnumerable<Instance> candidates = ids.Count > 0
            ? ResolveInstances(ids, ctx.Now)
            : _state.Instances.Values.Where(i => IsVisible(i, ctx.Now)).OrderBy(i => i.CreatedAt).ThenBy(i => i.LaunchIndex);
        candidates = candidates.Where(i => includeAll || StateOf(i, ctx.Now) == InstanceStateName.Running);

        string Status(Instance i) => StateOf(i, ctx.Now) != InstanceStateName.Running
            ? "not-applicable"
            : StatusOk(i, ctx.Now) ? "ok" : "initializing";

        string Reachability(Instance i) => Status(i) switch
        {
            "ok" => "passed",
            "initializing" => "initializing",
            _ => "not-applicable",
        };

        var matched = ApplyFilters(candidates, filters, InstanceStatusFilterNames, (n, i) => n switch
        {
            "availability-zone" => One(i.AvailabilityZone),
            "instance-state-name" => One(StateOf(i, ctx.Now).Name()),
            "instance-state-code" => One(((int)StateOf(i, ctx.Now)).ToString(CultureInfo.InvariantCulture)),
            "instance-status.status" or "system-status.status" => One(Status(i)),
            "instance-status.reachability" or "system-status.reachability" => One(Reachability(i)),
            "instance-id" => One(i.Id),
            _ => [],
        }, null).ToList();
        var (page, next) = Paginate(matched, p, 5, 1000);

        XElement Summary(string name, Instance i) => E(name,
            E("status", Status(i)),
            Status(i) == "not-applicable" ? E("details") : Items("details", [Item(E("name", "reachability"), E("status", Reachability(i)))]));

        yield return Items("instanceStatusSet", page.Select(i => Item(
            E("instanceId", i.Id),
            E("availabilityZone", i.AvailabilityZone),
            E("instanceState", E("code", (int)StateOf(i, ctx.Now)), E("name", StateOf(i, ctx.Now).Name())),
            Summary("systemStatus", i),
            Summary("instanceStatus", i),
            E("attachedEbsStatus",
                E("status", Status(i)),
                Status(i) == "not-applicable" ? E("details") : Items("details", [Item(E("name", "reachability"), E("status", Reachability(i)))])),
            E("eventsSet"))));
        if (next is not null)
        {
            yield return E("nextToken", next);
        }
    }

    // ---- TerminateInstances ----------------------------------------------------------------------

    private IEnumerable<object?> TerminateInstances(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("InstanceId");
        if (ids.Count == 0)
        {
            throw Ec2Error.MissingParameter("InstanceId");
        }

        var instances = ResolveInstances(ids, ctx.Now);
        var items = new List<XElement>();
        foreach (var i in instances)
        {
            var previous = StateOf(i, ctx.Now);
            if (i.TerminateRequestedAt is null)
            {
                i.TerminateRequestedAt = ctx.Now;
                i.StateTransitionReason = $"User initiated ({ctx.Now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} GMT)";
                i.StateReasonCode = "Client.UserInitiatedShutdown";
                i.StateReasonMessage = "Client.UserInitiatedShutdown: User initiated shutdown";
                foreach (var v in i.Volumes)
                {
                    if (v.DeleteOnTermination)
                    {
                        _state.Volumes.Remove(v.Id);
                    }

                    v.Attached = false;
                }

                _backing.Terminate(i);
            }

            var current = StateOf(i, ctx.Now);
            items.Add(Item(
                E("instanceId", i.Id),
                E("currentState", E("code", (int)current), E("name", current.Name())),
                E("previousState", E("code", (int)previous), E("name", previous.Name()))));
        }

        yield return Items("instancesSet", items);
    }

    // ---- GetConsoleOutput ------------------------------------------------------------------------

    private IEnumerable<object?> GetConsoleOutput(QueryParameters p, RequestContext ctx)
    {
        var id = p.Required("InstanceId");
        var instance = ResolveInstances([id], ctx.Now)[0];

        string? output = null;
        if (instance.WaitsForBacking)
        {
            output = instance.ConsoleOutput;
        }
        else if (RunningAt(instance) is { } runningAt && ctx.Now >= runningAt && (instance.TerminateRequestedAt is not { } stoppedAt || stoppedAt >= runningAt))
        {
            // The simulated guest "boots" when it becomes running: synthesize its host keys once.
            instance.ConsoleOutput ??= ConsoleText.Build(instance, _options.ConsoleHostKeys ? ConsoleText.SimulatedHostKeys($"root@ip-{instance.PrivateIp.Replace('.', '-')}") : [], runningAt);
            output = instance.ConsoleOutput;
        }

        yield return E("instanceId", instance.Id);
        yield return E("timestamp", ctx.Now);
        if (output is not null)
        {
            yield return E("output", Convert.ToBase64String(Encoding.UTF8.GetBytes(output)));
        }
    }
}
