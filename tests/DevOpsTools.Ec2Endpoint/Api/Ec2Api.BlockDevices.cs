using System.Text.RegularExpressions;
using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint.Api;

/// <summary>
/// RunInstances block device mappings, validated as EC2 documents them (EbsBlockDevice,
/// BlockDeviceMapping, "Device names on Linux instances"): every mapping names a valid device
/// once and carries exactly one of Ebs, VirtualName or NoDevice; an Ebs mapping carries a size or
/// a snapshot (nothing is filled in from the image); sizes, IOPS and throughput are in range for
/// the volume type and only given where the type takes them.
/// </summary>
internal sealed partial class Ec2Api
{
    private static readonly string[] VolumeTypes = ["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"];

    /// <summary>/dev/sd[a-z], /dev/sd[a-z][1-15], /dev/xvd[a-z], /dev/xvd[b-c][a-z], /dev/hd[a-z], /dev/hd[a-z][1-15]; non-root devices may omit /dev/.</summary>
    [GeneratedRegex("^(/dev/)?(sd[a-z]([1-9]|1[0-5])?|xvd[a-z]|xvd[b-c][a-z]|hd[a-z]([1-9]|1[0-5])?)$")]
    private static partial Regex LinuxDeviceName();

    private sealed record DeviceSpec(string DeviceName, int Size, string VolumeType, bool Encrypted, string? KmsKeyId, int? Iops, int? Throughput, string? SnapshotId, bool DeleteOnTermination);

    /// <summary>Size range in GiB per volume type.</summary>
    private static (int Min, int Max) SizeRange(string volumeType) => volumeType switch
    {
        "io1" => (4, 16384),
        "io2" => (4, 65536),
        "st1" or "sc1" => (125, 16384),
        "standard" => (1, 1024),
        _ => (1, 16384),
    };

    private static (int Min, int Max)? IopsRange(string volumeType) => volumeType switch
    {
        "gp3" => (3000, 16000),
        "io1" => (100, 64000),
        "io2" => (100, 256000),
        _ => null,
    };

    private static List<DeviceSpec> ParseBlockDeviceMappings(QueryParameters p, Image image)
    {
        var root = new DeviceSpec(image.RootDeviceName, image.RootVolumeSize, image.RootVolumeType, false, null, image.RootVolumeType == "gp3" ? 3000 : null, image.RootVolumeType == "gp3" ? 125 : null, image.SnapshotId, true);
        var devices = new List<DeviceSpec> { root };
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in p.Structs("BlockDeviceMapping"))
        {
            var name = m.Get("DeviceName") ?? throw Ec2Error.MissingParameter("BlockDeviceMapping.N.DeviceName");
            var isRoot = name == image.RootDeviceName;
            if (!isRoot && !LinuxDeviceName().IsMatch(name))
            {
                throw new Ec2Error("InvalidBlockDeviceMapping", $"Invalid device name {name}");
            }

            var canonical = name.StartsWith("/dev/", StringComparison.Ordinal) ? name : "/dev/" + name;
            if (!named.Add(canonical))
            {
                throw new Ec2Error("InvalidBlockDeviceMapping", $"The device name {name} is used more than once in the block device mapping");
            }

            var kinds = (m.Struct("Ebs") is null ? 0 : 1) + (m.Has("VirtualName") ? 1 : 0) + (m.Has("NoDevice") ? 1 : 0);
            if (kinds != 1)
            {
                throw new Ec2Error("InvalidBlockDeviceMapping", $"The block device mapping for {name} must specify exactly one of Ebs, VirtualName or NoDevice");
            }

            if (m.Has("NoDevice"))
            {
                if (isRoot)
                {
                    throw new Ec2Error("InvalidBlockDeviceMapping", "The device 'root' cannot be suppressed");
                }

                devices.RemoveAll(d => d.DeviceName == name);
                continue;
            }

            if (m.Get("VirtualName") is { } virtualName)
            {
                if (isRoot || !Regex.IsMatch(virtualName, "^ephemeral([0-9]|1[0-9]|2[0-3])$"))
                {
                    throw new Ec2Error("InvalidBlockDeviceMapping", $"Invalid virtual name {virtualName} for device {name}");
                }

                continue; // instance store: no EBS volume
            }

            var spec = ParseEbs(m.Struct("Ebs")!, name, isRoot, image);
            var existing = devices.FindIndex(d => d.DeviceName == name);
            if (existing >= 0)
            {
                devices[existing] = spec;
            }
            else
            {
                devices.Add(spec);
            }
        }

        return devices;
    }

    private static DeviceSpec ParseEbs(QueryParameters ebs, string name, bool isRoot, Image image)
    {
        var snapshotId = ebs.Get("SnapshotId");
        var requestedSize = ebs.GetInt("VolumeSize");
        if (snapshotId is null && requestedSize is null)
        {
            // EC2's own words; the root device gets nothing from the image here.
            throw new Ec2Error("MissingParameter", "The request must contain the parameter size or snapshotId");
        }

        if (snapshotId is not null)
        {
            if (!Regex.IsMatch(snapshotId, "^snap-([0-9a-f]{8}|[0-9a-f]{17})$"))
            {
                throw Ec2Error.Malformed("InvalidSnapshotID.Malformed", snapshotId, "snap-...");
            }

            if (snapshotId != image.SnapshotId)
            {
                throw new Ec2Error("InvalidSnapshot.NotFound", $"The snapshot '{snapshotId}' does not exist.");
            }
        }

        var volumeType = ebs.Get("VolumeType") ?? (isRoot ? image.RootVolumeType : "gp2");
        if (!VolumeTypes.Contains(volumeType))
        {
            throw Ec2Error.InvalidParameterValue($"Value ({volumeType}) for parameter volumeType is invalid. Valid volume types are: {string.Join(", ", VolumeTypes)}");
        }

        var size = requestedSize ?? image.RootVolumeSize;
        var (min, max) = SizeRange(volumeType);
        if (size < min || size > max)
        {
            throw Ec2Error.InvalidParameterValue($"Volume of {size}GiB is out of range for volume type {volumeType}; valid sizes are {min}-{max}GiB.");
        }

        if ((isRoot || snapshotId is not null) && size < image.RootVolumeSize)
        {
            throw new Ec2Error("InvalidBlockDeviceMapping", $"Volume of size {size}GB is smaller than snapshot '{image.SnapshotId}', expect size >= {image.RootVolumeSize}GB");
        }

        var iops = ebs.GetInt("Iops");
        var iopsRange = IopsRange(volumeType);
        if (iops is not null && iopsRange is null)
        {
            throw Ec2Error.InvalidParameterCombination($"The parameter iops is not supported for {volumeType} volumes.");
        }

        if (iops is null && volumeType is "io1" or "io2")
        {
            throw new Ec2Error("MissingParameter", $"The request must contain the parameter iops for {volumeType} volumes");
        }

        if (iops is { } given && iopsRange is { } range && (given < range.Min || given > range.Max))
        {
            throw Ec2Error.InvalidParameterValue($"Iops {given} is out of range for volume type {volumeType}; valid values are {range.Min}-{range.Max}.");
        }

        if (volumeType == "gp3")
        {
            iops ??= 3000;
        }

        var throughput = ebs.GetInt("Throughput");
        if (throughput is not null && volumeType != "gp3")
        {
            throw Ec2Error.InvalidParameterCombination($"The parameter throughput is not supported for {volumeType} volumes.");
        }

        if (throughput is { } t && (t < 125 || t > 1000))
        {
            throw Ec2Error.InvalidParameterValue($"Throughput {t} is out of range; valid values for gp3 are 125-1000 MiB/s.");
        }

        throughput ??= volumeType == "gp3" ? 125 : null;
        var encrypted = ebs.GetBool("Encrypted") ?? false;
        var kms = ebs.Get("KmsKeyId");
        if (kms is not null && !encrypted)
        {
            throw Ec2Error.InvalidParameterCombination("The parameter KmsKeyId requires the parameter Encrypted to be set.");
        }

        return new DeviceSpec(name, size, volumeType, encrypted, kms, iops, throughput, snapshotId ?? (isRoot ? image.SnapshotId : null), ebs.GetBool("DeleteOnTermination") ?? true);
    }
}
