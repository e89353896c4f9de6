using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

internal static class Ec2Assert
{
    /// <summary>Asserts the call fails with an AmazonEC2Exception carrying <paramref name="code"/>.</summary>
    public static async Task<AmazonEC2Exception> FailsWith(string code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<AmazonEC2Exception>(call);
        Assert.Equal(code, ex.ErrorCode);
        Assert.False(string.IsNullOrEmpty(ex.Message));
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        return ex;
    }
}

/// <summary>Test-side OpenSSH public key encoding (kept separate from the endpoint's own code on purpose).</summary>
internal static class TestKeys
{
    private static void Put(MemoryStream ms, ReadOnlySpan<byte> bytes)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, bytes.Length);
        ms.Write(len);
        ms.Write(bytes);
    }

    private static byte[] Mpint(byte[] v)
    {
        var trimmed = v.SkipWhile(b => b == 0).ToArray();
        return trimmed.Length > 0 && (trimmed[0] & 0x80) != 0 ? [0, .. trimmed] : trimmed;
    }

    public static (string Line, byte[] Blob) Ed25519(string comment = "tester@example")
    {
        var ms = new MemoryStream();
        Put(ms, "ssh-ed25519"u8);
        Put(ms, RandomNumberGenerator.GetBytes(32));
        var blob = ms.ToArray();
        return ($"ssh-ed25519 {Convert.ToBase64String(blob)} {comment}", blob);
    }

    public static (string Line, byte[] Blob) Rsa(int bits = 2048)
    {
        using var rsa = RSA.Create(bits);
        var p = rsa.ExportParameters(false);
        var ms = new MemoryStream();
        Put(ms, "ssh-rsa"u8);
        Put(ms, Mpint(p.Exponent!));
        Put(ms, Mpint(p.Modulus!));
        var blob = ms.ToArray();
        return ($"ssh-rsa {Convert.ToBase64String(blob)} rsa@example", blob);
    }

    public static string Ecdsa()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(false);
        var ms = new MemoryStream();
        Put(ms, "ecdsa-sha2-nistp256"u8);
        Put(ms, "nistp256"u8);
        Put(ms, [4, .. p.Q.X!, .. p.Q.Y!]);
        return $"ecdsa-sha2-nistp256 {Convert.ToBase64String(ms.ToArray())} ec@example";
    }

    /// <summary>PublicKeyMaterial as EC2 wants it: the key file, base64-encoded.</summary>
    public static string Material(string line) => Convert.ToBase64String(Encoding.ASCII.GetBytes(line + "\n"));
}

/// <summary>Common fixtures built through the SDK.</summary>
internal static class Fixtures
{
    public const string DebianOwner = "136693071363";

    public static async Task<string> NewestDebianAsync(AmazonEC2Client client, string arch = "x86_64")
    {
        var images = await client.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = [DebianOwner],
            Filters = [new Filter("name", ["debian-12-*"]), new Filter("architecture", [arch]), new Filter("state", ["available"])],
        });
        return images.Images.Where(i => !i.Name.Contains("backports", StringComparison.Ordinal))
            .OrderByDescending(i => i.CreationDate).First().ImageId;
    }

    public static async Task<string> ImportKeyAsync(AmazonEC2Client client, string name = "deploy")
    {
        var (line, _) = TestKeys.Ed25519();
        await client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = name, PublicKeyMaterial = TestKeys.Material(line) });
        return name;
    }

    public static async Task<string> CreateGroupAsync(AmazonEC2Client client, string name = "web")
    {
        var sg = await client.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name, Description = "test group " + name });
        return sg.GroupId;
    }

    public static async Task<Instance> LaunchAsync(AmazonEC2Client client, Action<RunInstancesRequest>? configure = null)
    {
        var request = new RunInstancesRequest
        {
            ImageId = await NewestDebianAsync(client),
            InstanceType = InstanceType.T3Micro,
            MinCount = 1,
            MaxCount = 1,
        };
        configure?.Invoke(request);
        var response = await client.RunInstancesAsync(request);
        return response.Reservation.Instances.Single();
    }

    public static async Task<Instance> DescribeOneAsync(AmazonEC2Client client, string instanceId)
    {
        var response = await client.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] });
        return response.Reservations.Single().Instances.Single();
    }
}

internal static class RawHttp
{
    public static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public const string FakeAuthorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";

    public static async Task<(int Status, string Body)> PostFormAsync(Uri url, string form, string? authorization = FakeAuthorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<(int Status, string Body)> SendAsync(HttpMethod method, Uri url, string? jsonBody = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
