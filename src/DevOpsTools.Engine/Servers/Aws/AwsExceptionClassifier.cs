using Amazon.Runtime;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>The AWS SDK's exceptions, by EC2 error code, as the AWS provider's errors.</summary>
internal sealed class AwsExceptionClassifier : IExceptionClassifier
{
    public DevOpsToolsException? TryClassify(Exception exception, object? target) => exception switch
    {
        AmazonServiceException aws => ClassifyService(aws, target),
        AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) =>
            new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError, client.Message, target, exception),
        _ => null,
    };

    private static DevOpsToolsException ClassifyService(AmazonServiceException aws, object? target)
    {
        var code = aws.ErrorCode ?? string.Empty;
        (string id, ErrorKind kind) = code switch
        {
            _ when code.EndsWith(".NotFound", StringComparison.Ordinal) => (ErrorIds.CloudRequestFailed, ErrorKind.ObjectNotFound),
            _ when code.EndsWith(".Duplicate", StringComparison.Ordinal) => (ErrorIds.CloudRequestFailed, ErrorKind.ResourceExists),
            "RequestLimitExceeded" or "Throttling" or "ThrottlingException" => (ErrorIds.CloudThrottled, ErrorKind.LimitsExceeded),
            "AuthFailure" or "UnauthorizedOperation" or "InvalidClientTokenId" or "SignatureDoesNotMatch" => (ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError),
            "DependencyViolation" => (ErrorIds.CloudRequestFailed, ErrorKind.InvalidOperation),
            "InsufficientInstanceCapacity" or "InstanceLimitExceeded" => (ErrorIds.CloudRequestFailed, ErrorKind.LimitsExceeded),
            _ when code.StartsWith("Invalid", StringComparison.Ordinal) => (ErrorIds.CloudRequestFailed, ErrorKind.InvalidArgument),
            _ => (ErrorIds.CloudRequestFailed, ErrorKind.NotSpecified),
        };
        return new DevOpsToolsException(id, kind, $"AWS {code}: {aws.Message}", target, aws);
    }
}
