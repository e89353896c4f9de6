using System.Net.Sockets;

namespace DevOpsTools.Engine.Core;

/// <summary>
/// Turns an SDK's exceptions into <see cref="DevOpsToolsException"/> with a stable ErrorId and
/// kind. Each capability that uses an SDK owns one (AWS in Servers/Aws, SSH.NET in Ssh, ...), so
/// Core references no SDK. Return null for exceptions that are not yours.
/// </summary>
public interface IExceptionClassifier
{
    DevOpsToolsException? TryClassify(Exception exception, object? target);
}

/// <summary>
/// The one entry point that maps any exception to a DevOpsToolsException: the capabilities'
/// classifiers first (every IExceptionClassifier in the engine assembly, found once), then the
/// runtime's own exceptions.
/// </summary>
public static class ErrorClassifier
{
    private static readonly Lazy<IReadOnlyList<IExceptionClassifier>> Classifiers = new(() =>
        typeof(ErrorClassifier).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(IExceptionClassifier).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IExceptionClassifier)Activator.CreateInstance(t)!)
            .ToList());

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
        }

        foreach (var classifier in Classifiers.Value)
        {
            if (classifier.TryClassify(exception, target) is { } classified)
            {
                return classified;
            }
        }

        return exception switch
        {
            SocketException => new DevOpsToolsException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"Connection failed: {exception.Message}", target, exception),
            HttpRequestException http => new DevOpsToolsException(ErrorIds.ProviderUnavailable, ErrorKind.ConnectionError, $"The endpoint could not be reached: {http.Message}", target, exception),
            TimeoutException => new DevOpsToolsException(ErrorIds.RemoteCommandTimeout, ErrorKind.OperationTimeout, exception.Message, target, exception),
            FileNotFoundException fnf => new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, fnf.Message, target ?? fnf.FileName, exception),
            UnauthorizedAccessException => new DevOpsToolsException(ErrorIds.UnexpectedError, ErrorKind.PermissionDenied, exception.Message, target, exception),
            ArgumentException => new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, exception.Message, target, exception),
            _ => new DevOpsToolsException(ErrorIds.UnexpectedError, ErrorKind.NotSpecified, exception.Message, target, exception),
        };
    }
}
