using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class FaultAndHookTests
{
    private static async Task InjectAsync(Ec2Endpoint endpoint, string query)
    {
        var (status, body) = await RawHttp.SendAsync(HttpMethod.Post, new Uri(endpoint.BaseUri, "_test/faults?" + query));
        Assert.True(status == 200, body);
    }

    [Fact]
    public async Task Injected_RequestLimitExceeded_fails_the_next_calls_with_503_then_clears()
    {
        await using var h = await Harness.StartAsync(); // MaxErrorRetry = 0: the SDK does not retry
        var image = await Fixtures.NewestDebianAsync(h.Client);
        await InjectAsync(h.Endpoint, "action=RunInstances&code=RequestLimitExceeded&count=2");
        var request = new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1 };

        for (var attempt = 0; attempt < 2; attempt++)
        {
            var ex = await Ec2Assert.FailsWith("RequestLimitExceeded", () => h.Client.RunInstancesAsync(request));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        }

        // Other actions are not affected, and the third RunInstances succeeds.
        await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest());
        var ok = await h.Client.RunInstancesAsync(request);
        Assert.Single(ok.Reservation.Instances);

        var runs = h.Endpoint.Requests.Where(r => r.Action == "RunInstances").ToList();
        Assert.Equal(["RequestLimitExceeded", "RequestLimitExceeded", null], runs.Select(r => r.ErrorCode));
        Assert.Equal([503, 503, 200], runs.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task The_sdk_retries_throttling_by_itself_when_allowed_and_keeps_the_client_token()
    {
        await using var h = await Harness.StartAsync(maxErrorRetry: 3);
        var image = await Fixtures.NewestDebianAsync(h.Client);
        await InjectAsync(h.Endpoint, "action=RunInstances&code=RequestLimitExceeded&count=2");

        var response = await h.Client.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1 });
        Assert.Single(response.Reservation.Instances);
        var runs = h.Endpoint.Requests.Where(r => r.Action == "RunInstances").ToList();
        Assert.Equal(3, runs.Count);
        Assert.Single(runs.Select(r => r.Get("ClientToken")).Distinct());
        Assert.Single((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations);
    }

    [Fact]
    public async Task Faults_can_carry_any_code_and_be_listed_and_cleared()
    {
        await using var h = await Harness.StartAsync();
        await InjectAsync(h.Endpoint, "action=DescribeInstances&code=InsufficientInstanceCapacity&count=1");
        await InjectAsync(h.Endpoint, "action=*&code=InternalError&count=5");
        var (_, listed) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/faults"));
        using (var doc = JsonDocument.Parse(listed))
        {
            Assert.Equal(2, doc.RootElement.GetArrayLength());
        }

        await Ec2Assert.FailsWith("InsufficientInstanceCapacity", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest()));
        var ex = await Ec2Assert.FailsWith("InternalError", () => h.Client.DescribeVpcsAsync(new DescribeVpcsRequest()));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, ex.StatusCode);

        await RawHttp.SendAsync(HttpMethod.Delete, new Uri(h.Endpoint.BaseUri, "_test/faults"));
        await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest());
    }

    [Fact]
    public async Task Bad_fault_requests_are_refused()
    {
        await using var h = await Harness.StartAsync();
        var (status, _) = await RawHttp.SendAsync(HttpMethod.Post, new Uri(h.Endpoint.BaseUri, "_test/faults?code=RequestLimitExceeded"));
        Assert.Equal(400, status);
        (status, _) = await RawHttp.SendAsync(HttpMethod.Post, new Uri(h.Endpoint.BaseUri, "_test/faults?action=X&code=Y&count=zero"));
        Assert.Equal(400, status);
        (status, _) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/nothing"));
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Reset_clears_state_requests_and_faults()
    {
        await using var h = await Harness.StartAsync();
        await Fixtures.ImportKeyAsync(h.Client);
        await Fixtures.LaunchAsync(h.Client);
        await InjectAsync(h.Endpoint, "action=DescribeKeyPairs&code=InternalError&count=3");

        var (status, _) = await RawHttp.SendAsync(HttpMethod.Post, new Uri(h.Endpoint.BaseUri, "_test/reset"));
        Assert.Equal(200, status);

        Assert.Empty((await h.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
        Assert.Empty((await h.Client.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);
        Assert.Equal(2, h.Endpoint.Requests.Count);
        Assert.NotEmpty((await h.Client.DescribeImagesAsync(new DescribeImagesRequest())).Images);
    }

    [Fact]
    public async Task Requests_can_be_listed_filtered_by_action_and_cleared_over_http()
    {
        await using var h = await Harness.StartAsync();
        await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest());
        await Fixtures.ImportKeyAsync(h.Client);

        var (_, json) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/requests?action=ImportKeyPair"));
        using (var doc = JsonDocument.Parse(json))
        {
            var entry = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.Equal("ImportKeyPair", entry.GetProperty("action").GetString());
            Assert.Equal("2016-11-15", entry.GetProperty("version").GetString());
            Assert.Equal("AKIDEXAMPLE", entry.GetProperty("accessKeyId").GetString());
            Assert.Equal(200, entry.GetProperty("statusCode").GetInt32());
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("errorCode").ValueKind);
            Assert.Equal("deploy", entry.GetProperty("parameters").GetProperty("KeyName").GetString());
            Assert.True(entry.GetProperty("sequence").GetInt64() > 0);
            Assert.DoesNotContain("secret", json, StringComparison.Ordinal);
            Assert.DoesNotContain("Signature", json, StringComparison.Ordinal);
        }

        await RawHttp.SendAsync(HttpMethod.Delete, new Uri(h.Endpoint.BaseUri, "_test/requests"));
        var (_, empty) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/requests"));
        using var emptyDoc = JsonDocument.Parse(empty);
        Assert.Equal(0, emptyDoc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task The_ssh_hook_reveals_where_an_instance_listens()
    {
        await using var h = await Harness.StartAsync();
        var instance = await Fixtures.LaunchAsync(h.Client);
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        var described = await Fixtures.DescribeOneAsync(h.Client, instance.InstanceId);
        var (status, json) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, $"_test/instances/{instance.InstanceId}/ssh"));
        Assert.Equal(200, status);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(described.PublicIpAddress, doc.RootElement.GetProperty("host").GetString());
        Assert.Equal(22, doc.RootElement.GetProperty("port").GetInt32());
        Assert.Equal("admin", doc.RootElement.GetProperty("user").GetString());
        Assert.True(doc.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal("simulated", doc.RootElement.GetProperty("backing").GetString());

        (status, _) = await RawHttp.SendAsync(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "_test/instances/i-0123456789abcdef0/ssh"));
        Assert.Equal(404, status);
    }
}
