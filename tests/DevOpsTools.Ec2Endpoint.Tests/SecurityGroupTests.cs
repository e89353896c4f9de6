using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class SecurityGroupTests
{
    private static AuthorizeSecurityGroupIngressRequest Ssh(string groupId, string cidr, string? description = null) => new()
    {
        GroupId = groupId,
        IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = description }] }],
    };

    [Fact]
    public async Task CreateSecurityGroup_returns_a_real_looking_id_and_applies_tags()
    {
        await using var h = await Harness.StartAsync();
        var created = await h.Client.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = "app",
            Description = "app servers",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Tag("devopstools:environment", "staging")] }],
        });
        Assert.Matches("^sg-[0-9a-f]{17}$", created.GroupId);
        Assert.Equal("staging", Assert.Single(created.Tags).Value);

        var described = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [created.GroupId] });
        var group = Assert.Single(described.SecurityGroups);
        Assert.Equal("app", group.GroupName);
        Assert.Equal("app servers", group.Description);
        Assert.Equal("staging", Assert.Single(group.Tags).Value);
        var egress = Assert.Single(group.IpPermissionsEgress);
        Assert.Equal("-1", egress.IpProtocol);
        Assert.Equal("0.0.0.0/0", Assert.Single(egress.Ipv4Ranges).CidrIp);
        Assert.Empty(group.IpPermissions ?? []);
    }

    [Fact]
    public async Task A_second_group_with_the_same_name_fails_with_InvalidGroup_Duplicate()
    {
        await using var h = await Harness.StartAsync();
        await Fixtures.CreateGroupAsync(h.Client, "dup");
        await Ec2Assert.FailsWith("InvalidGroup.Duplicate", () => Fixtures.CreateGroupAsync(h.Client, "dup"));
    }

    [Fact]
    public async Task Tag_specifications_for_the_wrong_resource_type_are_rejected()
    {
        await using var h = await Harness.StartAsync();
        await Ec2Assert.FailsWith("InvalidParameterValue", () => h.Client.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = "x",
            Description = "x",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("a", "b")] }],
        }));
    }

    [Fact]
    public async Task Ingress_rules_are_stored_and_described_grouped_by_port_range()
    {
        await using var h = await Harness.StartAsync();
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        var authorized = await h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "203.0.113.10/32", "admin workstation"));
        Assert.True(authorized.Return);
        var rule = Assert.Single(authorized.SecurityGroupRules);
        Assert.Matches("^sgr-[0-9a-f]{17}$", rule.SecurityGroupRuleId);
        Assert.Equal("203.0.113.10/32", rule.CidrIpv4);
        Assert.False(rule.IsEgress);

        await h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "198.51.100.0/24"));
        await h.Client.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 443, ToPort = 443, Ipv6Ranges = [new Ipv6Range { CidrIpv6 = "2001:db8::/32" }] }],
        });

        var group = (await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] })).SecurityGroups.Single();
        Assert.Equal(2, group.IpPermissions.Count);
        var ssh = group.IpPermissions.Single(p => p.FromPort == 22);
        Assert.Equal("tcp", ssh.IpProtocol);
        Assert.Equal(22, ssh.ToPort);
        Assert.Equal(["198.51.100.0/24", "203.0.113.10/32"], ssh.Ipv4Ranges.Select(r => r.CidrIp).Order());
        Assert.Equal("admin workstation", ssh.Ipv4Ranges.Single(r => r.CidrIp == "203.0.113.10/32").Description);
        Assert.Equal("2001:db8::/32", group.IpPermissions.Single(p => p.FromPort == 443).Ipv6Ranges.Single().CidrIpv6);
    }

    [Fact]
    public async Task Authorizing_an_existing_rule_fails_with_InvalidPermission_Duplicate()
    {
        await using var h = await Harness.StartAsync();
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        await h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "203.0.113.10/32"));
        var ex = await Ec2Assert.FailsWith("InvalidPermission.Duplicate", () => h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "203.0.113.10/32", "again")));
        Assert.Contains("203.0.113.10/32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_rules_are_rejected()
    {
        await using var h = await Harness.StartAsync();
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        await Ec2Assert.FailsWith("InvalidParameterValue", () => h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "10.0.0/8")));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => h.Client.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 30, ToPort = 20, Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/8" }] }],
        }));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => h.Client.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "carrier-pigeon", FromPort = 1, ToPort = 1, Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/8" }] }],
        }));
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.AuthorizeSecurityGroupIngressAsync(Ssh("sg-0123456789abcdef0", "10.0.0.0/8")));
    }

    [Fact]
    public async Task Revoking_a_rule_removes_it()
    {
        await using var h = await Harness.StartAsync();
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        await h.Client.AuthorizeSecurityGroupIngressAsync(Ssh(groupId, "203.0.113.10/32"));
        await h.Client.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "203.0.113.10/32" }] }],
        });
        var group = (await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] })).SecurityGroups.Single();
        Assert.Empty(group.IpPermissions ?? []);
    }

    [Fact]
    public async Task DescribeSecurityGroups_filters_by_group_name_and_tags()
    {
        await using var h = await Harness.StartAsync();
        await h.Client.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = "devopstools-web",
            Description = "web",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Tag("Role", "web")] }],
        });
        await h.Client.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            GroupName = "devopstools-db",
            Description = "db",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Tag("Role", "db")] }],
        });

        var byName = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["devopstools-web"])] });
        Assert.Equal("devopstools-web", Assert.Single(byName.SecurityGroups).GroupName);

        var byWildcard = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["devopstools-*"])] });
        Assert.Equal(2, byWildcard.SecurityGroups.Count);

        var byTag = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("tag:Role", ["db"])] });
        Assert.Equal("devopstools-db", Assert.Single(byTag.SecurityGroups).GroupName);

        var byTagKey = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("tag-key", ["Role"])] });
        Assert.Equal(2, byTagKey.SecurityGroups.Count);

        var none = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["nothing-*"])] });
        Assert.Empty(none.SecurityGroups ?? []);

        var byGroupName = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupNames = ["devopstools-db"] });
        Assert.Single(byGroupName.SecurityGroups);
    }

    [Fact]
    public async Task Unknown_groups_fail_with_InvalidGroup_NotFound()
    {
        await using var h = await Harness.StartAsync();
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = ["sg-0123456789abcdef0"] }));
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupNames = ["nope"] }));
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = "sg-0123456789abcdef0" }));
        await Ec2Assert.FailsWith("InvalidGroupId.Malformed", () => h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = ["web"] }));
    }

    [Fact]
    public async Task Deleting_a_group_used_by_a_live_instance_fails_with_DependencyViolation_until_it_is_terminated()
    {
        await using var h = await Harness.StartAsync();
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        var instance = await Fixtures.LaunchAsync(h.Client, r => r.SecurityGroupIds = [groupId]);

        await Ec2Assert.FailsWith("DependencyViolation", () => h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = groupId }));
        await h.Client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instance.InstanceId] });

        // Still shutting down: the network interface still holds the group.
        await Ec2Assert.FailsWith("DependencyViolation", () => h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = groupId }));

        h.Clock.Advance(TimeSpan.FromSeconds(2));
        var deleted = await h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = groupId });
        Assert.True(deleted.Return);
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] }));
    }

    [Fact]
    public async Task The_default_group_exists_and_cannot_be_deleted()
    {
        await using var h = await Harness.StartAsync();
        var groups = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupNames = ["default"] });
        var group = Assert.Single(groups.SecurityGroups);
        await Ec2Assert.FailsWith("CannotDelete", () => h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = group.GroupId }));
    }

    [Fact]
    public async Task Groups_can_be_deleted_by_name()
    {
        await using var h = await Harness.StartAsync();
        await Fixtures.CreateGroupAsync(h.Client, "bye");
        await h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupName = "bye" });
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupName = "bye" }));
    }
}
