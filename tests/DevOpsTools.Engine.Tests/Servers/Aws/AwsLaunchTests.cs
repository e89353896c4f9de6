using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Aws;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>What RunInstances is sent, against the strict local endpoint.</summary>
public sealed class AwsLaunchTests : IAsyncLifetime
{
    private AwsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AwsTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<Volume> LaunchAsync(AwsSettings settings)
    {
        using var provider = _host.Provider(settings);
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));
        var server = await provider.CreateAsync(AwsTestHost.Request("web-1"), environment, new EngineContext(_host.Output, CancellationToken.None));
        return (await _host.Client.DescribeVolumesAsync(new DescribeVolumesRequest { Filters = [new Filter("attachment.instance-id", [server.Id!])] })).Volumes.Single();
    }

    [Fact]
    public async Task The_root_volume_takes_rootVolumeSize_on_the_images_root_device()
    {
        var settings = _host.Settings();
        settings.RootVolumeSize = 30;

        var volume = await LaunchAsync(settings);

        var run = Assert.Single(_host.Requests("RunInstances"));
        Assert.Equal("30", run.Get("BlockDeviceMapping.1.Ebs.VolumeSize"));
        Assert.Equal("/dev/xvda", run.Get("BlockDeviceMapping.1.DeviceName"));
        Assert.Equal(30, volume.Size);
        Assert.Equal("/dev/xvda", volume.Attachments.Single().Device);
        Assert.True(volume.Encrypted);
    }

    [Fact]
    public async Task A_rootVolumeSize_smaller_than_the_image_is_refused_before_anything_is_launched()
    {
        var settings = _host.Settings();
        settings.RootVolumeSize = 4;

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => LaunchAsync(settings));

        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Contains("8 GiB", error.Message, StringComparison.Ordinal);
        Assert.Empty(_host.Requests("RunInstances"));
    }

    [Fact]
    public void The_root_device_comes_from_the_images_own_mapping_when_rootDeviceName_is_missing()
    {
        var image = new Image
        {
            ImageId = "ami-0123456789abcdef0",
            BlockDeviceMappings = [new BlockDeviceMapping { DeviceName = "/dev/sda1", Ebs = new EbsBlockDevice { VolumeSize = 12 } }],
        };

        var root = AwsServerProvider.RootDevice(image, null, "test/web-1");

        Assert.Equal("/dev/sda1", root.DeviceName);
        Assert.Equal(12, root.Ebs.VolumeSize);
        Assert.Equal(30, AwsServerProvider.RootDevice(image, 30, "test/web-1").Ebs.VolumeSize);
        var unsized = new Image { ImageId = "ami-0123456789abcdef0", RootDeviceName = "/dev/xvda" };
        Assert.Equal(ErrorIds.InvalidParameter, Assert.Throws<DevOpsToolsException>(() => AwsServerProvider.RootDevice(unsized, null, "test/web-1")).ErrorId);
        Assert.Equal(16, AwsServerProvider.RootDevice(unsized, 16, "test/web-1").Ebs.VolumeSize);
    }

    [Fact]
    public async Task Each_declared_port_is_an_endpoint_on_the_instance_address_and_that_port()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        var server = await provider.CreateAsync(AwsTestHost.Request("web-1") with { Ports = [8080, 443] }, environment, new EngineContext(_host.Output, CancellationToken.None));

        var instance = Assert.Single(await _host.InstancesAsync());
        Assert.Equal(instance.PublicIpAddress, server.Address);
        Assert.Equal([443, 8080], server.Endpoints.Select(e => e.Port));
        Assert.All(server.Endpoints, e => Assert.Equal(instance.PublicIpAddress, e.Address));
        Assert.All(server.Endpoints, e => Assert.Equal(e.Port, e.HostPort));
        Assert.Equal($"{instance.PublicIpAddress}:8080", server.Endpoints.Single(e => e.Port == 8080).ToString());
        var listed = Assert.Single(await provider.ListAsync("test", EngineContext.Silent()));
        Assert.Equal(server.Endpoints, listed.Endpoints);

        var plain = await provider.CreateAsync(AwsTestHost.Request("web-2"), environment, new EngineContext(_host.Output, CancellationToken.None));
        Assert.Empty(plain.Endpoints);
    }

    [Fact]
    public async Task A_container_host_is_tagged_and_read_back_and_other_instances_are_not()
    {
        using var provider = _host.Provider();
        var environment = _host.Environment();
        await provider.PrepareEnvironmentAsync(environment, new EngineContext(_host.Output, CancellationToken.None));

        await provider.CreateAsync(AwsTestHost.Request("apps") with { ContainerHost = true }, environment, new EngineContext(_host.Output, CancellationToken.None));
        await provider.CreateAsync(AwsTestHost.Request("web"), environment, new EngineContext(_host.Output, CancellationToken.None));

        var instances = await _host.InstancesAsync();
        Assert.Single(instances, i => i.Tags.Any(t => t.Key == Engine.Servers.ResourceLabels.ContainerHost && t.Value == "true"));
        var listed = await provider.ListAsync("test", EngineContext.Silent());
        Assert.True(listed.Single(s => s.Name == "apps").ContainerHost);
        Assert.False(listed.Single(s => s.Name == "web").ContainerHost);
    }
}
