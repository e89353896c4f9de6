using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>
/// -NoWait and host-key trust against the local endpoint, whose simulated guests listen on their
/// SSH address and record every connection made to them.
/// </summary>
public sealed class AwsHostKeyTests : IAsyncLifetime
{
    private AwsTestHost _host = null!;
    private bool _consoleHostKeys = true;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private async Task StartAsync(bool consoleHostKeys)
    {
        _consoleHostKeys = consoleHostKeys;
        _host = await AwsTestHost.StartAsync(o =>
        {
            o.RecordGuestConnections = true;
            o.ConsoleHostKeys = _consoleHostKeys;
        });
    }

    private async Task<List<Server>> CreateAsync(AwsServerProvider provider, CreateOptions options, ServerManager? manager = null)
    {
        var created = new List<Server>();
        manager ??= new ServerManager(_host.Data, null, _ => provider);
        await manager.CreateAsync([new("Aws", AwsTestHost.Request("web-1"))], options, new EngineContext(_host.Output, CancellationToken.None, s => created.Add((Server)s!)));
        return created;
    }

    [Fact]
    public async Task NoWait_returns_what_the_launch_answered_and_opens_no_connection_to_the_instance()
    {
        await StartAsync(consoleHostKeys: true);
        using var provider = _host.Provider();

        var server = Assert.Single(await CreateAsync(provider, new CreateOptions { NoWait = true }));

        Assert.Empty(_host.Output.Errors);
        Assert.Equal("Pending", server.State);
        Assert.Matches("^i-[0-9a-f]{17}$", server.Id);
        Assert.Equal("web-1", server.Name);
        Assert.Null(server.HostKeyFingerprint);
        Assert.Single(_host.Requests("RunInstances"));
        Assert.Empty(_host.Requests("GetConsoleOutput"));
        Assert.Empty(_host.Requests("DescribeInstanceStatus"));
        var instance = Assert.Single(await _host.InstancesAsync());

        // Wait past the point where the old -NoWait read the console and scanned SSH, then prove
        // that the guest's address records connections and saw none from New-Server.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(_host.Endpoint.GuestConnections);
        Assert.Empty(new KnownHostsStore(_host.Data).Get(instance.PublicIpAddress, 22));
        using (var probe = new System.Net.Sockets.TcpClient())
        {
            await probe.ConnectAsync(instance.PublicIpAddress, 22);
        }

        await WaitUntilAsync(() => _host.Endpoint.GuestConnections.Count == 1);
        Assert.Equal([instance.InstanceId], _host.Endpoint.GuestConnections);

        // The host key comes with the next New-Server, through EC2's console (not the network).
        var again = Assert.Single(await CreateAsync(provider, new CreateOptions { SkipSshWait = true }));
        Assert.Equal(server.Id, again.Id);
        Assert.StartsWith("SHA256:", again.HostKeyFingerprint, StringComparison.Ordinal);
        Assert.Single(new KnownHostsStore(_host.Data).Get(instance.PublicIpAddress, 22));
        Assert.Single(_host.Endpoint.GuestConnections);
    }

    [Fact]
    public async Task Without_console_host_keys_New_Server_fails_by_default_with_the_reason_and_connects_to_nothing()
    {
        await StartAsync(consoleHostKeys: false);
        using var provider = _host.Provider();

        var created = await CreateAsync(provider, new CreateOptions { SkipSshWait = true, HostKeyTimeout = TimeSpan.FromSeconds(1) });

        Assert.Empty(created);
        var error = Assert.Single(_host.Output.Errors);
        Assert.Equal(ErrorIds.HostKeyUnattested, error.ErrorId);
        Assert.Equal(ErrorKind.SecurityError, error.Kind);
        Assert.Contains("console output", error.Message, StringComparison.Ordinal);
        Assert.Contains("-TrustFirstHostKey", error.RecommendedAction, StringComparison.Ordinal);
        Assert.NotEmpty(_host.Requests("GetConsoleOutput"));
        Assert.Empty(_host.Endpoint.GuestConnections);
        Assert.All(await _host.InstancesAsync(), i => Assert.Contains(i.State.Name.Value, new[] { "shutting-down", "terminated" }));
        Assert.False(new SshKeyStore(_host.Data).Exists("test"));
    }

    [Fact]
    public async Task TrustFirstHostKey_pins_the_key_presented_on_first_connection_with_a_warning()
    {
        await StartAsync(consoleHostKeys: false);
        using var provider = _host.Provider();
        var presented = OpenSshKeys.GenerateEd25519("guest").PublicKeyLine;
        var scanned = new List<(string Host, int Port)>();
        var manager = new ServerManager(_host.Data, null, _ => provider)
        {
            HostKeyScanner = (host, port, _, _) =>
            {
                scanned.Add((host, port));
                return Task.FromResult(presented);
            },
        };

        var server = Assert.Single(await CreateAsync(provider, new CreateOptions { SkipSshWait = true, TrustFirstHostKey = true, HostKeyTimeout = TimeSpan.FromSeconds(1) }, manager));

        Assert.Empty(_host.Output.Errors);
        Assert.Equal([(server.Address!, 22)], scanned);
        var key = OpenSshKeys.ParsePublicKeyLine(presented)!.Value;
        var fingerprint = OpenSshKeys.Fingerprint(key.Blob);
        Assert.Equal(fingerprint, server.HostKeyFingerprint);
        Assert.Equal(key.Blob, Assert.Single(new KnownHostsStore(_host.Data).Get(server.Address!, 22)).Blob);
        Assert.Contains(_host.Output.Warnings, w => w.Contains("-TrustFirstHostKey", StringComparison.Ordinal) && w.Contains(fingerprint, StringComparison.Ordinal));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }
    }
}
