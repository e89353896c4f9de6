using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups.S3;

/// <summary>
/// S3's exceptions as the backup store's errors, with stable ErrorIds: no such bucket, access
/// denied, endpoint unreachable, anything else. Messages name the bucket, key and endpoint, never
/// the credentials (any access key or secret in an SDK message is redacted).
/// </summary>
internal static class S3Errors
{
    public static DevOpsToolsException Map(Exception exception, S3Location location, string? key, string? endpointUrl, ImmutableCredentials? credentials)
    {
        var where = $"{(key is null ? location.ToString() : location.Url(key))} ({(endpointUrl is null ? "AWS S3" : endpointUrl)})";
        if (exception is DevOpsToolsException or OperationCanceledException)
        {
            return ErrorClassifier.Classify(exception, where);
        }

        if (Unreachable(exception) is { } network)
        {
            return new DevOpsToolsException(ErrorIds.BackupStoreUnreachable, ErrorKind.ConnectionError,
                $"The S3 endpoint of {where} could not be reached: {Redact(network.Message, credentials)}", location.ToString(), Scrubbed(exception, credentials))
            {
                RecommendedAction = endpointUrl is null ? "Check the network and AWS_REGION." : "Check -S3EndpointUrl (or backup.endpointUrl) and that the server runs.",
            };
        }

        if (exception is not AmazonServiceException service)
        {
            return new DevOpsToolsException(ErrorIds.BackupStoreFailed, ErrorKind.NotSpecified,
                $"The S3 request for {where} failed: {Redact(exception.Message, credentials)}", location.ToString(), Scrubbed(exception, credentials));
        }

        var code = service.ErrorCode ?? string.Empty;
        var message = Redact(service.Message, credentials);
        return code switch
        {
            "NoSuchBucket" => new DevOpsToolsException(ErrorIds.BackupStoreNotFound, ErrorKind.ObjectNotFound,
                $"There is no bucket '{location.Bucket}' at {(endpointUrl is null ? "AWS S3" : endpointUrl)}; nothing was written or restored.", location.ToString(), Scrubbed(exception, credentials))
            {
                RecommendedAction = "Create the bucket first, or check the bucket name in -Path (or backup.destination).",
            },
            "NoSuchKey" => new DevOpsToolsException(ErrorIds.BackupNotFound, ErrorKind.ObjectNotFound,
                $"The object {where} is missing: {message}", key ?? location.ToString(), Scrubbed(exception, credentials)),
            "AccessDenied" or "AllAccessDisabled" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" or "AccountProblem"
                => new DevOpsToolsException(ErrorIds.BackupStoreAccessDenied, ErrorKind.PermissionDenied,
                    $"S3 refused access to {where} ({code}): {message}", location.ToString(), Scrubbed(exception, credentials))
                {
                    RecommendedAction = "Check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket's policy.",
                },
            _ when service.StatusCode == HttpStatusCode.Forbidden => new DevOpsToolsException(ErrorIds.BackupStoreAccessDenied, ErrorKind.PermissionDenied,
                $"S3 refused access to {where} (HTTP 403 {code}): {message}", location.ToString(), Scrubbed(exception, credentials)),
            _ when service.StatusCode == HttpStatusCode.NotFound && key is null => new DevOpsToolsException(ErrorIds.BackupStoreNotFound, ErrorKind.ObjectNotFound,
                $"There is no bucket '{location.Bucket}' at {(endpointUrl is null ? "AWS S3" : endpointUrl)} (HTTP 404 {code}).", location.ToString(), Scrubbed(exception, credentials)),
            _ => new DevOpsToolsException(ErrorIds.BackupStoreFailed, ErrorKind.NotSpecified,
                $"The S3 request for {where} failed ({(code.Length > 0 ? code : $"HTTP {(int)service.StatusCode}")}): {message}", location.ToString(), Scrubbed(exception, credentials)),
        };
    }

    /// <summary>The innermost network failure (refused, unresolvable, timed out), or null.</summary>
    private static Exception? Unreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or SocketException or TimeoutException || (e is TaskCanceledException && e.InnerException is TimeoutException))
            {
                return e;
            }
        }

        return null;
    }

    public static string Redact(string text, ImmutableCredentials? credentials)
    {
        if (credentials is null)
        {
            return text;
        }

        foreach (var secret in new[] { credentials.SecretKey, credentials.Token, credentials.AccessKey })
        {
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 4)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>The SDK exception as the inner one only when its text holds no credential; else a plain one with the redacted text.</summary>
    private static Exception Scrubbed(Exception exception, ImmutableCredentials? credentials) =>
        Redact(exception.ToString(), credentials) == exception.ToString() ? exception : new InvalidOperationException(Redact(exception.Message, credentials));
}

/// <summary>S3 exceptions that reach the error boundary outside a store call (the store maps its own).</summary>
internal sealed class S3ExceptionClassifier : IExceptionClassifier
{
    public DevOpsToolsException? TryClassify(Exception exception, object? target) => exception switch
    {
        AmazonS3Exception s3 => new DevOpsToolsException(ErrorIds.BackupStoreFailed, ErrorKind.NotSpecified, $"S3 {s3.ErrorCode}: {s3.Message}", target, s3),
        _ => null,
    };
}
