using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;

namespace DevOpsTools.Commands.Deploy;

/// <summary>An app's log lines from every instance on its targets; -Follow streams them until Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Get, "AppLog", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(AppLogLine))]
public sealed class GetAppLogCommand : DeployedAppCommandBase
{
    /// <summary>The newest lines per instance (default: all).</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int? Tail { get; set; }

    /// <summary>Only lines written after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Keep streaming new lines until Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Follow { get; set; }

    protected override void EndProcessingCore()
    {
        var environment = ResolveEnvironment();
        var name = Name;
        var query = new AppLogQuery(Tail, Since is { } since ? new DateTimeOffset(since.ToUniversalTime(), TimeSpan.Zero) : null, Follow);
        RunWithTargets(async (factory, context) =>
        {
            // Every target streams at once; each line is emitted as it comes (the pipeline thread writes it).
            var targets = TargetsOf(factory);
            await Task.WhenAll(targets.Select(async target =>
            {
                await foreach (var line in target.GetLogsAsync(name, environment, query, context).WithCancellation(context.CancellationToken).ConfigureAwait(false))
                {
                    context.Emit(line);
                }
            })).ConfigureAwait(false);
            return true;
        });
    }
}
