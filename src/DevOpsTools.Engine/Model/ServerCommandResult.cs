namespace DevOpsTools;

/// <summary>The outcome of one command on one server (Invoke-ServerCommand).</summary>
public sealed class ServerCommandResult
{
    public required Server Server { get; init; }

    public required string Command { get; init; }

    public int ExitCode { get; init; }

    public string StdOut { get; init; } = string.Empty;

    public string StdErr { get; init; } = string.Empty;

    public TimeSpan Duration { get; init; }

    public bool Succeeded => ExitCode == 0;
}
