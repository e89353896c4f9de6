using System.Diagnostics;
using Amazon.EC2;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Aws;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

public class ConsoleHostKeysTests
{
    private static readonly string Key = OpenSshKeys.GenerateEd25519("x").PublicKeyLine.Split(' ')[1];

    [Fact]
    public void Reads_the_key_from_a_serial_console_with_syslog_prefixes_and_crlf()
    {
        var console = string.Join("\r\n",
            "[    0.000000] Linux version 6.1.0-31-cloud-amd64",
            "<14>Jun  1 12:00:09 ec2: ",
            "<14>Jun  1 12:00:09 ec2: #############################################################",
            "<14>Jun  1 12:00:09 ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
            "<14>Jun  1 12:00:09 ec2: 256 SHA256:abc root@ip-172-31-0-10 (ED25519)",
            "<14>Jun  1 12:00:09 ec2: -----END SSH HOST KEY FINGERPRINTS-----",
            "<14>Jun  1 12:00:09 ec2: -----BEGIN SSH HOST KEY KEYS-----",
            "<14>Jun  1 12:00:09 ec2: ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= root@ip-172-31-0-10",
            $"<14>Jun  1 12:00:09 ec2: ssh-ed25519 {Key} root@ip-172-31-0-10",
            "<14>Jun  1 12:00:09 ec2: ssh-rsa AAAAB3NzaC1yc2E= root@ip-172-31-0-10",
            "<14>Jun  1 12:00:09 ec2: -----END SSH HOST KEY KEYS-----",
            "");

        Assert.Equal($"ssh-ed25519 {Key}", ConsoleHostKeys.Ed25519Key(console));
    }

    [Fact]
    public void Reads_the_plain_cloud_init_format_too()
    {
        var console = $"-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 {Key} root@host\n-----END SSH HOST KEY KEYS-----\n";
        Assert.Equal($"ssh-ed25519 {Key}", ConsoleHostKeys.Ed25519Key(console));
    }

    [Theory]
    [InlineData("")]
    [InlineData("booting...\r\n")]
    [InlineData("<14>Jun  1 12:00:09 ec2: -----BEGIN SSH HOST KEY KEYS-----\r\n<14>Jun  1 12:00:09 ec2: ssh-ed25519 AAAAC3Nza")]
    [InlineData("-----BEGIN SSH HOST KEY KEYS-----\r\nssh-ed25519 not!base64 root@h\r\n-----END SSH HOST KEY KEYS-----")]
    [InlineData("-----BEGIN SSH HOST KEY KEYS-----\r\nssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ== root@h\r\n-----END SSH HOST KEY KEYS-----")]
    public void Incomplete_or_garbled_output_gives_no_key(string console) => Assert.Null(ConsoleHostKeys.Ed25519Key(console));

    [Fact]
    public void After_a_reboot_the_last_block_wins()
    {
        var old = OpenSshKeys.GenerateEd25519("old").PublicKeyLine.Split(' ')[1];
        var console = $"-----BEGIN SSH HOST KEY KEYS-----\r\nssh-ed25519 {old}\r\n-----END SSH HOST KEY KEYS-----\r\n" +
                      $"-----BEGIN SSH HOST KEY KEYS-----\r\nssh-ed25519 {Key}\r\n-----END SSH HOST KEY KEYS-----\r\n";
        Assert.Equal($"ssh-ed25519 {Key}", ConsoleHostKeys.Ed25519Key(console));
    }
}

public class AwsRetryTests
{
    private static AmazonEC2Exception Throttled() => new("Request limit exceeded.") { ErrorCode = "RequestLimitExceeded" };

    [Fact]
    public void Delays_are_full_jitter_below_a_doubling_cap_that_stops_at_the_maximum()
    {
        var policy = new AwsRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var high = new AwsRetry(NullOutputSink.Instance, policy, () => 0.999999);
        var low = new AwsRetry(NullOutputSink.Instance, policy, () => 0.0);
        double[] caps = [100, 200, 400, 800, 1000, 1000, 1000];
        for (var attempt = 1; attempt <= caps.Length; attempt++)
        {
            Assert.InRange(high.Delay(attempt).TotalMilliseconds, caps[attempt - 1] * 0.99, caps[attempt - 1]);
            Assert.Equal(TimeSpan.Zero, low.Delay(attempt));
        }

        Assert.InRange(high.Delay(1000).TotalMilliseconds, 0, 1000);
        var random = new AwsRetry(NullOutputSink.Instance, policy);
        var samples = Enumerable.Range(0, 200).Select(_ => random.Delay(3).TotalMilliseconds).ToList();
        Assert.All(samples, d => Assert.InRange(d, 0, 400));
        Assert.True(samples.Distinct().Count() > 100, "delays are jittered, not in lock-step");
    }

    [Fact]
    public async Task Retries_throttling_then_succeeds_and_says_so()
    {
        var sink = new RecordingSink();
        var retry = new AwsRetry(sink, new AwsRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(1) });
        var calls = 0;

        var result = await retry.RunAsync("DescribeInstances", _ => ++calls <= 2 ? throw Throttled() : Task.FromResult(42), CancellationToken.None);

        Assert.Equal(42, result);
        Assert.Equal(3, calls);
        Assert.Equal(2, sink.Verbose.Count(v => v.Contains("DescribeInstances throttled", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        var retry = new AwsRetry(NullOutputSink.Instance, new AwsRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(1) });
        var calls = 0;

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => retry.RunAsync<int>("RunInstances", _ => { calls++; throw new AmazonEC2Exception("bad") { ErrorCode = "InvalidParameterValue" }; }, CancellationToken.None));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task The_wait_between_attempts_is_cancellable()
    {
        var retry = new AwsRetry(NullOutputSink.Instance, new AwsRetryPolicy { BaseDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(10) }, () => 0.9);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retry.RunAsync<int>("RunInstances", _ => throw Throttled(), cancel.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"cancelled after {watch.Elapsed}");
    }
}
