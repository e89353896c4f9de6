using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Monitoring;

namespace DevOpsTools.Engine.Support;

/// <summary>
/// What a support report says about one environment, gathered by <see cref="SupportReportCollector"/>
/// and written by <see cref="SupportReportWriter"/>. Nothing here is redacted yet: the writer
/// passes the whole text through the redactor once, so no section can forget to.
/// </summary>
public sealed class SupportReport
{
    public required string Environment { get; init; }
    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UtcNow;
    public IReadOnlyList<KeyValuePair<string, string>> Versions { get; init; } = [];

    /// <summary>The environment file's path and text, when one was given.</summary>
    public string? DefinitionPath { get; init; }
    public string? DefinitionText { get; init; }

    public IReadOnlyList<Server> Servers { get; init; } = [];
    public IReadOnlyList<StoredHardeningReport> Hardening { get; init; } = [];
    public IReadOnlyList<Deployment> Deployments { get; init; } = [];

    /// <summary>The log tail of each deployment whose last rollout failed, by "app on target".</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> LogTails { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<ServiceStats> Stats { get; init; } = [];
    public IReadOnlyList<ErrorJournalEntry> Errors { get; init; } = [];

    /// <summary>What could not be gathered (a server that did not answer, no definition given...), said in the report rather than left out silently.</summary>
    public IReadOnlyList<string> Gaps { get; init; } = [];
}
