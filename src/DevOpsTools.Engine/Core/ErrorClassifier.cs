using System.Net.Sockets;
using Amazon.Runtime;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Core;

/// <summary>
/// The one place where exceptions from the SDKs (AWS, SSH.NET) and the runtime are
/// turned into <see cref="DevOpsToolsException"/> with a stable ErrorId and an ErrorKind.
/// </summary>
public static class ErrorClassifier
{
    public static DevOpsToolsException Classify(Exception exception, object? target = null)
    {
        switch (exception)
        {
            case DevOpsToolsException known:
                return known;
            case AggregateException { InnerExceptions.Count: 1 } single:
                return Classify(single.InnerExceptions[0], target);
            case OperationCanceledException:
                return new DevOpsToolsException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped, "The operation was cancelled.", target, exception);
            case AmazonServiceException aws:
                return ClassifyAws(aws, target);
            case AmazonClientException awsClient when awsClient.Message.Contains("credential", StringComparison.OrdinalIgnoreCase):
                return new DevOpsToolsException(ErrorIds.CloudCredentialsMissing, ErrorKind.AuthenticationError, awsClient.Message, target, exception);
            case SshAuthenticationException:
                return new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError, $"SSH authentication failed: {exception.Message}", target, exception);
            case SshOperationTimeoutException:
                return new DevOpsToolsException(ErrorIds.RemoteCommandTimeout, ErrorKind.OperationTimeout, $"SSH operation timed out: {exception.Message}", target, exception);
            case SshConnectionException or SocketException or ProxyException:
                return new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"SSH connection failed: {exception.Message}", target, exception);
            case HttpRequestException http:
                return new DevOpsToolsException(ErrorIds.ProviderUnavailable, ErrorKind.ConnectionError, $"The endpoint could not be reached: {http.Message}", target, exception);
            case TimeoutException:
                return new DevOpsToolsException(ErrorIds.RemoteCommandTimeout, ErrorKind.OperationTimeout, exception.Message, target, exception);
            case FileNotFoundException fnf:
                return new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, fnf.Message, target ?? fnf.FileName, exception);
            case UnauthorizedAccessException:
                return new DevOpsToolsException(ErrorIds.UnexpectedError, ErrorKind.PermissionDenied, exception.Message, target, exception);
            case ArgumentException:
                return new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, exception.Message, target, exception);
            default:
                return new DevOpsToolsException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified, exception.Message, target, exception);
        }
    }

    private static DevOpsToolsException ClassifyAws(AmazonServiceException aws, object? target)
    {
        var code = aws.ErrorCode ?? string.Empty;
        var message = $"AWS {code}: {aws.Message}";
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
        return new DevOpsToolsException(id, kind, message, target, aws);
    }
}
