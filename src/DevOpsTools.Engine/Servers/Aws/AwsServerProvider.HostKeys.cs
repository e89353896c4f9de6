using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>Host keys attested through EC2: the ed25519 key cloud-init prints on the console output.</summary>
public sealed partial class AwsServerProvider
{
    /// <summary>
    /// cloud-init prints the host's public keys between "-----BEGIN SSH HOST KEY KEYS-----" and
    /// "-----END SSH HOST KEY KEYS-----" on the console: trust on first use through the provider,
    /// not through the network. Null when the console has none in time (ServerManager then fails
    /// with HostKeyUnattested unless -TrustFirstHostKey is given).
    /// </summary>
    public async Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, EngineContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (server.Id is null)
        {
            return null;
        }

        var retry = NewRetry(NullOutputSink.Instance);
        var until = DateTime.UtcNow + timeout;
        // Latest=true gives the live console on Nitro instances; older types refuse it (UnsupportedOperation).
        var latest = true;
        while (true)
        {
            GetConsoleOutputResponse? console = null;
            try
            {
                console = await retry.RunAsync("GetConsoleOutput", ct => Ec2.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = server.Id, Latest = latest ? true : null }, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonEC2Exception ex) when (latest && ex.ErrorCode is "UnsupportedOperation" or "InvalidParameterValue" or "InvalidParameterCombination")
            {
                latest = false;
                continue;
            }

            if (!string.IsNullOrEmpty(console.Output))
            {
                string? text = null;
                try
                {
                    text = Encoding.UTF8.GetString(Convert.FromBase64String(console.Output));
                }
                catch (FormatException)
                {
                }

                if (text is not null && ConsoleHostKeys.Ed25519Key(text) is { } key)
                {
                    return key;
                }
            }

            if (DateTime.UtcNow >= until)
            {
                return null;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public string MissingHostKeyReason(Server server, TimeSpan timeout) =>
        $"the EC2 console output of {server.Id} showed no SSH host keys within {timeout.TotalSeconds:0} s (cloud-init prints them between -----BEGIN SSH HOST KEY KEYS----- and -----END SSH HOST KEY KEYS-----; the image may not run cloud-init, or EC2 has not published the console yet)";
}
