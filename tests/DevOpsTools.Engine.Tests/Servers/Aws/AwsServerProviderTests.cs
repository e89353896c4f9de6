using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

public sealed class AwsServerProviderTests : IAsyncLifetime
{
    private AwsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AwsTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Prepare_imports_the_key_and_creates_a_group_with_ssh_only_from_the_declared_range_once()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();

        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var import = Assert.Single(_host.Requests("ImportKeyPair"));
        Assert.Equal("devopstools-test", import.Get("KeyName"));
        Assert.Equal(environment.PublicKey.Trim(), Encoding.ASCII.GetString(Convert.FromBase64String(import.Get("PublicKeyMaterial")!)));
        var create = Assert.Single(_host.Requests("CreateSecurityGroup"));
        Assert.Equal("devopstools-test", create.Get("GroupName"));
        var authorize = Assert.Single(_host.Requests("AuthorizeSecurityGroupIngress"));
        Assert.Equal("tcp", authorize.Get("IpPermissions.1.IpProtocol"));
        Assert.Equal("22", authorize.Get("IpPermissions.1.FromPort"));
        Assert.Equal("22", authorize.Get("IpPermissions.1.ToPort"));
        Assert.Equal(AwsTestHost.Cidr, authorize.Get("IpPermissions.1.IpRanges.1.CidrIp"));
        Assert.Null(authorize.Get("IpPermissions.2.FromPort"));
        Assert.DoesNotContain("0.0.0.0/0", _host.AllParameterValues);
        Assert.Empty(_host.Output.Warnings);

        var group = (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["devopstools-test"])] })).SecurityGroups.Single();
        var rule = Assert.Single(group.IpPermissions);
        Assert.Equal(AwsTestHost.Cidr, Assert.Single(rule.Ipv4Ranges).CidrIp);
        Assert.Contains(group.Tags, t => t.Key == ResourceLabels.Environment && t.Value == "test");
    }

    [Fact]
    public async Task Create_requires_imdsv2_encrypts_the_root_volume_tags_instance_and_volume_and_waits_for_status_checks()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var request = AwsTestHost.Request("web-1") with { UserData = "#cloud-config\npackages: [nginx]\n" };
        var server = await provider.CreateAsync(request, environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal("web-1", server.Name);
        Assert.Equal("test", server.Environment);
        Assert.Equal("Aws", server.Provider);
        Assert.Equal("Running", server.State);
        Assert.Matches("^i-[0-9a-f]{17}$", server.Id);
        Assert.StartsWith("127.100.", server.Address, StringComparison.Ordinal);
        Assert.Equal(environment.PrivateKeyPath, server.IdentityFile);
        var connection = Assert.IsType<AwsSettings>(server.Connection);
        Assert.Equal(_host.Endpoint.BaseUri.ToString(), connection.EndpointUrl);
        Assert.Empty(connection.AllowSshFrom);

        var run = Assert.Single(_host.Requests("RunInstances"));
        Assert.Equal("required", run.Get("MetadataOptions.HttpTokens"));
        Assert.Equal("enabled", run.Get("MetadataOptions.HttpEndpoint"));
        Assert.Equal("true", run.Get("BlockDeviceMapping.1.Ebs.Encrypted"));
        Assert.Equal("gp3", run.Get("BlockDeviceMapping.1.Ebs.VolumeType"));
        // Complete for any EC2-compatible endpoint: the image's own root device name and size.
        Assert.Equal("/dev/xvda", run.Get("BlockDeviceMapping.1.DeviceName"));
        Assert.Equal("8", run.Get("BlockDeviceMapping.1.Ebs.VolumeSize"));
        Assert.Equal("t3.small", run.Get("InstanceType"));
        Assert.Equal("devopstools-test", run.Get("KeyName"));
        Assert.False(string.IsNullOrEmpty(run.Get("ClientToken")));
        Assert.Equal(request.UserData, Encoding.UTF8.GetString(Convert.FromBase64String(run.Get("UserData")!)));
        foreach (var (index, type) in new[] { (1, "instance"), (2, "volume") })
        {
            Assert.Equal(type, run.Get($"TagSpecification.{index}.ResourceType"));
            var tags = TagsOf(run, $"TagSpecification.{index}.Tag");
            Assert.Equal("true", tags[ResourceLabels.Managed]);
            Assert.Equal("test", tags[ResourceLabels.Environment]);
            Assert.Equal("web-1", tags[ResourceLabels.Name]);
            Assert.Equal("web", tags[ResourceLabels.Role]);
            Assert.Equal("ops", tags["team"]);
            Assert.Equal("test-web-1", tags["Name"]);
        }

        Assert.NotEmpty(_host.Requests("DescribeInstanceStatus"));
        var status = await _host.Client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [server.Id!] });
        Assert.Equal("ok", status.InstanceStatuses.Single().Status.Status.Value);

        var volume = (await _host.Client.DescribeVolumesAsync(new DescribeVolumesRequest())).Volumes.Single();
        Assert.True(volume.Encrypted);
        Assert.Equal(VolumeType.Gp3, volume.VolumeType);
        Assert.Contains(volume.Tags, t => t.Key == ResourceLabels.Environment && t.Value == "test");

        var listed = Assert.Single(await provider.ListAsync("test", EngineContext.Silent()));
        Assert.Equal(server.Id, listed.Id);
        Assert.Equal("web", listed.Role);
        Assert.Empty(await provider.ListAsync("prod", EngineContext.Silent()));
    }

    [Fact]
    public async Task The_debian_12_alias_resolves_to_the_newest_amd64_build_of_debian()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));
        await provider.CreateAsync(AwsTestHost.Request("web-2"), environment, new EngineContext(_host.Output, CancellationToken.None));
        var describe = _host.Requests("DescribeImages").Single(); // resolved once per provider

        var images = (await _host.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = [AwsImageResolver.DebianOwner] })).Images;
        var newest = images.Single(i => i.Name == "debian-12-amd64-20250428-2096");
        Assert.All(_host.Requests("RunInstances"), r => Assert.Equal(newest.ImageId, r.Get("ImageId")));
        Assert.Equal(AwsImageResolver.DebianOwner, describe.Get("Owner.1"));
        Assert.Contains(describe.Parameters, p => p.Value == "debian-12-amd64-*");
    }

    [Fact]
    public async Task An_ami_id_is_used_as_given()
    {
        var images = (await _host.Client.DescribeImagesAsync(new DescribeImagesRequest { Owners = [AwsImageResolver.DebianOwner] })).Images;
        var old = images.Single(i => i.Name == "debian-12-amd64-20250112-1991");
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var server = await provider.CreateAsync(AwsTestHost.Request("web-1", image: old.ImageId), environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal(old.ImageId, server.Image);
    }

    [Theory]
    [InlineData("debian-13", ErrorKind.InvalidArgument)]
    [InlineData("ami-0123456789abcdef0", ErrorKind.ObjectNotFound)]
    [InlineData("ami-nothex", ErrorKind.InvalidArgument)]
    public async Task An_unknown_image_is_an_error_before_anything_is_launched(string image, ErrorKind kind)
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.CreateAsync(AwsTestHost.Request("web-1", image: image), environment, new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal(ErrorIds.UnknownImage, error.ErrorId);
        Assert.Equal(kind, error.Kind);
        Assert.Contains(image, error.Message, StringComparison.Ordinal);
        Assert.Contains("debian-12", error.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Requests("RunInstances"));
    }

    [Theory]
    [InlineData("small", "t3.small")]
    [InlineData("medium", "t3.medium")]
    [InlineData("LARGE", "t3.large")]
    [InlineData("m7i.large", "m7i.large")]
    public async Task Sizes_map_to_instance_types(string size, string instanceType)
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        await provider.CreateAsync(AwsTestHost.Request("web-1", size: size), environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal(instanceType, _host.Requests("RunInstances").Single().Get("InstanceType"));
    }

    [Theory]
    [InlineData("huge")]
    [InlineData("t3")]
    [InlineData("m7i.large; rm")]
    public void Unknown_sizes_are_refused(string size)
    {
        using var provider = _host.Provider();
        Assert.False(provider.SupportsSize(size));
        var error = Assert.Throws<DevOpsToolsException>(() => AwsSizes.ToInstanceType(size));
        Assert.Equal(ErrorIds.UnknownSize, error.ErrorId);
    }

    [Fact]
    public async Task An_instance_type_that_does_not_fit_the_image_fails_and_leaves_no_instance()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => provider.CreateAsync(AwsTestHost.Request("web-1", size: "t4g.small"), environment, new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal("InvalidParameterValue", error.ErrorCode);
        Assert.Equal(ErrorKind.InvalidArgument, ErrorClassifier.Classify(error).Kind);
        Assert.Empty(await _host.InstancesAsync());
    }

    [Fact]
    public async Task Throttled_run_instances_is_retried_with_the_same_client_token_and_launches_once()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        _host.Endpoint.InjectFault("RunInstances", "RequestLimitExceeded", 2);
        _host.Endpoint.InjectFault("DescribeInstances", "RequestLimitExceeded", 2);

        var server = await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal("Running", server.State);
        var runs = _host.Requests("RunInstances");
        Assert.Equal(3, runs.Count);
        Assert.Equal(["RequestLimitExceeded", "RequestLimitExceeded", null], runs.Select(r => r.ErrorCode));
        Assert.Single(runs.Select(r => r.Get("ClientToken")).Distinct());
        Assert.Single(await _host.InstancesAsync());
        Assert.Equal(4, _host.Output.Verbose.Count(v => v.Contains("throttled (RequestLimitExceeded)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Throttling_that_does_not_stop_is_a_CloudThrottled_error_after_the_last_attempt()
    {
        using var provider = _host.Provider(retry: new AwsRetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) });
        _host.Endpoint.InjectFault("DescribeInstances", "RequestLimitExceeded", 10);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => provider.ListAsync("test", EngineContext.Silent()));

        Assert.Equal(3, _host.Requests("DescribeInstances").Count);
        var classified = ErrorClassifier.Classify(error);
        Assert.Equal(ErrorIds.CloudThrottled, classified.ErrorId);
        Assert.Equal(ErrorKind.LimitsExceeded, classified.Kind);
    }

    [Fact]
    public async Task Application_ports_are_opened_to_the_declared_ranges_only()
    {
        using var provider = _host.Provider(_host.Settings("203.0.113.0/24", "198.51.100.7/32"));
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        await provider.CreateAsync(AwsTestHost.Request("web-1") with { Ports = [8080, 443] }, environment, new EngineContext(_host.Output, CancellationToken.None));

        var group = (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["devopstools-test"])] })).SecurityGroups.Single();
        Assert.Equal([22, 443, 8080], group.IpPermissions.Select(p => p.FromPort!.Value).Order());
        foreach (var permission in group.IpPermissions)
        {
            Assert.Equal("tcp", permission.IpProtocol);
            Assert.Equal(permission.FromPort, permission.ToPort);
            Assert.Equal(["198.51.100.7/32", "203.0.113.0/24"], permission.Ipv4Ranges.Select(r => r.CidrIp).Order());
        }

        Assert.DoesNotContain("0.0.0.0/0", _host.AllParameterValues);
        Assert.Empty(_host.Output.Warnings);
    }

    [Fact]
    public async Task Ssh_is_open_to_the_world_only_when_asked_in_those_words_and_with_a_warning()
    {
        using var provider = _host.Provider(_host.Settings("0.0.0.0/0"));
        var environment = _host.Environment();

        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal("0.0.0.0/0", _host.Requests("AuthorizeSecurityGroupIngress").Single().Get("IpPermissions.1.IpRanges.1.CidrIp"));
        var warning = Assert.Single(_host.Output.Warnings);
        Assert.Contains("0.0.0.0/0", warning, StringComparison.Ordinal);
        Assert.Contains("whole internet", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ipv6_ranges_go_into_ipv6_rules()
    {
        using var provider = _host.Provider(_host.Settings("2001:db8::/32"));
        await provider.PrepareEnvironmentAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None));

        var authorize = _host.Requests("AuthorizeSecurityGroupIngress").Single();
        Assert.Equal("2001:db8::/32", authorize.Get("IpPermissions.1.Ipv6Ranges.1.CidrIpv6"));
        Assert.Null(authorize.Get("IpPermissions.1.IpRanges.1.CidrIp"));
    }

    [Fact]
    public async Task A_range_no_longer_declared_is_revoked()
    {
        var environment = _host.Environment();
        using (var first = _host.Provider(_host.Settings("203.0.113.0/24", "198.51.100.0/24")))
        {
            await first.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        }

        using var second = _host.Provider(_host.Settings("203.0.113.0/24"));
        await second.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var group = (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("group-name", ["devopstools-test"])] })).SecurityGroups.Single();
        Assert.Equal(AwsTestHost.Cidr, Assert.Single(Assert.Single(group.IpPermissions).Ipv4Ranges).CidrIp);
        Assert.Contains(_host.Output.Warnings, w => w.Contains("198.51.100.0/24", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_AllowSshFrom_nothing_is_created_and_the_error_says_what_to_pass()
    {
        using var provider = _host.Provider(new AwsSettings { EndpointUrl = _host.Endpoint.BaseUri.ToString() });

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.PrepareEnvironmentAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal(ErrorIds.SshIngressRequired, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("-AllowSshFrom", error.Message, StringComparison.Ordinal);
        Assert.Contains("allowSshFrom", error.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Requests("CreateSecurityGroup"));
        Assert.Empty(_host.Requests("AuthorizeSecurityGroupIngress"));
        Assert.Empty(_host.Requests("ImportKeyPair"));
    }

    [Fact]
    public async Task When_the_group_cannot_be_made_the_key_pair_just_imported_is_removed()
    {
        using var provider = _host.Provider();
        _host.Endpoint.InjectFault("CreateSecurityGroup", "InternalError", 1);

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => provider.PrepareEnvironmentAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Single(_host.Requests("ImportKeyPair"));
        Assert.Single(_host.Requests("DeleteKeyPair"));
        Assert.Empty((await _host.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
    }

    [Theory]
    [InlineData("203.0.113.5/24")]
    [InlineData("203.0.113.0")]
    [InlineData("anywhere")]
    [InlineData("0.0.0.0")]
    public async Task A_malformed_range_is_refused(string cidr)
    {
        using var provider = _host.Provider(_host.Settings(cidr));

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.PrepareEnvironmentAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Contains(cidr, error.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Requests("CreateSecurityGroup"));
    }

    [Fact]
    public async Task A_key_pair_of_the_same_name_without_our_tag_is_a_clear_error_and_is_never_deleted()
    {
        var other = DevOpsTools.Engine.Ssh.OpenSshKeys.GenerateEd25519("someone-else").PublicKeyLine;
        await _host.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "devopstools-test", PublicKeyMaterial = Convert.ToBase64String(Encoding.ASCII.GetBytes(other)) });
        using var provider = _host.Provider();

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.PrepareEnvironmentAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal(ErrorKind.ResourceExists, error.Kind);
        Assert.Contains("devopstools-test", error.Message, StringComparison.Ordinal);
        Assert.Contains("not imported by DevOpsTools", error.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Requests("ImportKeyPair").Where(r => r.AccessKeyId is not null).Skip(1));
        Assert.Empty(_host.Requests("CreateSecurityGroup"));

        await provider.RemoveEnvironmentResourcesAsync(_host.Environment(), new EngineContext(_host.Output, CancellationToken.None));
        Assert.Empty(_host.Requests("DeleteKeyPair"));
        Assert.Single((await _host.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
        Assert.Contains(_host.Output.Warnings, w => w.Contains("not created by DevOpsTools", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_after_launch_terminates_the_instance()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        _host.Endpoint.InjectFault("DescribeInstances", "InternalError", 1);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal("InternalError", error.ErrorCode);
        var id = Assert.Single(_host.Requests("TerminateInstances")).Get("InstanceId.1");
        var instance = Assert.Single(await _host.InstancesAsync());
        Assert.Equal(id, instance.InstanceId);
        Assert.Contains(instance.State.Name.Value, new[] { "shutting-down", "terminated" });
        Assert.Contains(_host.Output.Warnings, w => w.Contains(id!, StringComparison.Ordinal) && w.Contains("terminated", StringComparison.Ordinal));
        Assert.Empty(await provider.ListAsync("test", EngineContext.Silent()) is { } left ? left.Where(s => s.State != "Stopping") : []);
    }

    [Fact]
    public async Task An_instance_terminated_while_pending_is_a_create_failure_naming_it()
    {
        // The instance stays pending until terminated, however slow this machine is (with the
        // host's 300 ms it could be running and done before the test's TerminateInstances).
        await _host.DisposeAsync();
        _host = await AwsTestHost.StartAsync(o => o.PendingDuration = TimeSpan.FromMinutes(10));
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        var create = provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_host.Requests("RunInstances").All(r => r.StatusCode != 200) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        var id = (await _host.InstancesAsync()).Single().InstanceId;
        await _host.Client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [id] });

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => create);
        Assert.Equal(ErrorIds.ServerCreateFailed, error.ErrorId);
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_half_created_instance_cannot_be_terminated_the_error_names_it()
    {
        using var provider = _host.Provider(retry: new AwsRetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1) });
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        _host.Endpoint.InjectFault("DescribeInstances", "InternalError", 1);
        _host.Endpoint.InjectFault("TerminateInstances", "InternalError", 5);

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None)));

        var id = (await _host.InstancesAsync()).Single().InstanceId;
        Assert.Equal(ErrorIds.LeftoverResources, error.ErrorId);
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
        Assert.Equal(id, error.Target);
    }

    [Fact]
    public async Task Cancel_while_waiting_for_running_terminates_the_instance()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        // Cancel while waiting for running: the provider must not leave the instance behind.
        var create = provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, cancel.Token));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_host.Requests("DescribeInstances").Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => create);
        var instance = (await _host.InstancesAsync()).Single();
        Assert.Contains(instance.State.Name.Value, new[] { "shutting-down", "terminated" });
    }

    [Fact]
    public async Task Remove_terminates_and_waits_and_the_environment_resources_go_with_the_last_server()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        var server = await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));

        await provider.RemoveAsync(server, new EngineContext(_host.Output, CancellationToken.None));
        await provider.RemoveAsync(server, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Equal("Terminated", server.State);
        Assert.Equal("terminated", (await _host.InstancesAsync()).Single().State.Name.Value);
        Assert.Empty(await provider.ListAsync("test", EngineContext.Silent()));

        await provider.RemoveEnvironmentResourcesAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        await provider.RemoveEnvironmentResourcesAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Single(_host.Requests("DeleteSecurityGroup"));
        Assert.Single(_host.Requests("DeleteKeyPair"));
        Assert.Empty((await _host.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
        var groups = (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups;
        Assert.Equal(["default"], groups.Select(g => g.GroupName));
    }

    [Fact]
    public async Task The_host_key_is_read_from_the_console_output_the_endpoint_produces()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        var server = await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));

        var key = await provider.GetHostKeyAsync(server, TimeSpan.FromSeconds(10), EngineContext.Silent());

        Assert.NotNull(key);
        Assert.Matches("^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$", key);
        var console = await _host.Client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = server.Id });
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(console.Output));
        Assert.Contains("\r\n", text, StringComparison.Ordinal);
        Assert.Contains(" ec2: " + key, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_data_over_16_KiB_is_refused_before_launch()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.CreateAsync(AwsTestHost.Request("web-1") with { UserData = new string('x', 16 * 1024 + 1) }, environment, new EngineContext(_host.Output, CancellationToken.None)));

        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Empty(_host.Requests("RunInstances"));
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_ProviderUnavailable()
    {
        var port = FreePort();
        using var provider = _host.Provider(new AwsSettings { EndpointUrl = $"http://127.0.0.1:{port}/", AllowSshFrom = [AwsTestHost.Cidr] });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => provider.ListAsync("test", EngineContext.Silent()));

        var classified = ErrorClassifier.Classify(error);
        Assert.Equal(ErrorIds.ProviderUnavailable, classified.ErrorId);
        Assert.Equal(ErrorKind.ConnectionError, classified.Kind);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Dictionary<string, string> TagsOf(DevOpsTools.Ec2Endpoint.RecordedRequest request, string prefix)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; request.Get($"{prefix}.{i}.Key") is { } key; i++)
        {
            tags[key] = request.Get($"{prefix}.{i}.Value") ?? string.Empty;
        }

        return tags;
    }
}
