using System.Security.Cryptography;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class KeyPairTests
{
    [Fact]
    public async Task Importing_an_ed25519_key_reports_the_base64_sha256_fingerprint()
    {
        await using var h = await Harness.StartAsync();
        var (line, blob) = TestKeys.Ed25519();
        var response = await h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "ops", PublicKeyMaterial = TestKeys.Material(line) });

        Assert.Equal("ops", response.KeyName);
        Assert.Matches("^key-[0-9a-f]{17}$", response.KeyPairId);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(blob)), response.KeyFingerprint);
    }

    [Fact]
    public async Task Importing_an_rsa_key_reports_the_md5_fingerprint_of_RFC4716()
    {
        await using var h = await Harness.StartAsync();
        var (line, blob) = TestKeys.Rsa();
        var response = await h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "rsa", PublicKeyMaterial = TestKeys.Material(line) });

        var expected = string.Join(':', MD5.HashData(blob).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(expected, response.KeyFingerprint);

        var described = await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = ["rsa"] });
        Assert.Equal(KeyType.Rsa, Assert.Single(described.KeyPairs).KeyType);
    }

    [Fact]
    public async Task Importing_the_same_name_twice_fails_with_InvalidKeyPair_Duplicate()
    {
        await using var h = await Harness.StartAsync();
        await Fixtures.ImportKeyAsync(h.Client, "dup");
        var (line, _) = TestKeys.Ed25519();
        await Ec2Assert.FailsWith("InvalidKeyPair.Duplicate", () =>
            h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "dup", PublicKeyMaterial = TestKeys.Material(line) }));
    }

    [Fact]
    public async Task Material_that_is_not_a_base64_encoded_openssh_key_fails_with_InvalidKey_Format()
    {
        await using var h = await Harness.StartAsync();
        var (line, _) = TestKeys.Ed25519();
        // AWSSDK.EC2 v4 sends the string as given; EC2 wants the key file base64-encoded.
        await Ec2Assert.FailsWith("InvalidKey.Format", () => h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "raw", PublicKeyMaterial = line }));
        await Ec2Assert.FailsWith("InvalidKey.Format", () => h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "junk", PublicKeyMaterial = TestKeys.Material("hello world") }));
        await Ec2Assert.FailsWith("InvalidKey.Format", () => h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "ecdsa", PublicKeyMaterial = TestKeys.Material(TestKeys.Ecdsa()) }));
        var keys = await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest());
        Assert.Empty(keys.KeyPairs ?? []);
    }

    [Fact]
    public async Task Raw_key_lines_are_accepted_when_the_endpoint_is_configured_to()
    {
        await using var h = await Harness.StartAsync(o => o.AcceptRawPublicKeyMaterial = true);
        var (line, _) = TestKeys.Ed25519();
        var response = await h.Client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "raw", PublicKeyMaterial = line });
        Assert.Equal("raw", response.KeyName);
    }

    [Fact]
    public async Task DescribeKeyPairs_filters_by_name_and_returns_the_public_key_on_request()
    {
        await using var h = await Harness.StartAsync();
        var (line, _) = TestKeys.Ed25519();
        await h.Client.ImportKeyPairAsync(new ImportKeyPairRequest
        {
            KeyName = "alpha",
            PublicKeyMaterial = TestKeys.Material(line),
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.KeyPair, Tags = [new Tag("team", "ops")] }],
        });
        await Fixtures.ImportKeyAsync(h.Client, "beta");

        var alpha = await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = ["alpha"], IncludePublicKey = true });
        var info = Assert.Single(alpha.KeyPairs);
        Assert.Equal(KeyType.Ed25519, info.KeyType);
        Assert.StartsWith(string.Join(' ', line.Split(' ').Take(2)), info.PublicKey, StringComparison.Ordinal);
        Assert.Equal("ops", Assert.Single(info.Tags).Value);

        var all = await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest());
        Assert.Equal(["alpha", "beta"], all.KeyPairs.Select(k => k.KeyName).Order());

        var filtered = await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { Filters = [new Filter("tag:team", ["ops"])] });
        Assert.Equal("alpha", Assert.Single(filtered.KeyPairs).KeyName);
    }

    [Fact]
    public async Task Unknown_key_names_fail_with_InvalidKeyPair_NotFound()
    {
        await using var h = await Harness.StartAsync();
        var ex = await Ec2Assert.FailsWith("InvalidKeyPair.NotFound", () => h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = ["ghost"] }));
        Assert.Contains("ghost", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteKeyPair_removes_the_key_and_is_idempotent()
    {
        await using var h = await Harness.StartAsync();
        await Fixtures.ImportKeyAsync(h.Client, "temp");
        await h.Client.DeleteKeyPairAsync(new DeleteKeyPairRequest { KeyName = "temp" });
        await Ec2Assert.FailsWith("InvalidKeyPair.NotFound", () => h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = ["temp"] }));

        // Like EC2, deleting a key pair that does not exist succeeds.
        await h.Client.DeleteKeyPairAsync(new DeleteKeyPairRequest { KeyName = "temp" });
    }
}
