using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy;

/// <summary>
/// Rolls one app out over several targets, <see cref="DeployOptions.MaxUnavailable"/> at a time:
/// each batch runs through the fan-out helper, and a batch that fails (a target rolled back,
/// failed or errored) stops the rollout, so the targets after it keep serving the old revision.
/// Each target rolls itself back (its ApplyAsync owns that); this class owns only the order, and
/// runs the app's migration once, on the first target, before the first batch (<see cref="MigrationStep"/>).
/// </summary>
public static class Rollout
{
    public static async Task<IReadOnlyList<Deployment>> RunAsync(
        ResolvedApp app, IReadOnlyList<IDeployTarget> targets, DeployOptions options, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(targets);
        await StageAsync(app, targets, context).ConfigureAwait(false);
        if (app.MigrationCommand is { Count: > 0 } && targets.Count > 0)
        {
            // Once, before any target starts the new revision (backed up first, skipped when
            // recorded as done): a failure throws and nothing switched.
            await MigrationStep.RunAsync(app, targets[0], options, context).ConfigureAwait(false);
        }

        var batchSize = Math.Max(1, options.MaxUnavailable);
        var batches = targets.Chunk(batchSize).ToList();
        var deployments = new List<Deployment>();
        for (var index = 0; index < batches.Count; index++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var batch = batches[index];
            var fanOut = new FanOutOptions
            {
                Activity = $"Deploying {app.Name} to {app.Environment}",
                DoneWord = "updated",
                ThrottleLimit = batchSize,
                Detail = batches.Count > 1 ? $"batch {index + 1} of {batches.Count}" : null,
            };
            var result = await FanOut.RunAsync(context, batch, fanOut, t => t.Name, (target, _) => target.ApplyAsync(app, options, context)).ConfigureAwait(false);
            deployments.AddRange(result.Results);
            var failed = result.Failures.Select(f => f.Item.Name)
                .Concat(result.Results.Where(d => d.Status is not DeploymentStatus.Healthy).Select(d => d.Target))
                .ToList();
            if (failed.Count > 0)
            {
                var untouched = batches.Skip(index + 1).SelectMany(b => b).Select(t => t.Name).ToList();
                if (untouched.Count > 0)
                {
                    context.Output.WriteError(new DevOpsToolsException(
                        ErrorIds.DeployRolloutStopped,
                        ErrorKind.InvalidOperation,
                        $"{app.Environment}/{app.Name}: the rollout stopped after batch {index + 1} of {batches.Count} failed on {string.Join(", ", failed)}; {string.Join(", ", untouched)} still run the previous revision and were not touched.",
                        app.Name)
                    {
                        RecommendedAction = "Read the failed target's RollbackReason, fix the image or the spec, and run Deploy-App again.",
                    });
                }

                break;
            }
        }

        return deployments;
    }

    /// <summary>
    /// Every target gets ready at once (servers prepared, images sent) before the first batch:
    /// the batches then only switch, and a target that cannot take the app stops the rollout
    /// here, while everything still runs the previous revision.
    /// </summary>
    private static async Task StageAsync(ResolvedApp app, IReadOnlyList<IDeployTarget> targets, EngineContext context)
    {
        var fanOut = new FanOutOptions { Activity = $"Getting ready to deploy {app.Name} to {app.Environment}", DoneWord = "ready", ThrottleLimit = StageThrottle };
        var staged = await FanOut.RunAsync(context, targets, fanOut, t => t.Name, (target, _) => target.StageAsync(app, context)).ConfigureAwait(false);
        var failed = staged.Failures.Select(f => f.Item.Name).ToList();
        if (failed.Count > 0)
        {
            throw new DevOpsToolsException(ErrorIds.DeployNotStarted, ErrorKind.InvalidOperation,
                $"{app.Environment}/{app.Name}: the rollout did not start because {string.Join(", ", failed)} could not get ready (errors above); nothing was switched on any target.",
                app.Name)
            {
                RecommendedAction = "Fix what the errors above name (SSH access, container support, disk space) and run Deploy-App again.",
            };
        }
    }

    /// <summary>Targets staged at once: sending images to more servers than this at a time only splits the bandwidth.</summary>
    internal const int StageThrottle = 8;

    /// <summary>
    /// The image that promotion deploys: exactly the digest that runs on every source target
    /// (preprod), never what a tag means now; the first source's image name goes with it for
    /// display. Refuses when the app is missing from a source target, is not Healthy there, its
    /// digest is unknown, or the sources run different digests.
    /// </summary>
    public static async Task<PromotedImage> PromotedImageAsync(
        string appName, string fromEnvironment, IReadOnlyList<IDeployTarget> sources, EngineContext context)
    {
        if (sources.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.PromotionSourceMissing, ErrorKind.ObjectNotFound,
                $"Cannot promote {appName} from {fromEnvironment}: that environment has no target to read the running image from.", fromEnvironment);
        }

        var found = new List<Deployment>();
        foreach (var source in sources)
        {
            var deployment = await source.GetAsync(appName, fromEnvironment, context).ConfigureAwait(false)
                ?? throw new DevOpsToolsException(ErrorIds.PromotionSourceMissing, ErrorKind.ObjectNotFound,
                    $"Cannot promote {appName} from {fromEnvironment}: it is not deployed on {source.Name}.", source.Name);
            if (deployment.Status is not DeploymentStatus.Healthy)
            {
                throw new DevOpsToolsException(ErrorIds.PromotionSourceUnhealthy, ErrorKind.InvalidOperation,
                    $"Cannot promote {appName} from {fromEnvironment}: it is {deployment.Status} on {source.Name} ({deployment.ReplicasReady}/{deployment.ReplicasDesired} ready); only a Healthy revision is promoted.", deployment)
                {
                    RecommendedAction = $"Make {fromEnvironment} healthy first (Get-AppDeployment -Environment {fromEnvironment}), or deploy an image explicitly with -Image.",
                };
            }

            if (deployment.ImageDigest is null)
            {
                throw new DevOpsToolsException(ErrorIds.PromotionSourceInconsistent, ErrorKind.InvalidData,
                    $"Cannot promote {appName} from {fromEnvironment}: the image digest running on {source.Name} is unknown, and promotion never deploys a tag.", deployment);
            }

            found.Add(deployment);
        }

        var digests = found.Select(d => d.ImageDigest!).Distinct(StringComparer.Ordinal).ToList();
        if (digests.Count > 1)
        {
            throw new DevOpsToolsException(ErrorIds.PromotionSourceInconsistent, ErrorKind.InvalidData,
                $"Cannot promote {appName} from {fromEnvironment}: its targets run different images ({string.Join(", ", found.Select(d => $"{d.Target}: {d.ImageDigest} (as {d.Image})"))}); finish or undo that rollout first.", fromEnvironment);
        }

        return new PromotedImage(found[0].Image, digests[0]);
    }
}

/// <summary>What promotion deploys: the content digest that runs in the source environment, and the name it ran as there.</summary>
public sealed record PromotedImage(string Image, string Digest)
{
    public override string ToString() => $"{Image} ({Digest})";
}
