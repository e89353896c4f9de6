using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

/// <summary>RunInstances block device mappings are refused as strictly as EC2 documents them.</summary>
public class BlockDeviceMappingTests
{
    private static async Task<(Harness Harness, Func<BlockDeviceMapping[], Task<RunInstancesResponse>> Run, string SnapshotId)> StartAsync()
    {
        var h = await Harness.StartAsync();
        var imageId = await Fixtures.NewestDebianAsync(h.Client);
        var image = (await h.Client.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] })).Images.Single();
        Task<RunInstancesResponse> Run(BlockDeviceMapping[] mappings) => h.Client.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = imageId,
            InstanceType = InstanceType.T3Micro,
            MinCount = 1,
            MaxCount = 1,
            BlockDeviceMappings = [.. mappings],
        });
        return (h, Run, image.BlockDeviceMappings.Single().Ebs.SnapshotId);
    }

    private static BlockDeviceMapping Ebs(string device, int? size = null, string? type = null, int? iops = null, int? throughput = null, string? snapshot = null) => new()
    {
        DeviceName = device,
        Ebs = new EbsBlockDevice
        {
            VolumeSize = size,
            VolumeType = type is null ? null : VolumeType.FindValue(type),
            Iops = iops,
            Throughput = throughput,
            SnapshotId = snapshot,
            Encrypted = true,
        },
    };

    [Fact]
    public async Task A_root_mapping_without_size_or_snapshot_is_MissingParameter_in_EC2s_words()
    {
        var (h, run, _) = await StartAsync();
        await using var _ = h;

        var ex = await Ec2Assert.FailsWith("MissingParameter", () => run([Ebs("/dev/xvda", type: "gp3")]));
        Assert.Equal("The request must contain the parameter size or snapshotId", ex.Message);
        await Ec2Assert.FailsWith("MissingParameter", () => run([Ebs("/dev/xvdf")]));
        Assert.Empty((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);
    }

    [Fact]
    public async Task A_complete_root_mapping_with_the_images_device_and_size_or_its_snapshot_launches()
    {
        var (h, run, snapshot) = await StartAsync();
        await using var _ = h;

        var bySize = (await run([Ebs("/dev/xvda", size: 8, type: "gp3")])).Reservation.Instances.Single();
        var bySnapshot = (await run([Ebs("/dev/xvda", snapshot: snapshot), Ebs("/dev/sdf", size: 20, type: "gp2")])).Reservation.Instances.Single();

        var volumes = (await h.Client.DescribeVolumesAsync(new DescribeVolumesRequest())).Volumes;
        Assert.Equal(8, volumes.Single(v => v.Attachments.Single().InstanceId == bySize.InstanceId).Size);
        var second = volumes.Where(v => v.Attachments.Single().InstanceId == bySnapshot.InstanceId).OrderBy(v => v.Size).ToList();
        Assert.Equal([8, 20], second.Select(v => v.Size));
        Assert.Equal(["/dev/xvda", "/dev/sdf"], second.Select(v => v.Attachments.Single().Device));
    }

    [Theory]
    [InlineData("/dev/foo")]
    [InlineData("/dev/sdz16")]
    [InlineData("/dev/xvdzz")]
    [InlineData("/dev/nvme1n1")]
    [InlineData("data")]
    public async Task An_invalid_device_name_is_InvalidBlockDeviceMapping(string device)
    {
        var (h, run, _) = await StartAsync();
        await using var _ = h;

        var ex = await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([Ebs(device, size: 10)]));
        Assert.Contains(device, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_named_twice_or_with_two_kinds_is_InvalidBlockDeviceMapping()
    {
        var (h, run, _) = await StartAsync();
        await using var _ = h;

        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([Ebs("/dev/sdf", size: 10), Ebs("sdf", size: 10)]));
        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([new BlockDeviceMapping { DeviceName = "/dev/sdf", VirtualName = "ephemeral0", Ebs = new EbsBlockDevice { VolumeSize = 10 } }]));
        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([new BlockDeviceMapping { DeviceName = "/dev/sdf", VirtualName = "scratch" }]));
        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([new BlockDeviceMapping { DeviceName = "/dev/xvda", NoDevice = string.Empty }]));
    }

    [Fact]
    public async Task Sizes_iops_and_throughput_are_checked_against_the_volume_type()
    {
        var (h, run, _) = await StartAsync();
        await using var _ = h;

        await Ec2Assert.FailsWith("InvalidBlockDeviceMapping", () => run([Ebs("/dev/xvda", size: 4, type: "gp3")]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 20000, type: "gp3")]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 100, type: "st1")]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 2000, type: "standard")]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 10, type: "gp4")]));
        await Ec2Assert.FailsWith("MissingParameter", () => run([Ebs("/dev/sdf", size: 10, type: "io2")]));
        await Ec2Assert.FailsWith("InvalidParameterCombination", () => run([Ebs("/dev/sdf", size: 10, type: "gp2", iops: 3000)]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 10, type: "gp3", iops: 20000)]));
        await Ec2Assert.FailsWith("InvalidParameterCombination", () => run([Ebs("/dev/sdf", size: 10, type: "gp2", throughput: 250)]));
        await Ec2Assert.FailsWith("InvalidParameterValue", () => run([Ebs("/dev/sdf", size: 10, type: "gp3", throughput: 2000)]));
        await Ec2Assert.FailsWith("InvalidSnapshotID.Malformed", () => run([Ebs("/dev/sdf", snapshot: "snapshot-1")]));
        await Ec2Assert.FailsWith("InvalidSnapshot.NotFound", () => run([Ebs("/dev/sdf", snapshot: "snap-0123456789abcdef0")]));
        Assert.Empty((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);

        await run([Ebs("/dev/xvda", size: 30, type: "gp3", iops: 6000, throughput: 250), Ebs("/dev/sdf", size: 10, type: "io2", iops: 1000)]);
    }
}
