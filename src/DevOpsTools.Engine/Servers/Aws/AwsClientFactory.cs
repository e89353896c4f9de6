using Amazon;
using Amazon.EC2;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>
/// Builds the EC2 client from the standard AWS chain: explicit profile, environment variables,
/// web identity, AWS_PROFILE or [default] in the shared files, container and instance metadata.
/// </summary>
internal static class AwsClientFactory
{
    public const string ChainDescription =
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) environment variables, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, " +
        "the profile named by -ProfileName, AWS_PROFILE or 'default' in ~/.aws/credentials and ~/.aws/config, container credentials, EC2 instance metadata";

    public static IAmazonEC2 Create(AwsSettings settings)
    {
        var config = new AmazonEC2Config
        {
            // Our own retry (AwsRetry) handles throttling visibly and cancellably.
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var region = settings.Region
            ?? Environment.GetEnvironmentVariable("AWS_REGION")
            ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        if (!string.IsNullOrEmpty(settings.EndpointUrl))
        {
            config.ServiceURL = settings.EndpointUrl;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else if (settings.Profile is not null && new CredentialProfileStoreChain().TryGetProfile(settings.Profile, out var profile) && profile.Region is not null)
        {
            config.RegionEndpoint = profile.Region;
        }
        else
        {
            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.InvalidArgument,
                "No AWS region: pass -Region, set region in the environment file (provider.aws.region), AWS_REGION, or a region in the profile.")
            { RecommendedAction = "Add -Region eu-west-1 (for example)." };
        }

        return new AmazonEC2Client(ResolveCredentials(settings, config), config);
    }

    private static AWSCredentials ResolveCredentials(AwsSettings settings, AmazonEC2Config config)
    {
        if (settings.Profile is not null)
        {
            if (new CredentialProfileStoreChain().TryGetAWSCredentials(settings.Profile, out var fromProfile))
            {
                return fromProfile;
            }

            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError,
                $"AWS profile '{settings.Profile}' was not found in ~/.aws/credentials or ~/.aws/config.", settings.Profile);
        }

        try
        {
            return DefaultAWSCredentialsIdentityResolver.GetCredentials(config);
        }
        catch (AmazonClientException ex)
        {
            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError,
                $"No AWS credentials found. Looked at: {ChainDescription}.", null, ex)
            { RecommendedAction = "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass -ProfileName." };
        }
    }
}
