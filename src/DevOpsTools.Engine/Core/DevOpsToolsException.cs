namespace DevOpsTools.Engine.Core;

/// <summary>
/// What kind of failure an error is. The cmdlet layer maps each kind to one PowerShell
/// ErrorCategory; the engine stays free of PowerShell types.
/// </summary>
public enum ErrorKind
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ConnectionError,
    AuthenticationError,
    PermissionDenied,
    SecurityError,
    OperationTimeout,
    OperationStopped,
    InvalidOperation,
    NotInstalled,
    LimitsExceeded,
    QuotaExceeded,
}

/// <summary>An engine failure with a stable ErrorId that scripts can match on.</summary>
public class DevOpsToolsException : Exception
{
    public DevOpsToolsException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>Stable PascalCase id, one of the constants in <see cref="ErrorIds"/>.</summary>
    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>The object the error is about (a server, a file path, a parameter name).</summary>
    public object? Target { get; }

    /// <summary>What the user can do about it, shown as the error's recommended action.</summary>
    public string? RecommendedAction { get; init; }
}

/// <summary>Several independent failures reported together, e.g. every error of one YAML file.</summary>
public sealed class DevOpsToolsAggregateException : DevOpsToolsException
{
    public DevOpsToolsAggregateException(string errorId, ErrorKind kind, string message, IReadOnlyList<DevOpsToolsException> errors, object? target = null)
        : base(errorId, kind, message, target)
    {
        Errors = errors;
    }

    public IReadOnlyList<DevOpsToolsException> Errors { get; }
}
