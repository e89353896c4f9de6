using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers.Aws;

namespace DevOpsTools.Engine.Data.Backups.S3;

/// <summary>
/// The S3 client of a backup store: credentials and region from the standard AWS chain (as the
/// EC2 provider gets them: AWS_ACCESS_KEY_ID..., AWS_PROFILE or [default], AWS_REGION...), and for
/// an S3-compatible server its endpoint URL with path-style requests.
/// </summary>
internal static class S3ClientFactory
{
    /// <summary>Null when the URL is an absolute http(s) URL; otherwise what is wrong with it.</summary>
    public static string? CheckEndpoint(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && string.IsNullOrEmpty(uri.UserInfo)
            ? null
            : $"'{url}' is not an absolute http:// or https:// URL without user information.";

    public static (IAmazonS3 Client, ImmutableCredentials? Credentials) Create(string? endpointUrl)
    {
        var config = new AmazonS3Config
        {
            // S3-compatible servers do not all know the flexible (CRC) checksums the SDK adds by
            // default; the dump's SHA-256 in the manifest is what restores check.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
            // A part is PartSize bytes: give a slow link time, Ctrl+C still ends it at once.
            Timeout = TimeSpan.FromMinutes(5),
        };

        var region = AwsClientFactory.ResolveRegion(new AwsSettings());
        if (endpointUrl is not null)
        {
            if (CheckEndpoint(endpointUrl) is { } wrong)
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"-S3EndpointUrl {wrong}", endpointUrl);
            }

            config.ServiceURL = endpointUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            throw new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.InvalidArgument,
                "No AWS region for the S3 backup store: looked at AWS_REGION, AWS_DEFAULT_REGION and the region of the AWS_PROFILE (or default) profile.", null)
            { RecommendedAction = "Set AWS_REGION to the bucket's region, or give -S3EndpointUrl for an S3-compatible server." };
        }

        var credentials = AwsClientFactory.ResolveCredentials(new AwsSettings(), config);
        ImmutableCredentials? resolved = null;
        try
        {
            // Known here only to keep them out of every message (S3Errors redacts them).
            resolved = credentials.GetCredentials();
        }
        catch (AmazonClientException)
        {
            // Resolved lazily by the first request, whose error says why.
        }

        return (new AmazonS3Client(credentials, config), resolved);
    }
}
