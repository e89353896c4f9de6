namespace DevOpsTools;

/// <summary>
/// One line of a remote command's output as it arrived (Invoke-ServerCommand writes these to the
/// information stream, tagged ServerOutput and StdOut or StdErr, while the command runs).
/// </summary>
public sealed class ServerOutputLine
{
    public required Server Server { get; init; }

    /// <summary>StdOut or StdErr.</summary>
    public required string Stream { get; init; }

    public required string Line { get; init; }

    public override string ToString() => Stream == "StdErr" ? $"{Server.Name} (stderr): {Line}" : $"{Server.Name}: {Line}";
}
