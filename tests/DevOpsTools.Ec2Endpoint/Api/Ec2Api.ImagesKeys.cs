using System.Text;
using System.Text.RegularExpressions;
using DevOpsTools.Ec2Endpoint.State;
using static DevOpsTools.Ec2Endpoint.Api.Xml;

namespace DevOpsTools.Ec2Endpoint.Api;

internal sealed partial class Ec2Api
{
    // ---- DescribeImages --------------------------------------------------------------------------

    [GeneratedRegex("^\\d{12}$")]
    private static partial Regex AccountIdShape();

    private static readonly string[] ImageFilterNames =
    [
        "name", "architecture", "state", "owner-id", "owner-alias", "image-id", "image-type", "is-public",
        "root-device-type", "root-device-name", "virtualization-type", "description", "hypervisor",
        "platform-details", "usage-operation", "block-device-mapping.snapshot-id", "block-device-mapping.volume-type",
        "block-device-mapping.volume-size", "ena-support", "creation-date", "boot-mode",
    ];

    private IEnumerable<object?> DescribeImages(QueryParameters p)
    {
        var ids = p.List("ImageId");
        var owners = p.List("Owner");
        var filters = ParseFilters(p);

        foreach (var id in ids)
        {
            if (!Ids.IsWellFormed(id, "ami"))
            {
                throw Ec2Error.Malformed("InvalidAMIID.Malformed", id, "ami-...");
            }
        }

        var missing = ids.Where(id => _state.FindImage(id) is null).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw new Ec2Error("InvalidAMIID.NotFound", $"The image id '[{string.Join(", ", missing)}]' does not exist");
        }

        foreach (var o in owners)
        {
            if (o is not ("self" or "amazon" or "aws-marketplace" or "aws-backup-vault") && !AccountIdShape().IsMatch(o))
            {
                throw new Ec2Error("InvalidUserID.Malformed", $"Invalid user id: \"{o}\"");
            }
        }

        IEnumerable<Image> images = ids.Count > 0 ? ids.Distinct().Select(id => _state.FindImage(id)!) : _state.Images;
        if (owners.Count > 0)
        {
            images = images.Where(img => owners.Any(o => o switch
            {
                "self" => img.OwnerId == _state.AccountId,
                "amazon" or "aws-marketplace" or "aws-backup-vault" => img.OwnerAlias == o,
                _ => img.OwnerId == o,
            }));
        }

        var matched = ApplyFilters(images, filters, ImageFilterNames, (n, img) => n switch
        {
            "name" => One(img.Name),
            "architecture" => One(img.Architecture),
            "state" => One(img.State),
            "owner-id" => One(img.OwnerId),
            "owner-alias" => One(img.OwnerAlias),
            "image-id" => One(img.Id),
            "image-type" => One("machine"),
            "is-public" => One(img.IsPublic ? "true" : "false"),
            "root-device-type" => One("ebs"),
            "root-device-name" => One(img.RootDeviceName),
            "virtualization-type" => One("hvm"),
            "description" => One(img.Description),
            "hypervisor" => One("xen"),
            "platform-details" => One(img.PlatformDetails),
            "usage-operation" => One("RunInstances"),
            "block-device-mapping.snapshot-id" => One(img.SnapshotId),
            "block-device-mapping.volume-type" => One(img.RootVolumeType),
            "block-device-mapping.volume-size" => One(img.RootVolumeSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "ena-support" => One("true"),
            "creation-date" => One(Timestamp(img.CreationDate)),
            "boot-mode" => One(img.BootMode),
            _ => [],
        }, null).ToList();
        var (page, next) = Paginate(matched, p, 1, 1000);

        yield return Items("imagesSet", page.Select(img => Item(
            E("imageId", img.Id),
            E("imageLocation", img.OwnerAlias is null ? $"{img.OwnerId}/{img.Name}" : $"{img.OwnerAlias}/{img.Name}"),
            E("imageState", img.State),
            E("imageOwnerId", img.OwnerId),
            E("creationDate", img.CreationDate),
            E("isPublic", img.IsPublic),
            E("architecture", img.Architecture),
            E("imageType", "machine"),
            Opt("imageOwnerAlias", img.OwnerAlias),
            E("name", img.Name),
            E("description", img.Description),
            E("rootDeviceType", "ebs"),
            E("rootDeviceName", img.RootDeviceName),
            Items("blockDeviceMapping", [Item(
                E("deviceName", img.RootDeviceName),
                E("ebs",
                    E("snapshotId", img.SnapshotId),
                    E("volumeSize", img.RootVolumeSize),
                    E("deleteOnTermination", true),
                    E("volumeType", img.RootVolumeType),
                    img.RootVolumeType == "gp3" ? E("iops", 3000) : null,
                    img.RootVolumeType == "gp3" ? E("throughput", 125) : null,
                    E("encrypted", false)))]),
            E("virtualizationType", "hvm"),
            E("hypervisor", "xen"),
            E("enaSupport", true),
            E("sriovNetSupport", "simple"),
            E("bootMode", img.BootMode),
            E("platformDetails", img.PlatformDetails),
            E("usageOperation", "RunInstances"),
            img.DeprecationTime is { } dep ? E("deprecationTime", dep) : null,
            E("imdsSupport", "v2.0"))));
        if (next is not null)
        {
            yield return E("nextToken", next);
        }
    }

    // ---- key pairs -------------------------------------------------------------------------------

    private IEnumerable<object?> ImportKeyPair(QueryParameters p, RequestContext ctx)
    {
        var name = p.Required("KeyName");
        var material = p.Required("PublicKeyMaterial");
        if (name.Length > 255 || name.Any(c => c > 127))
        {
            throw Ec2Error.InvalidParameterValue($"Value ({name}) for parameter keyName is invalid. Key name must contain only ASCII characters and be at most 255 characters.");
        }

        var key = ParsePublicKeyMaterial(material);
        if (key.Type is not ("ssh-rsa" or "ssh-ed25519"))
        {
            throw new Ec2Error("InvalidKey.Format", "Key is not in valid OpenSSH public key format");
        }

        if (key.Type == "ssh-rsa" && (key.Bits < 1024 || key.Bits > 16384))
        {
            throw new Ec2Error("InvalidKey.Format", $"Key length {key.Bits} is not supported");
        }

        var tagSpecs = ParseTagSpecifications(p, "key-pair");
        if (_state.FindKeyByName(name) is not null)
        {
            throw new Ec2Error("InvalidKeyPair.Duplicate", $"The keypair '{name}' already exists.");
        }

        var pair = new KeyPair
        {
            Id = Ids.New("key"),
            Name = name,
            Fingerprint = key.Ec2ImportFingerprint,
            KeyType = key.Type == "ssh-rsa" ? "rsa" : "ed25519",
            PublicKey = key.Line(name),
            CreateTime = TruncateToSeconds(ctx.Now),
        };
        ApplyTags(pair.Tags, tagSpecs.GetValueOrDefault("key-pair"));
        _state.KeyPairs[pair.Id] = pair;

        yield return E("keyFingerprint", pair.Fingerprint);
        yield return E("keyName", pair.Name);
        yield return E("keyPairId", pair.Id);
        if (pair.Tags.Count > 0)
        {
            yield return TagSet(pair.Tags.Items);
        }
    }

    /// <summary>
    /// PublicKeyMaterial must be the key file base64-encoded (the wire type is a blob): the decoded text is an
    /// OpenSSH public key line. A raw key line is refused as EC2 refuses it, unless configured otherwise.
    /// </summary>
    private SshPublicKey ParsePublicKeyMaterial(string material)
    {
        SshPublicKey? key = null;
        try
        {
            key = SshPublicKey.TryParseLine(Encoding.UTF8.GetString(Convert.FromBase64String(material.Trim())));
        }
        catch (FormatException)
        {
        }

        if (key is null && _options.AcceptRawPublicKeyMaterial)
        {
            key = SshPublicKey.TryParseLine(material);
        }

        return key ?? throw new Ec2Error("InvalidKey.Format", "Key is not in valid OpenSSH public key format");
    }

    private static readonly string[] KeyPairFilterNames = ["key-name", "key-pair-id", "fingerprint", "key-type"];

    private IEnumerable<object?> DescribeKeyPairs(QueryParameters p)
    {
        var names = p.List("KeyName");
        var ids = p.List("KeyPairId");
        var includePublicKey = p.GetBool("IncludePublicKey") ?? false;
        var filters = ParseFilters(p);

        var missingNames = names.Where(n => _state.FindKeyByName(n) is null).Distinct().ToList();
        if (missingNames.Count > 0)
        {
            throw new Ec2Error("InvalidKeyPair.NotFound", missingNames.Count == 1
                ? $"The key pair '{missingNames[0]}' does not exist"
                : $"The key pairs '{string.Join(", ", missingNames)}' do not exist");
        }

        var missingIds = ids.Where(id => !_state.KeyPairs.ContainsKey(id)).Distinct().ToList();
        if (missingIds.Count > 0)
        {
            throw new Ec2Error("InvalidKeyPair.NotFound", missingIds.Count == 1
                ? $"The key pair ID '{missingIds[0]}' does not exist"
                : $"The key pair IDs '{string.Join(", ", missingIds)}' do not exist");
        }

        IEnumerable<KeyPair> keys = _state.KeyPairs.Values.OrderBy(k => k.CreateTime).ThenBy(k => k.Name, StringComparer.Ordinal);
        if (names.Count > 0 || ids.Count > 0)
        {
            keys = keys.Where(k => names.Contains(k.Name) || ids.Contains(k.Id));
        }

        var matched = ApplyFilters(keys, filters, KeyPairFilterNames, (n, k) => n switch
        {
            "key-name" => One(k.Name),
            "key-pair-id" => One(k.Id),
            "fingerprint" => One(k.Fingerprint),
            "key-type" => One(k.KeyType),
            _ => [],
        }, k => k.Tags);

        yield return Items("keySet", matched.Select(k => Item(
            E("keyPairId", k.Id),
            E("keyName", k.Name),
            E("keyFingerprint", k.Fingerprint),
            E("keyType", k.KeyType),
            TagSet(k.Tags.Items),
            includePublicKey ? E("publicKey", k.PublicKey) : null,
            E("createTime", k.CreateTime))));
    }

    private IEnumerable<object?> DeleteKeyPair(QueryParameters p)
    {
        var name = p.Get("KeyName");
        var id = p.Get("KeyPairId");
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(id))
        {
            throw Ec2Error.MissingParameter("KeyName or KeyPairId");
        }

        // Like EC2, deleting a key pair that does not exist succeeds.
        var pair = !string.IsNullOrEmpty(id) ? _state.KeyPairs.GetValueOrDefault(id) : _state.FindKeyByName(name!);
        if (pair is not null)
        {
            _state.KeyPairs.Remove(pair.Id);
        }

        yield return E("return", true);
        if (pair is not null)
        {
            yield return E("keyPairId", pair.Id);
        }
    }
}
