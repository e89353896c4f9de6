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
        "the profile named by -ProfileName (provider.aws.profile), AWS_PROFILE or 'default' in the shared credentials and config files, " +
        "container credentials, EC2 instance metadata";

    public static IAmazonEC2 Create(AwsSettings settings)
    {
        var config = new AmazonEC2Config
        {
            // Our own retry (AwsRetry) handles throttling visibly and cancellably.
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var region = ResolveRegion(settings);
        if (!string.IsNullOrEmpty(settings.EndpointUrl))
        {
            if (!Uri.TryCreate(settings.EndpointUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"-EndpointUrl '{settings.EndpointUrl}' is not an absolute http:// or https:// URL.", settings.EndpointUrl);
            }

            config.ServiceURL = uri.ToString();
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.InvalidArgument,
                $"No AWS region: looked at -Region, provider.aws.region in the environment file, AWS_REGION, AWS_DEFAULT_REGION and the region of profile '{ProfileName(settings)}' in {SharedFiles()}.",
                settings.ToString())
            { RecommendedAction = "Add -Region eu-west-1 (for example), or set AWS_REGION." };
        }

        return new AmazonEC2Client(ResolveCredentials(settings, config), config);
    }

    /// <summary>The region the settings resolve to (parameter, environment, profile), or null.</summary>
    public static string? ResolveRegion(AwsSettings settings)
    {
        var region = settings.Region
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION"))
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"));
        if (region is not null)
        {
            return region;
        }

        return new CredentialProfileStoreChain().TryGetProfile(ProfileName(settings), out var profile) ? profile.Region?.SystemName : null;
    }

    private static string ProfileName(AwsSettings settings) =>
        settings.Profile ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_PROFILE")) ?? "default";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>The shared files where the SDK looks for them (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws; config beside credentials).</summary>
    private static string SharedFiles()
    {
        try
        {
            var files = new SharedCredentialsFile();
            return $"{files.FilePath} and {files.ConfigFilePath}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            return "~/.aws/credentials and ~/.aws/config";
        }
    }

    /// <summary>The credentials of the standard chain (or the named profile) for any AWS client (EC2 here, S3 for backups).</summary>
    internal static AWSCredentials ResolveCredentials(AwsSettings settings, ClientConfig config)
    {
        if (settings.Profile is not null)
        {
            if (new CredentialProfileStoreChain().TryGetAWSCredentials(settings.Profile, out var fromProfile))
            {
                return fromProfile;
            }

            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError,
                $"AWS profile '{settings.Profile}' was not found (or has no credentials) in {SharedFiles()}.", settings.Profile)
            { RecommendedAction = "Check the profile name, or configure it with `aws configure --profile " + settings.Profile + "`." };
        }

        try
        {
            return DefaultAWSCredentialsIdentityResolver.GetCredentials(config);
        }
        catch (AmazonClientException ex)
        {
            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError,
                $"No AWS credentials found. Looked at: {ChainDescription} (shared files: {SharedFiles()}).", null, ex)
            { RecommendedAction = "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass -ProfileName." };
        }
    }
}
