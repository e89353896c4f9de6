using System.Globalization;
using DevOpsTools.Ec2Endpoint.State;
using static DevOpsTools.Ec2Endpoint.Api.Xml;

namespace DevOpsTools.Ec2Endpoint.Api;

internal sealed partial class Ec2Api
{
    // ---- tags ------------------------------------------------------------------------------------

    /// <summary>The tag set of a resource ID, throwing the resource type's NotFound/Malformed error as EC2 does.</summary>
    private Tags ResolveTaggable(string id, DateTimeOffset now)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        var prefix = dash > 0 ? id[..dash] : string.Empty;
        switch (prefix)
        {
            case "i":
                return ResolveInstances([id], now)[0].Tags;
            case "sg":
                return _state.SecurityGroups.GetValueOrDefault(id)?.Tags
                    ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{id}' does not exist");
            case "vol":
                return _state.Volumes.GetValueOrDefault(id)?.Tags
                    ?? throw new Ec2Error("InvalidVolume.NotFound", $"The volume '{id}' does not exist.");
            case "key":
                return _state.KeyPairs.GetValueOrDefault(id)?.Tags
                    ?? throw new Ec2Error("InvalidKeyPair.NotFound", $"The key pair ID '{id}' does not exist");
            case "vpc":
                return _state.Vpcs.FirstOrDefault(v => v.Id == id)?.Tags
                    ?? throw new Ec2Error("InvalidVpcID.NotFound", $"The vpc ID '{id}' does not exist");
            default:
                throw new Ec2Error("InvalidID", $"The ID '{id}' is not valid");
        }
    }

    private IEnumerable<object?> CreateTags(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("ResourceId");
        if (ids.Count == 0)
        {
            throw Ec2Error.MissingParameter("ResourceId");
        }

        var tags = ParseTags(p.Structs("Tag"));
        if (tags.Count == 0)
        {
            throw Ec2Error.MissingParameter("Tag");
        }

        var targets = ids.Select(id => ResolveTaggable(id, ctx.Now)).ToList();
        foreach (var target in targets)
        {
            var newKeys = tags.Select(t => t.Key).Distinct().Count(k => !target.HasKey(k));
            if (target.Count + newKeys > MaxTagsPerResource)
            {
                throw Ec2Error.Of("TagLimitExceeded", $"The maximum number of tags per resource ({MaxTagsPerResource}) has been exceeded");
            }
        }

        foreach (var target in targets)
        {
            ApplyTags(target, tags);
        }

        yield return E("return", true);
    }

    private IEnumerable<object?> DeleteTags(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("ResourceId");
        if (ids.Count == 0)
        {
            throw Ec2Error.MissingParameter("ResourceId");
        }

        var tagStructs = p.Structs("Tag");
        var targets = ids.Select(id => ResolveTaggable(id, ctx.Now)).ToList();
        foreach (var target in targets)
        {
            if (tagStructs.Count == 0)
            {
                foreach (var key in target.Items.Select(t => t.Key).ToList())
                {
                    target.Remove(key, null);
                }

                continue;
            }

            foreach (var t in tagStructs)
            {
                target.Remove(t.Get("Key") ?? throw Ec2Error.MissingParameter("Tag.N.Key"), t.Get("Value"));
            }
        }

        yield return E("return", true);
    }

    // ---- VPCs and subnets ----------------------------------------------------------------------

    private static readonly string[] VpcFilterNames = ["vpc-id", "is-default", "state", "cidr", "cidr-block-association.cidr-block", "owner-id", "dhcp-options-id"];

    private IEnumerable<object?> DescribeVpcs(QueryParameters p)
    {
        var ids = p.List("VpcId");
        var filters = ParseFilters(p);
        foreach (var id in ids)
        {
            if (!Ids.IsWellFormed(id, "vpc"))
            {
                throw Ec2Error.Malformed("InvalidVpcID.Malformed", id, "vpc-...");
            }
        }

        var missing = ids.Where(id => _state.Vpcs.All(v => v.Id != id)).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw Ec2Error.NotFound("InvalidVpcID.NotFound", "vpc ID", missing);
        }

        IEnumerable<Vpc> vpcs = ids.Count > 0 ? _state.Vpcs.Where(v => ids.Contains(v.Id)) : _state.Vpcs;
        var matched = ApplyFilters(vpcs, filters, VpcFilterNames, (n, v) => n switch
        {
            "vpc-id" => One(v.Id),
            "is-default" => One(v.IsDefault ? "true" : "false"),
            "state" => One("available"),
            "cidr" or "cidr-block-association.cidr-block" => One(v.CidrBlock),
            "owner-id" => One(_state.AccountId),
            "dhcp-options-id" => One(v.DhcpOptionsId),
            _ => [],
        }, v => v.Tags);

        yield return Items("vpcSet", matched.Select(v => Item(
            E("vpcId", v.Id),
            E("ownerId", _state.AccountId),
            E("state", "available"),
            E("cidrBlock", v.CidrBlock),
            Items("cidrBlockAssociationSet", [Item(
                E("cidrBlock", v.CidrBlock),
                E("associationId", v.CidrAssociationId),
                E("cidrBlockState", E("state", "associated")))]),
            E("dhcpOptionsId", v.DhcpOptionsId),
            v.Tags.Count > 0 ? TagSet(v.Tags.Items) : null,
            E("instanceTenancy", "default"),
            E("isDefault", v.IsDefault),
            E("blockPublicAccessStates", E("internetGatewayBlockMode", "off")))));
    }

    private static readonly string[] SubnetFilterNames = ["subnet-id", "vpc-id", "availability-zone", "default-for-az", "state", "cidr-block"];

    private IEnumerable<object?> DescribeSubnets(QueryParameters p)
    {
        var ids = p.List("SubnetId");
        var filters = ParseFilters(p);
        var missing = ids.Where(id => _state.Subnets.All(s => s.Id != id)).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw Ec2Error.NotFound("InvalidSubnetID.NotFound", "subnet ID", missing);
        }

        IEnumerable<Subnet> subnets = ids.Count > 0 ? _state.Subnets.Where(s => ids.Contains(s.Id)) : _state.Subnets;
        var matched = ApplyFilters(subnets, filters, SubnetFilterNames, (n, s) => n switch
        {
            "subnet-id" => One(s.Id),
            "vpc-id" => One(s.VpcId),
            "availability-zone" => One(s.AvailabilityZone),
            "default-for-az" => One("true"),
            "state" => One("available"),
            "cidr-block" => One(s.CidrBlock),
            _ => [],
        }, null);

        yield return Items("subnetSet", matched.Select(s => Item(
            E("subnetId", s.Id),
            E("subnetArn", Arn("subnet", s.Id)),
            E("state", "available"),
            E("ownerId", _state.AccountId),
            E("vpcId", s.VpcId),
            E("cidrBlock", s.CidrBlock),
            E("availableIpAddressCount", 4091 - (s.NextHost - 10)),
            E("availabilityZone", s.AvailabilityZone),
            E("availabilityZoneId", "use1-az" + (s.AvailabilityZone[^1] - 'a' + 1).ToString(CultureInfo.InvariantCulture)),
            E("defaultForAz", true),
            E("mapPublicIpOnLaunch", true),
            E("assignIpv6AddressOnCreation", false),
            E("ipv6CidrBlockAssociationSet"))));
    }

    // ---- volumes -------------------------------------------------------------------------------

    private static readonly string[] VolumeFilterNames = ["volume-id", "attachment.instance-id", "attachment.device", "encrypted", "volume-type", "size", "status", "availability-zone"];

    private IEnumerable<object?> DescribeVolumes(QueryParameters p, RequestContext ctx)
    {
        var ids = p.List("VolumeId");
        var filters = ParseFilters(p);
        var missing = ids.Where(id => !_state.Volumes.ContainsKey(id)).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw new Ec2Error("InvalidVolume.NotFound", missing.Count == 1
                ? $"The volume '{missing[0]}' does not exist."
                : $"The volumes '{string.Join(", ", missing)}' do not exist.");
        }

        IEnumerable<Volume> volumes = ids.Count > 0 ? ids.Distinct().Select(id => _state.Volumes[id]) : _state.Volumes.Values.OrderBy(v => v.CreateTime);
        string Status(Volume v) => v.Attached ? "in-use" : "available";
        var matched = ApplyFilters(volumes, filters, VolumeFilterNames, (n, v) => n switch
        {
            "volume-id" => One(v.Id),
            "attachment.instance-id" => One(v.Attached ? v.InstanceId : null),
            "attachment.device" => One(v.Attached ? v.Device : null),
            "encrypted" => One(v.Encrypted ? "true" : "false"),
            "volume-type" => One(v.VolumeType),
            "size" => One(v.Size.ToString(CultureInfo.InvariantCulture)),
            "status" => One(Status(v)),
            "availability-zone" => One(v.AvailabilityZone),
            _ => [],
        }, v => v.Tags).ToList();
        var (page, next) = Paginate(matched, p, 5, 500);

        yield return Items("volumeSet", page.Select(v => Item(
            E("volumeId", v.Id),
            E("size", v.Size),
            E("snapshotId", v.SnapshotId ?? string.Empty),
            E("availabilityZone", v.AvailabilityZone),
            E("status", Status(v)),
            E("createTime", v.CreateTime),
            Items("attachmentSet", v.Attached
                ? [Item(E("volumeId", v.Id), E("instanceId", v.InstanceId), E("device", v.Device), E("status", "attached"), E("attachTime", v.CreateTime), E("deleteOnTermination", v.DeleteOnTermination))]
                : []),
            v.Tags.Count > 0 ? TagSet(v.Tags.Items) : null,
            E("volumeType", v.VolumeType),
            Opt("iops", v.Iops),
            Opt("throughput", v.Throughput),
            E("encrypted", v.Encrypted),
            Opt("kmsKeyId", v.KmsKeyId),
            E("multiAttachEnabled", false))));
        if (next is not null)
        {
            yield return E("nextToken", next);
        }
    }
}
