namespace DevOpsTools;

/// <summary>One line of an app's log (Get-AppLog), with the instance that wrote it and when, when the target knows.</summary>
public sealed record AppLogLine(string App, string Instance, DateTimeOffset? Time, string Line)
{
    public override string ToString() => $"{Instance}: {Line}";
}
