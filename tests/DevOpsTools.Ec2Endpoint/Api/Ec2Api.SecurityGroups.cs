using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using DevOpsTools.Ec2Endpoint.State;
using static DevOpsTools.Ec2Endpoint.Api.Xml;

namespace DevOpsTools.Ec2Endpoint.Api;

internal sealed partial class Ec2Api
{
    private const int MaxRulesPerGroup = 60;

    private IEnumerable<object?> CreateSecurityGroup(QueryParameters p)
    {
        var name = p.Required("GroupName");
        var description = p.Required("GroupDescription");
        if (name.Length > 255 || description.Length > 255)
        {
            throw Ec2Error.InvalidParameterValue("Group name and description must be at most 255 characters.");
        }

        if (name.StartsWith("sg-", StringComparison.OrdinalIgnoreCase))
        {
            throw Ec2Error.InvalidParameterValue("Group names may not be in the format sg-*.");
        }

        var vpcId = p.Get("VpcId") ?? _state.DefaultVpc.Id;
        if (!Ids.IsWellFormed(vpcId, "vpc"))
        {
            throw Ec2Error.Malformed("InvalidVpcID.Malformed", vpcId, "vpc-...");
        }

        if (_state.Vpcs.All(v => v.Id != vpcId))
        {
            throw new Ec2Error("InvalidVpcID.NotFound", $"The vpc ID '{vpcId}' does not exist");
        }

        var tagSpecs = ParseTagSpecifications(p, "security-group");
        if (name == "default")
        {
            throw new Ec2Error("InvalidGroup.Reserved", "The security group 'default' is reserved");
        }

        if (_state.FindGroupByName(vpcId, name) is not null)
        {
            throw new Ec2Error("InvalidGroup.Duplicate", $"The security group '{name}' already exists for VPC '{vpcId}'");
        }

        var group = new SecurityGroup { Id = Ids.New("sg"), Name = name, Description = description, VpcId = vpcId, OwnerId = _state.AccountId };
        group.Egress.Add(new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = "-1", CidrIpv4 = "0.0.0.0/0" });
        ApplyTags(group.Tags, tagSpecs.GetValueOrDefault("security-group"));
        _state.SecurityGroups[group.Id] = group;

        yield return E("return", true);
        yield return E("groupId", group.Id);
        yield return E("securityGroupArn", Arn("security-group", group.Id));
        if (group.Tags.Count > 0)
        {
            yield return TagSet(group.Tags.Items);
        }
    }

    /// <summary>Finds the target group of an ingress/egress/delete call by GroupId or (default VPC) GroupName.</summary>
    private SecurityGroup ResolveTargetGroup(QueryParameters p)
    {
        var id = p.Get("GroupId");
        var name = p.Get("GroupName");
        if (!string.IsNullOrEmpty(id))
        {
            if (!Ids.IsWellFormed(id, "sg"))
            {
                throw Ec2Error.Malformed("InvalidGroupId.Malformed", id, "sg-...");
            }

            return _state.SecurityGroups.GetValueOrDefault(id)
                ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{id}' does not exist");
        }

        if (!string.IsNullOrEmpty(name))
        {
            return _state.FindGroupByName(_state.DefaultVpc.Id, name)
                ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{name}' does not exist in default VPC '{_state.DefaultVpc.Id}'");
        }

        throw Ec2Error.MissingParameter("GroupId or GroupName");
    }

    private static string NormalizeProtocol(string raw) => raw.ToLowerInvariant() switch
    {
        "tcp" or "6" => "tcp",
        "udp" or "17" => "udp",
        "icmp" or "1" => "icmp",
        "icmpv6" or "58" => "icmpv6",
        "-1" or "all" => "-1",
        var n when int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var num) && num is >= 0 and <= 255 => n,
        _ => throw Ec2Error.InvalidParameterValue($"Invalid value '{raw}' for IP protocol. Unknown protocol."),
    };

    private static string ValidateCidr(string cidr, AddressFamily family)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 &&
            IPAddress.TryParse(cidr.AsSpan(0, slash), out var address) &&
            address.AddressFamily == family &&
            (family == AddressFamily.InterNetwork ? cidr.Count(c => c == '.') == 3 : true) &&
            int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) &&
            prefix >= 0 && prefix <= (family == AddressFamily.InterNetwork ? 32 : 128))
        {
            return cidr;
        }

        throw Ec2Error.InvalidParameterValue($"CIDR block {cidr} is malformed");
    }

    /// <summary>Expands IpPermissions.N (and the legacy top-level form) into one rule per peer.</summary>
    private List<SecurityGroupRule> ParsePermissions(QueryParameters p)
    {
        var permissions = p.Structs("IpPermissions");
        if (permissions.Count == 0 && p.Has("IpProtocol"))
        {
            var legacy = new List<KeyValuePair<string, string>>();
            foreach (var n in new[] { "IpProtocol", "FromPort", "ToPort" })
            {
                if (p.Get(n) is { } v)
                {
                    legacy.Add(new(n, v));
                }
            }

            if (p.Get("CidrIp") is { } cidr)
            {
                legacy.Add(new("IpRanges.1.CidrIp", cidr));
            }

            if (p.Get("SourceSecurityGroupName") is { } sourceName)
            {
                var g = _state.FindGroupByName(_state.DefaultVpc.Id, sourceName)
                    ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{sourceName}' does not exist in default VPC '{_state.DefaultVpc.Id}'");
                legacy.Add(new("Groups.1.GroupId", g.Id));
            }

            permissions = [new QueryParameters(legacy)];
        }

        if (permissions.Count == 0)
        {
            throw Ec2Error.MissingParameter("IpPermissions");
        }

        var rules = new List<SecurityGroupRule>();
        foreach (var perm in permissions)
        {
            var protocol = NormalizeProtocol(perm.Get("IpProtocol") ?? throw Ec2Error.MissingParameter("IpPermissions.N.IpProtocol"));
            int? from = perm.GetInt("FromPort");
            int? to = perm.GetInt("ToPort");
            if (protocol is "tcp" or "udp")
            {
                if (from is null || to is null)
                {
                    throw Ec2Error.InvalidParameterValue($"Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
                }

                if (from < 0 || to > 65535 || from > to)
                {
                    throw Ec2Error.InvalidParameterValue($"Invalid TCP/UDP port range: {from}-{to}");
                }
            }
            else if (protocol == "-1")
            {
                from = null;
                to = null;
            }

            var peers = new List<Func<SecurityGroupRule>>();
            foreach (var r in perm.Structs("IpRanges"))
            {
                var cidr = ValidateCidr(r.Get("CidrIp") ?? throw Ec2Error.MissingParameter("IpRanges.N.CidrIp"), AddressFamily.InterNetwork);
                var desc = r.Get("Description");
                peers.Add(() => new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = protocol, FromPort = from, ToPort = to, CidrIpv4 = cidr, Description = desc });
            }

            foreach (var r in perm.Structs("Ipv6Ranges"))
            {
                var cidr = ValidateCidr(r.Get("CidrIpv6") ?? throw Ec2Error.MissingParameter("Ipv6Ranges.N.CidrIpv6"), AddressFamily.InterNetworkV6);
                var desc = r.Get("Description");
                peers.Add(() => new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = protocol, FromPort = from, ToPort = to, CidrIpv6 = cidr, Description = desc });
            }

            foreach (var r in perm.Structs("Groups"))
            {
                var gid = r.Get("GroupId");
                if (gid is null && r.Get("GroupName") is { } gname)
                {
                    gid = _state.FindGroupByName(_state.DefaultVpc.Id, gname)?.Id
                        ?? throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{gname}' does not exist in default VPC '{_state.DefaultVpc.Id}'");
                }

                if (gid is null || !_state.SecurityGroups.ContainsKey(gid))
                {
                    throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{gid}' does not exist");
                }

                var desc = r.Get("Description");
                peers.Add(() => new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = protocol, FromPort = from, ToPort = to, ReferencedGroupId = gid, Description = desc });
            }

            foreach (var r in perm.Structs("PrefixListIds"))
            {
                var pl = r.Get("PrefixListId") ?? throw Ec2Error.MissingParameter("PrefixListIds.N.PrefixListId");
                var desc = r.Get("Description");
                peers.Add(() => new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = protocol, FromPort = from, ToPort = to, PrefixListId = pl, Description = desc });
            }

            if (peers.Count == 0)
            {
                throw Ec2Error.MissingParameter("IpPermissions.N.IpRanges, Ipv6Ranges, Groups or PrefixListIds");
            }

            rules.AddRange(peers.Select(make => make()));
        }

        return rules;
    }

    private static string DescribeRule(SecurityGroupRule r) =>
        $"peer: {r.Peer}, {(r.Protocol == "-1" ? "ALL" : r.Protocol.ToUpperInvariant())}, from port: {r.FromPort?.ToString(CultureInfo.InvariantCulture) ?? "None"}, to port: {r.ToPort?.ToString(CultureInfo.InvariantCulture) ?? "None"}, ALLOW";

    private IEnumerable<object?> AuthorizeSecurityGroupIngress(QueryParameters p)
    {
        var group = ResolveTargetGroup(p);
        var rules = ParsePermissions(p);
        var seen = new List<SecurityGroupRule>();
        foreach (var r in rules)
        {
            if (group.Ingress.Any(e => e.SamePermission(r)) || seen.Any(e => e.SamePermission(r)))
            {
                throw new Ec2Error("InvalidPermission.Duplicate", $"the specified rule \"{DescribeRule(r)}\" already exists");
            }

            seen.Add(r);
        }

        if (group.Ingress.Count + rules.Count > MaxRulesPerGroup)
        {
            throw Ec2Error.Of("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.");
        }

        group.Ingress.AddRange(rules);
        yield return E("return", true);
        yield return Items("securityGroupRuleSet", rules.Select(r => RuleXml(group, r, isEgress: false)));
    }

    private IEnumerable<object?> RevokeSecurityGroupIngress(QueryParameters p)
    {
        var group = ResolveTargetGroup(p);
        var ruleIds = p.List("SecurityGroupRuleId");
        var removed = new List<SecurityGroupRule>();
        if (ruleIds.Count > 0)
        {
            foreach (var id in ruleIds)
            {
                var r = group.Ingress.FirstOrDefault(x => x.RuleId == id)
                    ?? throw new Ec2Error("InvalidSecurityGroupRuleId.NotFound", $"The security group rule ID '{id}' does not exist");
                removed.Add(r);
            }
        }
        else
        {
            foreach (var wanted in ParsePermissions(p))
            {
                var r = group.Ingress.FirstOrDefault(x => x.SamePermission(wanted))
                    ?? throw new Ec2Error("InvalidPermission.NotFound", $"The specified rule does not exist in this security group.");
                removed.Add(r);
            }
        }

        group.Ingress.RemoveAll(removed.Contains);
        yield return E("return", true);
        yield return Items("revokedSecurityGroupRuleSet", removed.Select(r => Item(E("securityGroupRuleId", r.RuleId), E("groupId", group.Id), E("isEgress", false), E("ipProtocol", r.Protocol), Opt("fromPort", r.FromPort), Opt("toPort", r.ToPort), Opt("cidrIpv4", r.CidrIpv4), Opt("cidrIpv6", r.CidrIpv6))));
    }

    private XElement RuleXml(SecurityGroup group, SecurityGroupRule r, bool isEgress) => Item(
        E("securityGroupRuleId", r.RuleId),
        E("groupId", group.Id),
        E("groupOwnerId", group.OwnerId),
        E("isEgress", isEgress),
        E("ipProtocol", r.Protocol),
        E("fromPort", r.FromPort ?? -1),
        E("toPort", r.ToPort ?? -1),
        Opt("cidrIpv4", r.CidrIpv4),
        Opt("cidrIpv6", r.CidrIpv6),
        Opt("prefixListId", r.PrefixListId),
        r.ReferencedGroupId is null ? null : E("referencedGroupInfo", E("groupId", r.ReferencedGroupId), E("userId", group.OwnerId)),
        Opt("description", r.Description),
        E("securityGroupRuleArn", Arn("security-group-rule", r.RuleId)));

    /// <summary>EC2 reports rules grouped into IpPermission entries by (protocol, from port, to port).</summary>
    private static XElement PermissionsXml(string name, SecurityGroup group, List<SecurityGroupRule> rules) =>
        Items(name, rules.GroupBy(r => (r.Protocol, r.FromPort, r.ToPort)).Select(g => Item(
            E("ipProtocol", g.Key.Protocol),
            Opt("fromPort", g.Key.FromPort),
            Opt("toPort", g.Key.ToPort),
            Items("groups", g.Where(r => r.ReferencedGroupId is not null).Select(r => Item(E("userId", group.OwnerId), E("groupId", r.ReferencedGroupId), Opt("description", r.Description)))),
            Items("ipRanges", g.Where(r => r.CidrIpv4 is not null).Select(r => Item(E("cidrIp", r.CidrIpv4), Opt("description", r.Description)))),
            Items("ipv6Ranges", g.Where(r => r.CidrIpv6 is not null).Select(r => Item(E("cidrIpv6", r.CidrIpv6), Opt("description", r.Description)))),
            Items("prefixListIds", g.Where(r => r.PrefixListId is not null).Select(r => Item(E("prefixListId", r.PrefixListId), Opt("description", r.Description)))))));

    private static readonly string[] GroupFilterNames =
    [
        "group-name", "group-id", "description", "vpc-id", "owner-id",
        "ip-permission.cidr", "ip-permission.ipv6-cidr", "ip-permission.from-port", "ip-permission.to-port",
        "ip-permission.protocol", "ip-permission.group-id", "egress.ip-permission.cidr", "egress.ip-permission.protocol",
    ];

    private IEnumerable<object?> DescribeSecurityGroups(QueryParameters p)
    {
        var ids = p.List("GroupId");
        var names = p.List("GroupName");
        var filters = ParseFilters(p);
        foreach (var id in ids)
        {
            if (!Ids.IsWellFormed(id, "sg"))
            {
                throw Ec2Error.Malformed("InvalidGroupId.Malformed", id, "sg-...");
            }
        }

        var missingIds = ids.Where(id => !_state.SecurityGroups.ContainsKey(id)).Distinct().ToList();
        if (missingIds.Count > 0)
        {
            throw new Ec2Error("InvalidGroup.NotFound", missingIds.Count == 1
                ? $"The security group '{missingIds[0]}' does not exist"
                : $"The security groups '{string.Join(", ", missingIds)}' do not exist");
        }

        var missingNames = names.Where(n => _state.FindGroupByName(_state.DefaultVpc.Id, n) is null).Distinct().ToList();
        if (missingNames.Count > 0)
        {
            throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{string.Join(", ", missingNames)}' does not exist in default VPC '{_state.DefaultVpc.Id}'");
        }

        IEnumerable<SecurityGroup> groups = _state.SecurityGroups.Values;
        if (ids.Count > 0 || names.Count > 0)
        {
            groups = groups.Where(g => ids.Contains(g.Id) || (g.VpcId == _state.DefaultVpc.Id && names.Contains(g.Name)));
        }

        static IEnumerable<string?> Ports(IEnumerable<int?> ports) => ports.Select(x => x?.ToString(CultureInfo.InvariantCulture));

        var matched = ApplyFilters(groups, filters, GroupFilterNames, (n, g) => n switch
        {
            "group-name" => One(g.Name),
            "group-id" => One(g.Id),
            "description" => One(g.Description),
            "vpc-id" => One(g.VpcId),
            "owner-id" => One(g.OwnerId),
            "ip-permission.cidr" => g.Ingress.Select(r => r.CidrIpv4),
            "ip-permission.ipv6-cidr" => g.Ingress.Select(r => r.CidrIpv6),
            "ip-permission.from-port" => Ports(g.Ingress.Select(r => r.FromPort)),
            "ip-permission.to-port" => Ports(g.Ingress.Select(r => r.ToPort)),
            "ip-permission.protocol" => g.Ingress.Select(r => (string?)r.Protocol),
            "ip-permission.group-id" => g.Ingress.Select(r => r.ReferencedGroupId),
            "egress.ip-permission.cidr" => g.Egress.Select(r => r.CidrIpv4),
            "egress.ip-permission.protocol" => g.Egress.Select(r => (string?)r.Protocol),
            _ => [],
        }, g => g.Tags).ToList();
        var (page, next) = Paginate(matched, p, 5, 1000);

        yield return Items("securityGroupInfo", page.Select(g => Item(
            E("ownerId", g.OwnerId),
            E("groupId", g.Id),
            E("groupName", g.Name),
            E("groupDescription", g.Description),
            E("vpcId", g.VpcId),
            PermissionsXml("ipPermissions", g, g.Ingress),
            PermissionsXml("ipPermissionsEgress", g, g.Egress),
            g.Tags.Count > 0 ? TagSet(g.Tags.Items) : null,
            E("securityGroupArn", Arn("security-group", g.Id)))));
        if (next is not null)
        {
            yield return E("nextToken", next);
        }
    }

    private IEnumerable<object?> DeleteSecurityGroup(QueryParameters p, RequestContext ctx)
    {
        var group = ResolveTargetGroup(p);
        if (group.Name == "default")
        {
            throw new Ec2Error("CannotDelete", $"the specified group: \"{group.Id}\" name: \"default\" cannot be deleted by a user");
        }

        var inUse = _state.Instances.Values.Any(i => StateOf(i, ctx.Now) != InstanceStateName.Terminated && i.Groups.Any(g => g.Key == group.Id));
        var referenced = _state.SecurityGroups.Values.Any(other => other.Id != group.Id &&
            other.Ingress.Concat(other.Egress).Any(r => r.ReferencedGroupId == group.Id));
        if (inUse || referenced)
        {
            throw new Ec2Error("DependencyViolation", $"resource {group.Id} has a dependent object");
        }

        _state.SecurityGroups.Remove(group.Id);
        yield return E("return", true);
        yield return E("groupId", group.Id);
    }
}
