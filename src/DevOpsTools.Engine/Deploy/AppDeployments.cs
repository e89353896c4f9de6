using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// What the app cmdlets do on several targets at once (Get, Undo, Remove): one fan-out, one
/// progress bar, a failing target reported while the others go on. Deploy goes through
/// <see cref="Rollout"/> instead, because its batches are ordered.
/// </summary>
public static class AppDeployments
{
    public static async Task<IReadOnlyList<Deployment>> GetAsync(string app, string environment, IReadOnlyList<IDeployTarget> targets, EngineContext context)
    {
        var result = await FanOut.RunAsync(context, targets, new FanOutOptions { Activity = $"Reading {environment}/{app}", DoneWord = "read" },
            t => t.Name, (target, _) => target.GetAsync(app, environment, context)).ConfigureAwait(false);
        return result.Results.OfType<Deployment>().ToList();
    }

    /// <summary>Every app recorded in <paramref name="environment"/> on the targets, read as GetAsync reads one (one Deployment per app and target).</summary>
    public static async Task<IReadOnlyList<(IDeployTarget Target, Deployment Deployment)>> ListAsync(string environment, IReadOnlyList<IDeployTarget> targets, EngineContext context)
    {
        var result = await FanOut.RunAsync(context, targets, new FanOutOptions { Activity = $"Reading the apps of {environment}", DoneWord = "read" },
            t => t.Name, async (target, _) =>
            {
                var found = new List<(IDeployTarget, Deployment)>();
                foreach (var app in (await target.ListAppsAsync(environment, context).ConfigureAwait(false)).Order(StringComparer.Ordinal))
                {
                    if (await target.GetAsync(app, environment, context).ConfigureAwait(false) is { } deployment)
                    {
                        found.Add((target, deployment));
                    }
                }

                return found;
            }).ConfigureAwait(false);
        return result.Results.SelectMany(r => r).ToList();
    }

    public static async Task<IReadOnlyList<Deployment>> UndoAsync(string app, string environment, int? toRevision, IReadOnlyList<IDeployTarget> targets, DeployOptions options, EngineContext context)
    {
        // Undo is a rollout of an older revision: the same batches as a deploy keep the app serving.
        var deployments = new List<Deployment>();
        foreach (var batch in targets.Chunk(Math.Max(1, options.MaxUnavailable)))
        {
            var result = await FanOut.RunAsync(context, batch, new FanOutOptions { Activity = $"Undoing {environment}/{app}", DoneWord = "restored", ThrottleLimit = batch.Length },
                t => t.Name, (target, _) => target.UndoAsync(app, environment, toRevision, options, context)).ConfigureAwait(false);
            deployments.AddRange(result.Results);
            if (result.Failures.Any())
            {
                break;
            }
        }

        return deployments;
    }

    public static async Task<IReadOnlyList<Deployment>> RemoveAsync(string app, string environment, bool removeVolumes, IReadOnlyList<IDeployTarget> targets, EngineContext context)
    {
        var result = await FanOut.RunAsync(context, targets, new FanOutOptions { Activity = $"Removing {environment}/{app}", DoneWord = "removed" },
            t => t.Name, (target, _) => target.RemoveAsync(app, environment, removeVolumes, context)).ConfigureAwait(false);
        return result.Results.ToList();
    }
}
