using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DevOpsTools.Ec2Endpoint.State;

internal static class Ids
{
    /// <summary>A resource ID as real EC2 makes them today: prefix, dash, 17 lowercase hex digits.</summary>
    public static string New(string prefix) =>
        prefix + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17];

    /// <summary>A stable ID derived from a seed, for the seeded catalogue.</summary>
    public static string Stable(string prefix, string seed) =>
        prefix + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..17];

    public static bool IsWellFormed(string id, string prefix)
    {
        if (!id.StartsWith(prefix + "-", StringComparison.Ordinal))
        {
            return false;
        }

        var hex = id.AsSpan(prefix.Length + 1);
        if (hex.Length != 8 && hex.Length != 17)
        {
            return false;
        }

        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>All in-memory EC2 state. Every access goes through <see cref="Gate"/>.</summary>
internal sealed class Ec2State
{
    public const string DebianOwner = "136693071363";
    public const string CanonicalOwner = "099720109477";

    public Ec2State(string accountId, string region)
    {
        AccountId = accountId;
        Region = region;
        Reset();
    }

    public object Gate { get; } = new();

    public string AccountId { get; }

    public string Region { get; }

    public List<Image> Images { get; } = [];

    public Dictionary<string, Instance> Instances { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, KeyPair> KeyPairs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SecurityGroup> SecurityGroups { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Volume> Volumes { get; } = new(StringComparer.Ordinal);

    public List<Vpc> Vpcs { get; } = [];

    public List<Subnet> Subnets { get; } = [];

    /// <summary>ClientToken → reservation ID, for RunInstances idempotency.</summary>
    public Dictionary<string, (string ReservationId, string Fingerprint)> ClientTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Next host number for simulated public addresses.</summary>
    public int NextSimulatedPublicHost { get; set; } = 2;

    public Vpc DefaultVpc => Vpcs.First(v => v.IsDefault);

    public Subnet DefaultSubnet => Subnets.First(s => s.VpcId == DefaultVpc.Id);

    public void Reset()
    {
        Images.Clear();
        Instances.Clear();
        KeyPairs.Clear();
        SecurityGroups.Clear();
        Volumes.Clear();
        Vpcs.Clear();
        Subnets.Clear();
        ClientTokens.Clear();
        NextSimulatedPublicHost = 2;

        var vpc = new Vpc
        {
            Id = Ids.Stable("vpc", AccountId + Region + "default-vpc"),
            CidrBlock = "172.31.0.0/16",
            CidrAssociationId = Ids.Stable("vpc-cidr-assoc", AccountId + Region),
            DhcpOptionsId = Ids.Stable("dopt", AccountId + Region),
            IsDefault = true,
        };
        Vpcs.Add(vpc);
        var azLetters = "abc";
        for (var i = 0; i < azLetters.Length; i++)
        {
            Subnets.Add(new Subnet
            {
                Id = Ids.Stable("subnet", AccountId + Region + azLetters[i]),
                VpcId = vpc.Id,
                AvailabilityZone = Region + azLetters[i],
                CidrBlock = $"172.31.{i * 16}.0/20",
            });
        }

        var defaultGroup = new SecurityGroup
        {
            Id = Ids.Stable("sg", AccountId + Region + "default-sg"),
            Name = "default",
            Description = "default VPC security group",
            VpcId = vpc.Id,
            OwnerId = AccountId,
        };
        defaultGroup.Ingress.Add(new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = "-1", ReferencedGroupId = defaultGroup.Id });
        defaultGroup.Egress.Add(new SecurityGroupRule { RuleId = Ids.New("sgr"), Protocol = "-1", CidrIpv4 = "0.0.0.0/0" });
        SecurityGroups[defaultGroup.Id] = defaultGroup;

        SeedImages();
    }

    private void SeedImages()
    {
        // Debian's official cloud team account publishes debian-<release>-<arch>-<yyyymmdd>-<build>.
        (string Date, int Build)[] builds = [("20250112", 1991), ("20250210", 2019), ("20250316", 2053), ("20250428", 2096)];
        foreach (var (date, build) in builds)
        {
            foreach (var arch in new[] { "amd64", "arm64" })
            {
                AddDebian(12, null, arch, date, build, minuteOffset: 0);
            }
        }

        // A backports variant from the same build, and an older release, as the real catalogue has.
        AddDebian(12, "backports", "amd64", "20250428", 2096, minuteOffset: 3);
        AddDebian(11, null, "amd64", "20250101", 1980, minuteOffset: 0);

        var ubuntuName = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115";
        Images.Add(new Image
        {
            Id = Ids.Stable("ami", ubuntuName),
            Name = ubuntuName,
            OwnerId = CanonicalOwner,
            Architecture = "x86_64",
            CreationDate = new DateTimeOffset(2025, 1, 15, 9, 12, 44, TimeSpan.Zero),
            DeprecationTime = new DateTimeOffset(2027, 1, 15, 9, 12, 44, TimeSpan.Zero),
            Description = "Canonical, Ubuntu, 24.04, amd64 noble image",
            RootDeviceName = "/dev/sda1",
            SnapshotId = Ids.Stable("snap", ubuntuName),
        });
    }

    private void AddDebian(int release, string? variant, string arch, string date, int build, int minuteOffset)
    {
        var name = variant is null ? $"debian-{release}-{arch}-{date}-{build}" : $"debian-{release}-{variant}-{arch}-{date}-{build}";
        var created = DateTimeOffset.ParseExact(date, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            .AddHours(arch == "amd64" ? 4 : 5).AddMinutes(17 + minuteOffset);
        Images.Add(new Image
        {
            Id = Ids.Stable("ami", name),
            Name = name,
            OwnerId = DebianOwner,
            Architecture = arch == "amd64" ? "x86_64" : "arm64",
            CreationDate = created,
            DeprecationTime = created.AddYears(2),
            Description = variant is null ? $"Debian {release} ({date}-{build})" : $"Debian {release} {variant} ({date}-{build})",
            RootDeviceName = "/dev/xvda",
            SnapshotId = Ids.Stable("snap", name),
        });
    }

    public Image? FindImage(string id) => Images.FirstOrDefault(i => i.Id == id);

    public SecurityGroup? FindGroupByName(string vpcId, string name) =>
        SecurityGroups.Values.FirstOrDefault(g => g.VpcId == vpcId && g.Name == name);

    public KeyPair? FindKeyByName(string name) => KeyPairs.Values.FirstOrDefault(k => k.Name == name);

    /// <summary>Allocates the next private address in a subnet (x.x.x.10 upward).</summary>
    public string AllocatePrivateIp(Subnet subnet)
    {
        var baseParts = subnet.CidrBlock.Split('/')[0].Split('.').Select(int.Parse).ToArray();
        var host = subnet.NextHost++;
        var third = baseParts[2] + (host / 256);
        var fourth = host % 256;
        return $"{baseParts[0]}.{baseParts[1]}.{third}.{fourth}";
    }
}
