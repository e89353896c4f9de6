using DevOpsTools.Engine.Core;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>ServerManager orchestrating the AWS provider against the endpoint (no SSH: SkipSshWait).</summary>
public sealed class AwsServerManagerTests : IAsyncLifetime
{
    private AwsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AwsTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private ServerManager Manager(AwsServerProvider provider) => new(_host.Data, null, _ => provider);

    [Fact]
    public async Task Two_servers_in_parallel_then_idempotent_then_removal_leaves_nothing_for_the_environment()
    {
        using var provider = _host.Provider();
        var manager = Manager(provider);
        NewServerRequest[] requests = [new("Aws", AwsTestHost.Request("web-1")), new("Aws", AwsTestHost.Request("web-2"))];
        var options = new CreateOptions { SkipSshWait = true };

        var created = new List<Server>();
        await manager.CreateAsync(requests, options, new EngineContext(_host.Output, CancellationToken.None, s => { lock (created) { created.Add((Server)s!); } }));

        Assert.Empty(_host.Output.Errors);
        Assert.Equal(["web-1", "web-2"], created.Select(s => s.Name).Order());
        Assert.Equal(2, _host.Requests("RunInstances").Count);
        Assert.Single(_host.Requests("ImportKeyPair"));
        Assert.Single(_host.Requests("CreateSecurityGroup"));
        var known = new KnownHostsStore(_host.Data);
        Assert.All(created, s => Assert.Single(known.Get(s.Address!, s.SshPort)));
        Assert.All(created, s => Assert.StartsWith("SHA256:", s.HostKeyFingerprint, StringComparison.Ordinal));

        var again = new List<Server>();
        await manager.CreateAsync(requests, options, new EngineContext(_host.Output, CancellationToken.None, s => { lock (again) { again.Add((Server)s!); } }));
        Assert.Equal(2, _host.Requests("RunInstances").Count);
        Assert.Equal(created.Select(s => s.Id).Order(), again.Select(s => s.Id).Order());

        var listed = await manager.ListAsync("Aws", "test", EngineContext.Silent());
        await manager.RemoveAsync(listed, 10, false, new EngineContext(_host.Output, CancellationToken.None));

        Assert.Empty(_host.Output.Errors);
        Assert.All(await _host.InstancesAsync(), i => Assert.Equal("terminated", i.State.Name.Value));
        Assert.Empty((await _host.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
        Assert.Equal(["default"], (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups.Select(g => g.GroupName));
        Assert.False(new SshKeyStore(_host.Data).Exists("test"));
        Assert.All(created, s => Assert.Empty(known.Get(s.Address!, s.SshPort)));
    }

    [Fact]
    public async Task A_bad_image_is_an_error_for_that_server_and_the_environment_it_set_up_is_removed()
    {
        using var provider = _host.Provider();
        var manager = Manager(provider);

        await manager.CreateAsync([new("Aws", AwsTestHost.Request("web-1", image: "debian-99"))], new CreateOptions { SkipSshWait = true }, new EngineContext(_host.Output, CancellationToken.None));

        var error = Assert.Single(_host.Output.Errors);
        Assert.Equal(DevOpsTools.Engine.Core.ErrorIds.UnknownImage, error.ErrorId);
        Assert.Empty(await _host.InstancesAsync());
        Assert.Empty((await _host.Client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest())).KeyPairs ?? []);
        Assert.Equal(["default"], (await _host.Client.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest())).SecurityGroups.Select(g => g.GroupName));
    }
}
