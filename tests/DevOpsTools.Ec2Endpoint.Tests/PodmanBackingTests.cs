using System.Diagnostics;
using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Podman;
using Xunit;

namespace DevOpsTools.Ec2Endpoint.Tests;

/// <summary>
/// Runs where ssh and a working rootful podman are installed; otherwise skipped with the reason
/// (build.ps1 -Task Test fails on that skip: only credential lanes may skip).
/// </summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    public PodmanFactAttribute()
    {
        if (PodmanEnvironment.WhyNotUsable is { } reason)
        {
            Skip = reason;
        }
    }
}

internal static class PodmanEnvironment
{
    private static readonly Lazy<string?> Reason = new(Probe);

    public static string? WhyNotUsable => Reason.Value;

    /// <summary>
    /// The instance image: DEVOPSTOOLS_EC2_BACKING_IMAGE, else the module's Podman server image
    /// (Debian 12, systemd, sshd, sudo), built with debootstrap on first use and cached by podman.
    /// </summary>
    public static async Task<string> ImageAsync()
    {
        if (Environment.GetEnvironmentVariable("DEVOPSTOOLS_EC2_BACKING_IMAGE") is { Length: > 0 } image)
        {
            return image;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        return await new PodmanImage(PodmanCli.Locate()).EnsureAsync(NullOutputSink.Instance, cts.Token);
    }

    public static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                return (124, stdout.Result, "timed out");
            }

            return (p.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (127, string.Empty, ex.Message);
        }
    }

    private static string? Probe()
    {
        foreach (var tool in new[] { "ssh", "ssh-keygen" })
        {
            if (Run(tool, "-V").Code == 127 && Run(tool, "-?").Code == 127)
            {
                return $"podman backing test skipped: '{tool}' is not installed";
            }
        }

        if (Run("podman", "--version").Code != 0)
        {
            return "podman backing test skipped: podman is not installed";
        }

        var info = Run("podman", "info", "--format", "{{.Host.OCIRuntime.Name}}");
        return info.Code == 0
            ? null
            : $"podman backing test skipped: podman does not work here (CONTAINERS_CONF={Environment.GetEnvironmentVariable("CONTAINERS_CONF") ?? "unset"}): {info.Err.Trim()}";
    }
}

public class PodmanBackingTests
{
    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<string> what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"{what()} did not happen within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(250);
        }
    }

    private static bool ContainerExists(string name) =>
        PodmanEnvironment.Run("podman", "container", "exists", name).Code == 0;

    [PodmanFact]
    public async Task Instances_are_real_containers_reachable_over_ssh_with_the_host_keys_from_the_console()
    {
        var dir = Directory.CreateTempSubdirectory("ec2-podman-test-");
        try
        {
            var keyFile = Path.Combine(dir.FullName, "id_ed25519");
            Assert.Equal(0, PodmanEnvironment.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "podman-test", "-f", keyFile).Code);
            var publicKey = (await File.ReadAllTextAsync(keyFile + ".pub")).Trim();

            var image = await PodmanEnvironment.ImageAsync();
            await using var ep = await EndpointProcess.StartAsync("--port", "0", "--backing", "podman", "--backing-image", image,
                "--pending-seconds", "0", "--status-ok-seconds", "0", "--terminate-seconds", "0", "--verbose");
            using var client = Harness.NewClient(ep.BaseUri);

            await client.ImportKeyPairAsync(new ImportKeyPairRequest { KeyName = "podman-test", PublicKeyMaterial = TestKeys.Material(publicKey) });
            var group = await Fixtures.CreateGroupAsync(client, "ssh");
            await client.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
            {
                GroupId = group,
                IpPermissions =
                [
                    new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "127.0.0.1/32" }] },
                    new IpPermission { IpProtocol = "tcp", FromPort = 8080, ToPort = 8080, Ipv4Ranges = [new IpRange { CidrIp = "127.0.0.0/8" }] },
                    new IpPermission { IpProtocol = "tcp", FromPort = 9090, ToPort = 9090, Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/8" }] },
                ],
            });
            var launched = await Fixtures.LaunchAsync(client, r =>
            {
                r.KeyName = "podman-test";
                r.SecurityGroupIds = [group];
                r.UserData = Convert.ToBase64String(Encoding.UTF8.GetBytes("#cloud-config\nhostname: podman-test\n"));
            });
            var id = launched.InstanceId;

            await PollAsync(
                () => client.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [id], IncludeAllInstances = true }),
                s =>
                {
                    var status = s.InstanceStatuses.Single();
                    Assert.True(status.InstanceState.Name != InstanceStateName.Terminated, "the launch failed; endpoint stderr: " + ep.Stderr);
                    return status.Status.Status == SummaryStatus.Ok;
                },
                TimeSpan.FromSeconds(120),
                () => "status ok; endpoint stderr: " + ep.Stderr);

            var instance = await Fixtures.DescribeOneAsync(client, id);
            Assert.Equal(InstanceStateName.Running, instance.State.Name);
            Assert.Matches(@"^127\.0\.0\.([2-9]|[1-9]\d{1,2})$", instance.PublicIpAddress);
            Assert.True(ContainerExists("devopstools-ec2-" + id));

            // Pin the host keys printed on the console, as the module does, and log in as admin with sudo.
            var console = await client.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = id });
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(console.Output));
            var lines = text.Split("\r\n");
            var begin = Array.FindIndex(lines, l => l.EndsWith("-----BEGIN SSH HOST KEY KEYS-----", StringComparison.Ordinal));
            var end = Array.FindIndex(lines, l => l.EndsWith("-----END SSH HOST KEY KEYS-----", StringComparison.Ordinal));
            Assert.True(begin >= 0 && end > begin + 1, text);
            var hostKeys = lines[(begin + 1)..end].Select(l => l[(l.IndexOf("ec2: ", StringComparison.Ordinal) + 5)..]).ToList();
            var knownHosts = Path.Combine(dir.FullName, "known_hosts");
            await File.WriteAllLinesAsync(knownHosts, hostKeys.Select(k => $"{instance.PublicIpAddress} {k}"));

            string[] SshArgs(string known, string command) =>
            [
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
                "-i", keyFile, "admin@" + instance.PublicIpAddress, command,
            ];

            var ssh = PodmanEnvironment.Run("ssh", SshArgs(knownHosts, "sudo -n id -u && cat /var/lib/cloud/instance/user-data.txt && cat /var/lib/cloud/instance/instance-id"));
            Assert.True(ssh.Code == 0, ssh.Err);
            Assert.StartsWith("0\n", ssh.Out, StringComparison.Ordinal);
            Assert.Contains("hostname: podman-test", ssh.Out, StringComparison.Ordinal);
            Assert.Contains(id, ssh.Out, StringComparison.Ordinal);

            // Like a VM: it can run containers (CAP_SYS_ADMIN, /dev/fuse), and it answers on the ports
            // its group opens to this machine (8080) and not on one opened to another range (9090).
            var caps = PodmanEnvironment.Run("ssh", SshArgs(knownHosts, "test -c /dev/fuse && sudo -n grep CapEff /proc/self/status"));
            Assert.True(caps.Code == 0, caps.Err + caps.Out);
            var capEff = Convert.ToUInt64(caps.Out.Trim().Split('\t', ' ').Last(), 16);
            Assert.True((capEff & (1UL << 21)) != 0, "CAP_SYS_ADMIN missing: " + caps.Out);
            Assert.True((capEff & (1UL << 12)) != 0, "CAP_NET_ADMIN missing: " + caps.Out);
            var serve = PodmanEnvironment.Run("ssh", SshArgs(knownHosts,
                "for p in 8080 9090; do nohup python3 -m http.server --bind 0.0.0.0 $p >/dev/null 2>&1 & done; sleep 1"));
            Assert.True(serve.Code == 0, serve.Err);
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                var answer = await PollAsync(
                    async () => { try { return (int)(await http.GetAsync($"http://{instance.PublicIpAddress}:8080/")).StatusCode; } catch (HttpRequestException) { return 0; } },
                    code => code == 200, TimeSpan.FromSeconds(20), () => "an answer on port 8080");
                Assert.Equal(200, answer);
                await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://{instance.PublicIpAddress}:9090/"));
            }

            // A different pinned key is refused: the console keys are what the guest really presents.
            var wrongKnown = Path.Combine(dir.FullName, "wrong_known_hosts");
            await File.WriteAllTextAsync(wrongKnown, $"{instance.PublicIpAddress} {TestKeys.Ed25519().Line}\n");
            Assert.NotEqual(0, PodmanEnvironment.Run("ssh", SshArgs(wrongKnown, "true")).Code);

            // Terminating removes the container.
            await client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [id] });
            await PollAsync(() => Task.FromResult(ContainerExists("devopstools-ec2-" + id)), exists => !exists, TimeSpan.FromSeconds(60), () => "container removal; endpoint stderr: " + ep.Stderr);

            // Containers still running when the endpoint exits are removed too.
            var second = await Fixtures.LaunchAsync(client, r => r.KeyName = "podman-test");
            await PollAsync(() => Task.FromResult(ContainerExists("devopstools-ec2-" + second.InstanceId)), exists => exists, TimeSpan.FromSeconds(60), () => "second container start; endpoint stderr: " + ep.Stderr);
            Assert.Equal(0, await ep.CloseStdinAndWaitAsync(TimeSpan.FromSeconds(120)));
            Assert.False(ContainerExists("devopstools-ec2-" + second.InstanceId));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
