using System.Xml.Linq;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

public class ProtocolTests
{
    [Fact]
    public async Task Unsigned_requests_are_rejected_with_AuthFailure_in_the_EC2_error_shape()
    {
        await using var h = await Harness.StartAsync();
        var (status, body) = await RawHttp.PostFormAsync(h.Endpoint.BaseUri, "Action=DescribeVpcs&Version=2016-11-15", authorization: null);

        Assert.Equal(401, status);
        var doc = XDocument.Parse(body);
        Assert.Equal("Response", doc.Root!.Name.LocalName);
        Assert.Equal("AuthFailure", doc.Root.Element("Errors")!.Element("Error")!.Element("Code")!.Value);
        Assert.False(string.IsNullOrEmpty(doc.Root.Element("Errors")!.Element("Error")!.Element("Message")!.Value));
        Assert.False(string.IsNullOrEmpty(doc.Root.Element("RequestID")!.Value));
    }

    [Fact]
    public async Task A_header_that_is_not_SigV4_is_rejected()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Presence);
        var (status, body) = await RawHttp.PostFormAsync(h.Endpoint.BaseUri, "Action=DescribeVpcs", authorization: "AWS AKIDEXAMPLE:c2lnbmF0dXJl");
        Assert.Equal(401, status);
        Assert.Contains("<Code>AuthFailure</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presence_mode_accepts_any_well_formed_SigV4_header()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Presence);
        var (status, body) = await RawHttp.PostFormAsync(h.Endpoint.BaseUri, "Action=DescribeVpcs&Version=2016-11-15");
        Assert.Equal(200, status);
        var root = XDocument.Parse(body).Root!;
        Assert.Equal("{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeVpcsResponse", root.Name.ToString());
        Assert.NotNull(root.Element(XName.Get("requestId", "http://ec2.amazonaws.com/doc/2016-11-15/")));
    }

    [Fact]
    public async Task Signature_mode_rejects_a_wrong_secret_with_SignatureDoesNotMatch()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Signature);
        using var client = Harness.NewClient(h.Endpoint.BaseUri, credentials: new BasicAWSCredentials("AKIDEXAMPLE", "not-the-secret"));
        var ex = await Ec2Assert.FailsWith("SignatureDoesNotMatch", () => client.DescribeVpcsAsync(new DescribeVpcsRequest()));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.StatusCode);
    }

    [Fact]
    public async Task Signature_mode_rejects_an_unknown_access_key_with_AuthFailure()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Signature);
        using var client = Harness.NewClient(h.Endpoint.BaseUri, credentials: new BasicAWSCredentials("AKIDOTHER", "secret"));
        await Ec2Assert.FailsWith("AuthFailure", () => client.DescribeVpcsAsync(new DescribeVpcsRequest()));
    }

    [Fact]
    public async Task Signature_mode_accepts_the_sdk_signed_with_the_test_credentials()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Signature);
        var vpcs = await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest());
        Assert.Single(vpcs.Vpcs);
        var logged = Assert.Single(h.Endpoint.Requests);
        Assert.Equal("AKIDEXAMPLE", logged.AccessKeyId);
        Assert.Equal("2016-11-15", logged.Version);
    }

    [Fact]
    public async Task Unknown_actions_fail_with_InvalidAction()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Presence);
        var (status, body) = await RawHttp.PostFormAsync(h.Endpoint.BaseUri, "Action=LaunchRocket&Version=2016-11-15");
        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidAction</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unimplemented_sdk_operations_surface_InvalidAction_through_the_sdk()
    {
        await using var h = await Harness.StartAsync();
        await Ec2Assert.FailsWith("InvalidAction", () => h.Client.DescribeRegionsAsync(new DescribeRegionsRequest()));
    }

    [Fact]
    public async Task DryRun_fails_with_DryRunOperation()
    {
        await using var h = await Harness.StartAsync();
        var ex = await Ec2Assert.FailsWith("DryRunOperation", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest { DryRun = true }));
        Assert.Equal(System.Net.HttpStatusCode.PreconditionFailed, ex.StatusCode);
    }

    [Fact]
    public async Task Query_string_GET_requests_work_too()
    {
        await using var h = await Harness.StartAsync(o => o.Auth = AuthMode.Presence);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(h.Endpoint.BaseUri, "?Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=is-default&Filter.1.Value.1=true"));
        request.Headers.TryAddWithoutValidation("Authorization", RawHttp.FakeAuthorization);
        using var response = await RawHttp.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("<isDefault>true</isDefault>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_filter_names_are_rejected_like_EC2_does()
    {
        await using var h = await Harness.StartAsync();
        await Ec2Assert.FailsWith("InvalidParameterValue", () => h.Client.DescribeInstancesAsync(new DescribeInstancesRequest
        {
            Filters = [new Filter("colour", ["blue"])],
        }));
    }

    [Fact]
    public async Task Many_concurrent_sdk_calls_are_served()
    {
        await using var h = await Harness.StartAsync();
        var calls = Enumerable.Range(0, 40).Select(async i =>
        {
            var id = await Fixtures.CreateGroupAsync(h.Client, "group-" + i);
            return id;
        });
        var ids = await Task.WhenAll(calls);
        Assert.Equal(40, ids.Distinct().Count());
        var groups = await h.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest());
        Assert.Equal(41, groups.SecurityGroups.Count); // plus the default group
    }

    [Fact]
    public async Task DescribeVpcs_returns_the_one_default_VPC_and_rejects_unknown_ids()
    {
        await using var h = await Harness.StartAsync();
        var vpcs = await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest { Filters = [new Filter("is-default", ["true"])] });
        var vpc = Assert.Single(vpcs.Vpcs);
        Assert.True(vpc.IsDefault);
        Assert.Equal("172.31.0.0/16", vpc.CidrBlock);
        Assert.Equal(VpcState.Available, vpc.State);
        Assert.Matches("^vpc-[0-9a-f]{17}$", vpc.VpcId);

        var byId = await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = [vpc.VpcId] });
        Assert.Single(byId.Vpcs);
        await Ec2Assert.FailsWith("InvalidVpcID.NotFound", () => h.Client.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = ["vpc-0123456789abcdef0"] }));
    }

    [Fact]
    public async Task DescribeSubnets_lists_default_subnets_of_the_default_VPC()
    {
        await using var h = await Harness.StartAsync();
        var vpc = (await h.Client.DescribeVpcsAsync(new DescribeVpcsRequest())).Vpcs.Single();
        var subnets = await h.Client.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new Filter("vpc-id", [vpc.VpcId])] });
        Assert.NotEmpty(subnets.Subnets);
        Assert.All(subnets.Subnets, s => Assert.True(s.DefaultForAz));
    }
}
