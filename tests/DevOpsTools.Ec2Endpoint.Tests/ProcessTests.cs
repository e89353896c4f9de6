using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

/// <summary>The console program's contract: arguments, the LISTENING line, logging and how it stops.</summary>
public class ProcessTests
{
    private const int SIGTERM = 15;

    [Fact]
    public async Task It_prints_one_LISTENING_line_and_serves_the_sdk_with_real_time_transitions()
    {
        await using var ep = await EndpointProcess.StartAsync("--port", "0", "--pending-seconds", "0.3", "--status-ok-seconds", "0.3", "--terminate-seconds", "0.3");
        using var client = Harness.NewClient(ep.BaseUri);
        var instance = await Fixtures.LaunchAsync(client);
        Assert.Equal(InstanceStateName.Pending, instance.State.Name);

        var sw = Stopwatch.StartNew();
        while (true)
        {
            var statuses = await client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [instance.InstanceId] });
            if (statuses.InstanceStatuses?.SingleOrDefault()?.Status.Status == SummaryStatus.Ok)
            {
                break;
            }

            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "status never became ok");
            await Task.Delay(100);
        }

        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.2), $"became ok too early ({sw.Elapsed})");
        await client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instance.InstanceId] });
        await Task.Delay(500);
        Assert.Equal(InstanceStateName.Terminated, (await Fixtures.DescribeOneAsync(client, instance.InstanceId)).State.Name);

        Assert.Equal(0, await ep.CloseStdinAndWaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(string.Empty, ep.StdoutAfterListening);
        Assert.Equal(string.Empty, ep.Stderr);
    }

    [Fact]
    public async Task It_exits_cleanly_when_stdin_closes()
    {
        await using var ep = await EndpointProcess.StartAsync("--port", "0");
        Assert.Equal(0, await ep.CloseStdinAndWaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task It_exits_cleanly_on_SIGTERM()
    {
        await using var ep = await EndpointProcess.StartAsync("--port", "0");
        using var client = Harness.NewClient(ep.BaseUri);
        await client.DescribeVpcsAsync(new DescribeVpcsRequest());
        ep.Signal(SIGTERM);
        Assert.Equal(0, await ep.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task It_listens_on_a_requested_port()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var ep = await EndpointProcess.StartAsync("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal($"LISTENING http://127.0.0.1:{port}/", ep.ListeningLine);
    }

    [Fact]
    public async Task Verbose_logs_requests_to_stderr_without_credentials()
    {
        await using var ep = await EndpointProcess.StartAsync("--port", "0", "--verbose", "--auth", "signature");
        using var client = Harness.NewClient(ep.BaseUri);
        await client.DescribeVpcsAsync(new DescribeVpcsRequest());
        await Ec2Assert.FailsWith("InvalidKeyPair.NotFound", () => client.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = ["nope"] }));
        Assert.Equal(0, await ep.CloseStdinAndWaitAsync(TimeSpan.FromSeconds(20)));

        var log = ep.Stderr;
        Assert.Contains("DescribeVpcs -> 200", log, StringComparison.Ordinal);
        Assert.Contains("DescribeKeyPairs -> 400 InvalidKeyPair.NotFound", log, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Authorization", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AWS4-HMAC-SHA256", log, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ep.StdoutAfterListening);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--port", "seventy")]
    [InlineData("--backing", "podman")]
    [InlineData("--auth", "maybe")]
    public async Task Bad_arguments_exit_with_2_and_usage_on_stderr(params string[] args)
    {
        using var process = Process.Start(EndpointProcess.StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Equal(string.Empty, await stdout);
        Assert.Contains("usage:", await stderr, StringComparison.Ordinal);
    }
}
