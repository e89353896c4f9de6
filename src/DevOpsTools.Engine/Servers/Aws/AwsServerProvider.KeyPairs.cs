using System.Security.Cryptography;
using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>The environment's imported key pair, tagged with a hash of its public key.</summary>
public sealed partial class AwsServerProvider
{
    /// <summary>True when this call imported the key pair (false: it was there already).</summary>
    private async Task<bool> EnsureKeyPairAsync(EnvironmentContext environment, AwsRetry retry, IOutputSink output, CancellationToken cancellationToken)
    {
        var name = EnvironmentResourceName(environment.Name);
        var ours = Sha256Base64(environment.PublicKey.Trim());
        try
        {
            var existing = await retry.RunAsync("DescribeKeyPairs", ct => Ec2.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = [name] }, ct), cancellationToken).ConfigureAwait(false);
            var pair = existing.KeyPairs?.FirstOrDefault();
            if (pair is not null)
            {
                var marker = pair.Tags?.FirstOrDefault(t => t.Key == PublicKeyTag)?.Value;
                if (marker == ours)
                {
                    return false;
                }

                var why = marker is null
                    ? "was not imported by DevOpsTools (it has no devopstools tag)"
                    : "holds another DevOpsTools key for this environment (created from another machine or another DEVOPSTOOLS_HOME, or the local key was regenerated)";
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceExists,
                    $"EC2 key pair '{name}' already exists and {why}; nothing was created. Delete or rename that key pair, or use another environment name.", name);
            }
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.NotFound")
        {
        }

        var import = new ImportKeyPairRequest
        {
            KeyName = name,
            // The .NET SDK sends this string as is; the Query API wants the blob base64-encoded.
            PublicKeyMaterial = Convert.ToBase64String(Encoding.ASCII.GetBytes(environment.PublicKey.Trim())),
            TagSpecifications =
            [
                new TagSpecification
                {
                    ResourceType = ResourceType.KeyPair,
                    Tags = [new Ec2Tag(ResourceLabels.Managed, "true"), new Ec2Tag(ResourceLabels.Environment, environment.Name), new Ec2Tag(PublicKeyTag, ours)],
                },
            ],
        };
        try
        {
            await retry.RunAsync("ImportKeyPair", ct => Ec2.ImportKeyPairAsync(import, ct), cancellationToken).ConfigureAwait(false);
            output.WriteVerbose($"Imported key pair {name}.");
            return true;
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.Duplicate")
        {
            // Another process, creating servers of the same environment, imported it first.
            return false;
        }
    }

    private static string Sha256Base64(string text) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
