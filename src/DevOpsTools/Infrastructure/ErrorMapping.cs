using System.Management.Automation;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Commands.Infrastructure;

/// <summary>The one place where engine errors become PowerShell ErrorRecords.</summary>
internal static class ErrorMapping
{
    public static ErrorCategory ToCategory(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.SecurityError => ErrorCategory.SecurityError,
        ErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        ErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        ErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        ErrorKind.QuotaExceeded => ErrorCategory.QuotaExceeded,
        _ => ErrorCategory.NotSpecified,
    };

    public static ErrorRecord ToErrorRecord(Exception exception, object? target = null)
    {
        var error = ErrorClassifier.Classify(exception, target);
        var record = new ErrorRecord(error, error.ErrorId, ToCategory(error.Kind), error.Target ?? target);
        if (error.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = error.RecommendedAction };
        }

        return record;
    }
}
