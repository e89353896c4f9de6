using DevOpsTools.Engine.Core;
using Renci.SshNet.Common;

namespace DevOpsTools.Engine.Ssh;

/// <summary>SSH.NET's exceptions, as the SSH layer's errors.</summary>
internal sealed class SshExceptionClassifier : IExceptionClassifier
{
    public DevOpsToolsException? TryClassify(Exception exception, object? target) => exception switch
    {
        SshAuthenticationException => new DevOpsToolsException(ErrorIds.SshAuthenticationFailed, ErrorKind.AuthenticationError, $"SSH authentication failed: {exception.Message}", target, exception),
        SshOperationTimeoutException => new DevOpsToolsException(ErrorIds.RemoteCommandTimeout, ErrorKind.OperationTimeout, $"SSH operation timed out: {exception.Message}", target, exception),
        SshConnectionException or ProxyException => new DevOpsToolsException(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError, $"SSH connection failed: {exception.Message}", target, exception),
        _ => null,
    };
}
