using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class InstanceTests
{
    private static async Task<(string KeyName, string GroupId)> PrepareAsync(AmazonEC2Client client)
    {
        var key = await Fixtures.ImportKeyAsync(client);
        var group = await Fixtures.CreateGroupAsync(client);
        return (key, group);
    }

    private static RunInstancesRequest FullRequest(string imageId, string key, string group) => new()
    {
        ImageId = imageId,
        InstanceType = InstanceType.T3Small,
        MinCount = 1,
        MaxCount = 1,
        KeyName = key,
        SecurityGroupIds = [group],
        UserData = Convert.ToBase64String(Encoding.UTF8.GetBytes("#cloud-config\npackages: [nginx]\n")),
        MetadataOptions = new InstanceMetadataOptionsRequest { HttpTokens = HttpTokensState.Required, HttpEndpoint = InstanceMetadataEndpointState.Enabled },
        BlockDeviceMappings =
        [
            new BlockDeviceMapping { DeviceName = "/dev/xvda", Ebs = new EbsBlockDevice { VolumeSize = 16, VolumeType = VolumeType.Gp3, Encrypted = true, DeleteOnTermination = true } },
        ],
        TagSpecifications =
        [
            new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("Name", "web-1"), new Tag("devopstools:environment", "staging")] },
            new TagSpecification { ResourceType = ResourceType.Volume, Tags = [new Tag("Name", "web-1-root")] },
        ],
    };

    [Fact]
    public async Task RunInstances_returns_a_pending_reservation_with_real_looking_ids()
    {
        await using var h = await Harness.StartAsync();
        var (key, group) = await PrepareAsync(h.Client);
        var image = await Fixtures.NewestDebianAsync(h.Client);
        var response = await h.Client.RunInstancesAsync(FullRequest(image, key, group));

        Assert.Matches("^r-[0-9a-f]{17}$", response.Reservation.ReservationId);
        Assert.Equal("111122223333", response.Reservation.OwnerId);
        var instance = Assert.Single(response.Reservation.Instances);
        Assert.Matches("^i-[0-9a-f]{17}$", instance.InstanceId);
        Assert.Equal(InstanceStateName.Pending, instance.State.Name);
        Assert.Equal(0, instance.State.Code);
        Assert.Equal(image, instance.ImageId);
        Assert.Equal(InstanceType.T3Small, instance.InstanceType);
        Assert.Equal(key, instance.KeyName);
        Assert.Equal(group, Assert.Single(instance.SecurityGroups).GroupId);
        Assert.Equal("web-1", instance.Tags.Single(t => t.Key == "Name").Value);
        Assert.Equal(HttpTokensState.Required, instance.MetadataOptions.HttpTokens);
        Assert.Equal(InstanceMetadataOptionsState.Pending, instance.MetadataOptions.State);
        Assert.StartsWith("172.31.", instance.PrivateIpAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DescribeInstances_shows_the_reservation_and_every_field_the_module_reads()
    {
        await using var h = await Harness.StartAsync();
        var (key, group) = await PrepareAsync(h.Client);
        var image = await Fixtures.NewestDebianAsync(h.Client);
        var launched = (await h.Client.RunInstancesAsync(FullRequest(image, key, group))).Reservation;
        h.Clock.Advance(TimeSpan.FromSeconds(2));

        var response = await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [launched.Instances[0].InstanceId] });
        var reservation = Assert.Single(response.Reservations);
        Assert.Equal(launched.ReservationId, reservation.ReservationId);
        var i = Assert.Single(reservation.Instances);
        Assert.Equal(InstanceStateName.Running, i.State.Name);
        Assert.Equal(16, i.State.Code);
        Assert.Equal(image, i.ImageId);
        Assert.Equal(key, i.KeyName);
        Assert.Equal(InstanceType.T3Small, i.InstanceType);
        Assert.StartsWith("127.", i.PublicIpAddress, StringComparison.Ordinal);
        Assert.StartsWith("172.31.", i.PrivateIpAddress, StringComparison.Ordinal);
        Assert.Equal(new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc), i.LaunchTime?.ToUniversalTime());
        Assert.Equal("staging", i.Tags.Single(t => t.Key == "devopstools:environment").Value);
        Assert.Equal(HttpTokensState.Required, i.MetadataOptions.HttpTokens);
        Assert.Equal(InstanceMetadataOptionsState.Applied, i.MetadataOptions.State);
        Assert.Equal(ArchitectureValues.X86_64, i.Architecture);
        var root = Assert.Single(i.BlockDeviceMappings);
        Assert.Equal("/dev/xvda", root.DeviceName);
        Assert.Equal("/dev/xvda", i.RootDeviceName);
        Assert.Matches("^vol-[0-9a-f]{17}$", root.Ebs.VolumeId);
        Assert.True(root.Ebs.DeleteOnTermination);
        Assert.Equal(i.PublicIpAddress, Assert.Single(i.NetworkInterfaces).Association.PublicIp);
        Assert.NotNull(i.VpcId);
        Assert.NotNull(i.SubnetId);
    }

    [Fact]
    public async Task Volumes_get_the_requested_encryption_size_and_tags()
    {
        await using var h = await Harness.StartAsync();
        var (key, group) = await PrepareAsync(h.Client);
        var instance = (await h.Client.RunInstancesAsync(FullRequest(await Fixtures.NewestDebianAsync(h.Client), key, group))).Reservation.Instances[0];
        var volumes = await h.Client.DescribeVolumesAsync(new DescribeVolumesRequest { Filters = [new Filter("attachment.instance-id", [instance.InstanceId])] });
        var volume = Assert.Single(volumes.Volumes);
        Assert.True(volume.Encrypted);
        Assert.Equal(16, volume.Size);
        Assert.Equal(VolumeType.Gp3, volume.VolumeType);
        Assert.Equal("web-1-root", Assert.Single(volume.Tags).Value);
    }

    [Fact]
    public async Task The_request_log_shows_exactly_what_the_sdk_sent()
    {
        await using var h = await Harness.StartAsync();
        var (key, group) = await PrepareAsync(h.Client);
        await h.Client.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "203.0.113.10/32" }] }],
        });
        h.Endpoint.ClearRequests();
        await h.Client.RunInstancesAsync(FullRequest(await Fixtures.NewestDebianAsync(h.Client), key, group));

        var run = h.Endpoint.Requests.Single(r => r.Action == "RunInstances");
        Assert.Equal("required", run.Get("MetadataOptions.HttpTokens"));
        Assert.Equal("true", run.Get("BlockDeviceMapping.1.Ebs.Encrypted"));
        Assert.Equal("/dev/xvda", run.Get("BlockDeviceMapping.1.DeviceName"));
        Assert.Equal(group, run.Get("SecurityGroupId.1"));
        Assert.Equal("instance", run.Get("TagSpecification.1.ResourceType"));
        Assert.Equal("Name", run.Get("TagSpecification.1.Tag.1.Key"));
        Assert.Equal("web-1", run.Get("TagSpecification.1.Tag.1.Value"));
        Assert.Equal("#cloud-config\npackages: [nginx]\n", Encoding.UTF8.GetString(Convert.FromBase64String(run.Get("UserData")!)));
        Assert.Equal(200, run.StatusCode);
        Assert.Null(run.ErrorCode);

        var (status, json) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/requests"));
        Assert.Equal(200, status);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var runJson = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("action").GetString() == "RunInstances");
        Assert.Equal("required", runJson.GetProperty("parameters").GetProperty("MetadataOptions.HttpTokens").GetString());
        Assert.DoesNotContain("0.0.0.0/0", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_moves_pending_running_and_status_checks_initializing_ok_with_time()
    {
        await using var h = await Harness.StartAsync();
        var instance = await Fixtures.LaunchAsync(h.Client);
        var id = instance.InstanceId;

        Assert.Equal(InstanceStateName.Pending, (await Fixtures.DescribeOneAsync(h.Client, id)).State.Name);
        var none = await h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [id] });
        Assert.Empty(none.InstanceStatuses ?? []);
        var pendingStatus = await h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [id], IncludeAllInstances = true });
        Assert.Equal(SummaryStatus.NotApplicable, Assert.Single(pendingStatus.InstanceStatuses).Status.Status);

        h.Clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(InstanceStateName.Pending, (await Fixtures.DescribeOneAsync(h.Client, id)).State.Name);
        h.Clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(InstanceStateName.Running, (await Fixtures.DescribeOneAsync(h.Client, id)).State.Name);

        var initializing = Assert.Single((await h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [id] })).InstanceStatuses);
        Assert.Equal(SummaryStatus.Initializing, initializing.Status.Status);
        Assert.Equal(SummaryStatus.Initializing, initializing.SystemStatus.Status);
        Assert.Equal(InstanceStateName.Running, initializing.InstanceState.Name);

        h.Clock.Advance(TimeSpan.FromSeconds(3));
        var ok = Assert.Single((await h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [id] })).InstanceStatuses);
        Assert.Equal(SummaryStatus.Ok, ok.Status.Status);
        Assert.Equal(SummaryStatus.Ok, ok.SystemStatus.Status);
        Assert.Equal(StatusType.Passed, Assert.Single(ok.Status.Details).Status);

        var okFilter = await h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { Filters = [new Filter("instance-status.status", ["ok"])] });
        Assert.Single(okFilter.InstanceStatuses);
    }

    [Fact]
    public async Task TerminateInstances_goes_through_shutting_down_and_terminated_instances_stay_visible_for_a_while()
    {
        await using var h = await Harness.StartAsync(o => o.TerminatedVisibleDuration = TimeSpan.FromMinutes(60));
        var id = (await Fixtures.LaunchAsync(h.Client)).InstanceId;
        h.Clock.Advance(TimeSpan.FromSeconds(3));

        var terminate = await h.Client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [id] });
        var change = Assert.Single(terminate.TerminatingInstances);
        Assert.Equal(id, change.InstanceId);
        Assert.Equal(InstanceStateName.Running, change.PreviousState.Name);
        Assert.Equal(InstanceStateName.ShuttingDown, change.CurrentState.Name);
        Assert.Equal(32, change.CurrentState.Code);

        Assert.Equal(InstanceStateName.ShuttingDown, (await Fixtures.DescribeOneAsync(h.Client, id)).State.Name);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var terminated = await Fixtures.DescribeOneAsync(h.Client, id);
        Assert.Equal(InstanceStateName.Terminated, terminated.State.Name);
        Assert.Equal(48, terminated.State.Code);
        Assert.Null(terminated.PublicIpAddress);
        Assert.Equal("Client.UserInitiatedShutdown", terminated.StateReason.Code);
        Assert.Contains("User initiated", terminated.StateTransitionReason, StringComparison.Ordinal);

        // Terminating again is accepted and reports terminated -> terminated.
        var again = Assert.Single((await h.Client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [id] })).TerminatingInstances);
        Assert.Equal(InstanceStateName.Terminated, again.PreviousState.Name);

        var byState = await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = [new Filter("instance-state-name", ["terminated"])] });
        Assert.Single(byState.Reservations);

        h.Clock.Advance(TimeSpan.FromMinutes(61));
        await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [id] }));
        Assert.Empty((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);
    }

    [Fact]
    public async Task Unknown_and_malformed_instance_ids_fail_like_EC2()
    {
        await using var h = await Harness.StartAsync();
        var id = (await Fixtures.LaunchAsync(h.Client)).InstanceId;
        var ex = await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [id, "i-0123456789abcdef0"] }));
        Assert.Contains("i-0123456789abcdef0", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(id, ex.Message, StringComparison.Ordinal);
        await Ec2Assert.FailsWith("InvalidInstanceID.Malformed", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = ["web-1"] }));
        await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = ["i-0123456789abcdef0"] }));
        await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = ["i-0123456789abcdef0"] }));
        await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = "i-0123456789abcdef0" }));
    }

    [Fact]
    public async Task DescribeInstances_filters_by_tags_tag_keys_state_and_id()
    {
        await using var h = await Harness.StartAsync();
        var web = await Fixtures.LaunchAsync(h.Client, r => r.TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("Role", "web"), new Tag("devopstools:managed", "true")] }]);
        var db = await Fixtures.LaunchAsync(h.Client, r => r.TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("Role", "db")] }]);
        var bare = await Fixtures.LaunchAsync(h.Client);

        async Task<string[]> Ids(params Filter[] filters) =>
            [.. ((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = [.. filters] })).Reservations ?? []).SelectMany(r => r.Instances).Select(i => i.InstanceId).Order()];

        Assert.Equal([web.InstanceId], await Ids(new Filter("tag:Role", ["web"])));
        Assert.Equal(new[] { db.InstanceId, web.InstanceId }.Order(), await Ids(new Filter("tag:Role", ["web", "db"])));
        Assert.Equal(new[] { db.InstanceId, web.InstanceId }.Order(), await Ids(new Filter("tag:Role", ["*"])));
        Assert.Equal([web.InstanceId], await Ids(new Filter("tag-key", ["devopstools:managed"])));
        Assert.Equal([bare.InstanceId], await Ids(new Filter("instance-id", [bare.InstanceId])));
        Assert.Equal(3, (await Ids(new Filter("instance-state-name", ["pending", "running"]))).Length);
        Assert.Empty(await Ids(new Filter("instance-state-name", ["running"])));
        Assert.Equal([web.InstanceId], await Ids(new Filter("tag:Role", ["web", "db"]), new Filter("tag-key", ["devopstools:managed"])));
        Assert.Empty(await Ids(new Filter("tag:Role", ["cache"])));
    }

    [Fact]
    public async Task MinCount_and_MaxCount_launch_several_instances_in_one_reservation()
    {
        await using var h = await Harness.StartAsync();
        var image = await Fixtures.NewestDebianAsync(h.Client);
        var response = await h.Client.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 2, MaxCount = 3 });
        Assert.Equal(3, response.Reservation.Instances.Count);
        Assert.Equal([0, 1, 2], response.Reservation.Instances.Select(i => i.AmiLaunchIndex ?? -1));
        Assert.Equal(3, response.Reservation.Instances.Select(i => i.PrivateIpAddress).Distinct().Count());
        var described = await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest());
        Assert.Equal(3, Assert.Single(described.Reservations).Instances.Count);
    }

    [Fact]
    public async Task Capacity_limits_fail_with_InstanceLimitExceeded()
    {
        await using var h = await Harness.StartAsync(o => o.MaxInstances = 2);
        var image = await Fixtures.NewestDebianAsync(h.Client);
        var partial = await h.Client.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 5 });
        Assert.Equal(2, partial.Reservation.Instances.Count);
        await Ec2Assert.FailsWith("InstanceLimitExceeded", () => h.Client.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1 }));
    }

    [Fact]
    public async Task RunInstances_validates_image_key_group_and_parameters()
    {
        await using var h = await Harness.StartAsync();
        var image = await Fixtures.NewestDebianAsync(h.Client);
        var armImage = await Fixtures.NewestDebianAsync(h.Client, "arm64");

        Task Run(Action<RunInstancesRequest> change)
        {
            var r = new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1 };
            change(r);
            return h.Client.RunInstancesAsync(r);
        }

        await Ec2Assert.FailsWith("InvalidAMIID.NotFound", () => Run(r => r.ImageId = "ami-0123456789abcdef0"));
        await Ec2Assert.FailsWith("InvalidAMIID.Malformed", () => Run(r => r.ImageId = "debian-12"));
        await Ec2Assert.FailsWith("InvalidKeyPair.NotFound", () => Run(r => r.KeyName = "missing"));
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => Run(r => r.SecurityGroupIds = ["sg-0123456789abcdef0"]));
        await Ec2Assert.FailsWith("InvalidGroupId.Malformed", () => Run(r => r.SecurityGroupIds = ["web"]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => r.InstanceType = InstanceType.T4gMicro));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => { r.ImageId = armImage; }));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => r.UserData = "#!/bin/sh not base64"));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => r.MetadataOptions = new InstanceMetadataOptionsRequest { HttpTokens = new HttpTokensState("sometimes") }));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => { r.MinCount = 3; r.MaxCount = 1; }));
        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => Run(r => r.BlockDeviceMappings = [new BlockDeviceMapping { DeviceName = "/dev/xvda", Ebs = new EbsBlockDevice { VolumeSize = 4 } }]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => r.TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Tag("a", "b")] }]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => Run(r => r.TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("aws:reserved", "b")] }]));
        await Ec2Assert.FailsWith("InvalidSubnetID.NotFound", () => Run(r => r.SubnetId = "subnet-0123456789abcdef0"));

        // Nothing was launched by the failed calls; a matching arm64 pair works.
        Assert.Empty((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);
        await Run(r => { r.ImageId = armImage; r.InstanceType = InstanceType.T4gMicro; });
    }

    [Fact]
    public async Task A_repeated_ClientToken_returns_the_original_reservation()
    {
        await using var h = await Harness.StartAsync();
        var request = new RunInstancesRequest { ImageId = await Fixtures.NewestDebianAsync(h.Client), InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1, ClientToken = "once-only" };
        var first = await h.Client.RunInstancesAsync(request);
        var second = await h.Client.RunInstancesAsync(request);
        Assert.Equal(first.Reservation.ReservationId, second.Reservation.ReservationId);
        Assert.Equal(first.Reservation.Instances[0].InstanceId, second.Reservation.Instances[0].InstanceId);
        Assert.Single((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations);

        request.InstanceType = InstanceType.T3Large;
        await Ec2Assert.FailsWith("IdempotentParameterMismatch", () => h.Client.RunInstancesAsync(request));
    }

    [Fact]
    public async Task CreateTags_adds_tags_to_instances_and_rejects_unknown_resources()
    {
        await using var h = await Harness.StartAsync();
        var id = (await Fixtures.LaunchAsync(h.Client)).InstanceId;
        var groupId = await Fixtures.CreateGroupAsync(h.Client);
        await h.Client.CreateTagsAsync(new CreateTagsRequest { Resources = [id, groupId], Tags = [new Tag("Owner", "ops"), new Tag("Name", "renamed")] });
        await h.Client.CreateTagsAsync(new CreateTagsRequest { Resources = [id], Tags = [new Tag("Owner", "platform")] });

        var instance = await Fixtures.DescribeOneAsync(h.Client, id);
        Assert.Equal("platform", instance.Tags.Single(t => t.Key == "Owner").Value);
        Assert.Equal("renamed", instance.Tags.Single(t => t.Key == "Name").Value);
        var group = (await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] })).SecurityGroups.Single();
        Assert.Equal(2, group.Tags.Count);

        await Ec2Assert.FailsWith("InvalidInstanceID.NotFound", () => h.Client.CreateTagsAsync(new CreateTagsRequest { Resources = ["i-0123456789abcdef0"], Tags = [new Tag("a", "b")] }));
        await Ec2Assert.FailsWith("InvalidGroup.NotFound", () => h.Client.CreateTagsAsync(new CreateTagsRequest { Resources = ["sg-0123456789abcdef0"], Tags = [new Tag("a", "b")] }));
        await Ec2Assert.FailsWith("InvalidID", () => h.Client.CreateTagsAsync(new CreateTagsRequest { Resources = ["web-1"], Tags = [new Tag("a", "b")] }));

        await h.Client.DeleteTagsAsync(new DeleteTagsRequest { Resources = [id], Tags = [new Tag { Key = "Owner" }] });
        Assert.DoesNotContain((await Fixtures.DescribeOneAsync(h.Client, id)).Tags, t => t.Key == "Owner");
    }

    [Fact]
    public async Task GetConsoleOutput_is_empty_until_boot_then_shows_the_cloud_init_host_key_block()
    {
        await using var h = await Harness.StartAsync();
        var id = (await Fixtures.LaunchAsync(h.Client)).InstanceId;

        var early = await h.Client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = id });
        Assert.Equal(id, early.InstanceId);
        Assert.True(string.IsNullOrEmpty(early.Output));

        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var response = await h.Client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = id });
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(response.Output));
        var lines = text.Split("\r\n");
        var begin = Array.FindIndex(lines, l => l.EndsWith("-----BEGIN SSH HOST KEY KEYS-----", StringComparison.Ordinal));
        var end = Array.FindIndex(lines, l => l.EndsWith("-----END SSH HOST KEY KEYS-----", StringComparison.Ordinal));
        Assert.True(begin >= 0 && end > begin + 1, text);
        var keys = lines[(begin + 1)..end].Select(l => l[(l.IndexOf("ec2: ", StringComparison.Ordinal) + 5)..]).ToList();
        Assert.Contains(keys, k => k.StartsWith("ssh-ed25519 AAAA", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("ecdsa-sha2-nistp256 AAAA", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("ssh-rsa AAAA", StringComparison.Ordinal));
        Assert.Contains("-----BEGIN SSH HOST KEY FINGERPRINTS-----", text, StringComparison.Ordinal);

        // The same keys on every call: they are the instance's host keys.
        var again = await h.Client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = id, Latest = true });
        Assert.Equal(response.Output, again.Output);
    }

    [Fact]
    public async Task Pagination_over_instances_visits_each_once()
    {
        await using var h = await Harness.StartAsync();
        var image = await Fixtures.NewestDebianAsync(h.Client);
        await h.Client.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 7, MaxCount = 7 });
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { MaxResults = 5, NextToken = token });
            seen.AddRange(page.Reservations.SelectMany(r => r.Instances).Select(i => i.InstanceId));
            token = page.NextToken;
        }
        while (token is not null);
        Assert.Equal(7, seen.Distinct().Count());
        Assert.Equal(7, seen.Count);
    }
}
