using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// An app's migration on a container host: run once in a one-off container of the new image
/// with the instances' variables, secrets and volumes, and recorded in the app's state file
/// (HostState.Migrations) when it succeeded, so a deploy of the same image digest and command
/// does not run it again.
/// </summary>
internal sealed class HostMigrations
{
    private readonly HostSteps _steps;
    private readonly SecretResolver _secrets;
    private readonly string _name;

    public HostMigrations(HostSteps steps, SecretResolver secrets, string name)
    {
        _steps = steps;
        _secrets = secrets;
        _name = name;
    }

    /// <summary>The recorded migration this deploy would repeat (same digest on this host, same command), or null.</summary>
    public async Task<AppMigration?> RecordedAsync(ResolvedApp app, EngineContext context)
    {
        if (app.MigrationCommand is not { Count: > 0 } command)
        {
            return null;
        }

        HostSteps.Validate(app);
        var state = await _steps.ReadStateAsync(app.Name, app.Environment, context).ConfigureAwait(false);
        if (state is null || state.Migrations.Count == 0)
        {
            return null;
        }

        var digest = await _steps.DigestAsync(app.Name, app.Environment, app.ImageDigest ?? app.Image, context).ConfigureAwait(false);
        return state.Migrations.LastOrDefault(m => m.IsSame(digest, command));
    }

    public async Task<MigrationRun> RunAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        HostSteps.Validate(app);
        var command = app.MigrationCommand is { Count: > 0 } given ? given : throw new ArgumentException($"App '{app.Name}' has no migration command.", nameof(app));
        var secrets = HostSecrets.EnvFile(app, _secrets);
        var spec = ContainerHostLayout.SpecOf(app);
        var started = DateTimeOffset.UtcNow;
        var digest = await _steps.DigestAsync(app.Name, app.Environment, app.ImageDigest ?? spec.Image, context).ConfigureAwait(false);
        if (secrets is not null)
        {
            await _steps.RunAsync(app.Name, app.Environment, ["secrets", "migrate", "-"], context, env: new Dictionary<string, string> { ["SECRETS_ENV"] = secrets }).ConfigureAwait(false);
        }

        // A one-off container of the new image with the instances' variables, secrets and volumes;
        // nothing else has started, so a failure leaves the running revision as it is.
        context.Output.WriteVerbose($"{_name}: migrating {app.Environment}/{app.Name} with {spec.Image}: {string.Join(' ', command)}");
        var output = new List<string>();
        var run = await _steps.RunAsync(app.Name, app.Environment,
            ["migrate", ContainerHostLayout.MigrationName(app.Name, app.Environment), .. ContainerHostLayout.MigrationArguments(app.Name, app.Environment, spec, digest, secrets is null ? null : _steps.SecretsFile(app.Name, app.Environment, "migrate"), command)],
            context, line => { output.Add(line); context.Output.WriteVerbose($"{_name}: migration: {line}"); }, options.Timeout + TimeSpan.FromSeconds(30), check: false).ConfigureAwait(false);
        if (!run.Succeeded)
        {
            throw new DevOpsToolsException(ErrorIds.DeployMigrationFailed, ErrorKind.InvalidOperation,
                $"{app.Environment}/{app.Name} on {_name}: the migration ({string.Join(' ', command)}) exited {run.ExitCode}: {string.Join(" | ", output.TakeLast(3))} {ExternalProcess.Tail(run.StdErr, 2).Trim()}".TrimEnd() + "; no instance was started or switched.", app.Name)
            { RecommendedAction = "Fix the migration (Get-AppLog shows nothing for it: its output is above), then deploy again; the running revision was not touched." };
        }

        var duration = DateTimeOffset.UtcNow - started;
        // Recorded next to the revisions: the rollout that follows reads the state again and keeps it.
        var state = await _steps.ReadStateAsync(app.Name, app.Environment, context).ConfigureAwait(false) ?? new HostState { App = app.Name, Environment = app.Environment };
        state.Migrations.Add(new AppMigration { Image = spec.Image, ImageDigest = digest, Command = command.ToList(), RanAt = started, Duration = duration, Backups = options.MigrationBackups.ToList() });
        await _steps.WriteStateAsync(state, context).ConfigureAwait(false);
        return new MigrationRun(_name, spec.Image, digest, duration, output);
    }
}
