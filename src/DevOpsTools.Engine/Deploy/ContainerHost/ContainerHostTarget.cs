using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>How a container host is driven.</summary>
public sealed record ContainerHostOptions
{
    /// <summary>Where each app's state directory lives on the host: Root/environment/app.</summary>
    public string StateRoot { get; init; } = "/var/lib/devopstools/deploy";

    /// <summary>restart (podman --restart=always; this machine has no systemd) or systemd (a unit per container, <see cref="SystemdUnit"/>).</summary>
    public string Supervisor { get; init; } = "restart";

    /// <summary>The HTTP proxy's image (Debian's haproxy on <see cref="BaseImage"/>, built on the host when missing).</summary>
    public string ProxyImage { get; init; } = "localhost/devopstools/haproxy:1";

    public required string BaseImage { get; init; }

    /// <summary>
    /// Whether this host builds the proxy's image itself when it is missing (this machine). A
    /// server's comes from this machine (ServerDeployTarget sends it before any step runs), and
    /// its nested podman could not build it anyway.
    /// </summary>
    public bool BuildsProxyImage { get; init; } = true;

    /// <summary>The address the proxy listens on (0.0.0.0 on servers; 127.0.0.1 keeps it on loopback).</summary>
    public string ProxyBind { get; init; } = "0.0.0.0";

    /// <summary>The address endpoints report (the server's address; 127.0.0.1 for this machine).</summary>
    public string EndpointAddress { get; init; } = "127.0.0.1";
}

/// <summary>
/// Deploys to one container host (this machine's Podman or a server): host-network containers,
/// each instance on its own port, behind an HAProxy on the app's public port. A rollout starts the
/// new revision beside the old one, waits for its health check, switches the proxy (master-worker
/// reload), drains and stops the old one; a failed health check removes the new revision and the
/// old one keeps serving. State: container labels and DEPLOY_DIR/state.json on the host.
/// </summary>
public sealed class ContainerHostTarget : IDeployTarget
{
    private readonly IHostScriptRunner _runner;
    private readonly HostSteps _steps;
    private readonly ContainerHostOptions _options;
    private readonly SecretResolver _secrets;
    private readonly HostMigrations _migrations;

    /// <param name="secrets">Reads the app's secret values at deploy time (default: this process's environment and 0600 files).</param>
    public ContainerHostTarget(IHostScriptRunner runner, ContainerHostOptions options, SecretResolver? secrets = null)
    {
        _runner = runner;
        _options = options;
        _steps = new HostSteps(runner, options);
        _secrets = secrets ?? new SecretResolver();
        _migrations = new HostMigrations(_steps, _secrets, runner.Name);
    }

    public string Kind => _runner.Server is null ? "Local" : "Host";

    public string Name => _runner.Name;

    /// <summary>The host's steps (Get-ServiceStats reads the containers' figures through them).</summary>
    internal HostSteps Steps => _steps;

    /// <summary>This machine (null) or the server.</summary>
    internal Server? Server => _runner.Server;

    public Task<IReadOnlyList<string>> ListAppsAsync(string environment, EngineContext context) => _steps.ListAppsAsync(environment, context);

    /// <summary>The proxy's image this host runs.</summary>
    public string ProxyImage => _options.ProxyImage;

    public async Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context)
    {
        var spec = ContainerHostLayout.SpecOf(app);
        var state = await _steps.ReadStateAsync(app.Name, app.Environment, context).ConfigureAwait(false);
        var current = state?.Find(state.Current);
        var nextRevision = (state?.Revisions.Count > 0 ? state.Revisions.Max(r => r.Revision) : 0) + 1;
        var ports = ContainerHostLayout.PortsFor(spec, current);
        var before = current is null ? [] : ContainerHostLayout.Describe(app.Name, app.Environment, current.Revision, current.Spec, current.Ports);
        var after = ContainerHostLayout.Describe(app.Name, app.Environment, nextRevision, spec, ports);
        var secrets = await SecretLinesAsync(app, spec, current, context).ConfigureAwait(false);
        var diff = new StringBuilder($"--- {Name}/{app.Environment}/{app.Name} revision {current?.Revision ?? 0}\n+++ {Name}/{app.Environment}/{app.Name} revision {nextRevision}\n");
        foreach (var line in before.Except(after))
        {
            diff.Append("- ").Append(line).Append('\n');
        }

        foreach (var line in after.Except(before))
        {
            diff.Append("+ ").Append(line).Append('\n');
        }

        foreach (var line in secrets.Lines)
        {
            diff.Append(line).Append('\n');
        }

        var same = current is not null && current.Spec.SameAs(spec) && !secrets.Changed;
        var summary = current is null ? $"create {app.Name} revision 1 ({spec.Image})"
            : same ? $"no change to revision {current.Revision} ({spec.Image}); deploying starts revision {nextRevision} with the same specification"
            : $"replace revision {current.Revision} ({current.Spec.Image}) with {nextRevision} ({spec.Image})";
        return new DeployPlan(Name, summary, diff.ToString(), !same);
    }

    public Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context) => ApplyAsync(app, options, context, null);

    /// <param name="hostDigest">The image's id on the host when the caller has just read it (a server's staging): no second read.</param>
    public async Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context, string? hostDigest)
    {
        HostSteps.Validate(app);
        // Read before anything runs: a missing or unusable secret changes nothing.
        var secrets = HostSecrets.EnvFile(app, _secrets);
        return await RolloutAsync(app.Name, app.Environment, ContainerHostLayout.SpecOf(app), options, context, secrets, pinned: app.ImageDigest, hostDigest: hostDigest).ConfigureAwait(false);
    }

    public Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context) => _migrations.RunAsync(app, options, context);

    public Task<AppMigration?> RecordedMigrationAsync(ResolvedApp app, EngineContext context) => _migrations.RecordedAsync(app, context);

    public async Task<Deployment?> GetAsync(string app, string environment, EngineContext context)
    {
        var state = await _steps.ReadStateAsync(app, environment, context).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        var running = await _steps.RunAsync(app, environment, ["running"], context).ConfigureAwait(false);
        var names = running.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var current = state.Find(state.Current);
        var ready = current?.Containers.Count(names.Contains) ?? 0;
        var result = ToDeployment(state, current, DateTimeOffset.UtcNow, null, ready);
        if (current is not null && ready < current.Spec.Replicas)
        {
            result.Status = ready == 0 ? DeploymentStatus.Failed : DeploymentStatus.Degraded;
        }

        return result;
    }

    public async Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context)
    {
        var state = await _steps.ReadStateAsync(app, environment, context).ConfigureAwait(false)
            ?? throw NotFound(app, environment);
        var target = toRevision is { } wanted
            ? state.Find(wanted) ?? throw new DevOpsToolsException(ErrorIds.DeployNotFound, ErrorKind.ObjectNotFound, $"{environment}/{app} has no revision {wanted} on {Name} (revisions: {string.Join(", ", state.Revisions.Select(r => r.Revision))}).", app)
            : state.Revisions.Where(r => r.Revision < state.Current && r.Digest is not null && r.Status != DeploymentStatus.RolledBack && r.Status != DeploymentStatus.Failed)
                .OrderByDescending(r => r.Revision).FirstOrDefault()
              ?? throw new DevOpsToolsException(ErrorIds.DeployNotFound, ErrorKind.ObjectNotFound, $"{environment}/{app} has no healthy revision before {state.Current} on {Name} to go back to.", app);
        // Exactly what that revision ran: its digest (whatever its tag means today) and its
        // secrets as deployed (its env file on the host), not today's values.
        return await RolloutAsync(app, environment, target.Spec, options, context, secretsFrom: target.Revision, pinned: target.Digest).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context)
    {
        var state = await _steps.ReadStateAsync(app, environment, context).ConfigureAwait(false) ?? throw NotFound(app, environment);
        var names = state.Find(state.Current)?.Containers ?? [];
        var channel = Channel.CreateUnbounded<AppLogLine>();
        var since = query.Since?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "-";
        string[] args = ["logs", query.Tail?.ToString(CultureInfo.InvariantCulture) ?? "-", since, query.Follow ? "1" : "0", .. names];
        var run = Task.Run(async () =>
        {
            try
            {
                await _steps.RunAsync(app, environment, args, context, line => channel.Writer.TryWrite(ContainerHostLayout.ParseLogLine(app, line)),
                    query.Follow ? Timeout.InfiniteTimeSpan : HostSteps.StepTimeout, check: false).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });
        await foreach (var line in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            yield return line;
        }

        await run.ConfigureAwait(false);
    }

    public async Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context)
    {
        var state = await _steps.ReadStateAsync(app, environment, context).ConfigureAwait(false);
        var volumes = removeVolumes && state is not null ? state.Revisions.SelectMany(r => r.Spec.Volumes.Keys).Distinct().ToList() : [];
        await _steps.RunAsync(app, environment, ["remove", .. volumes], context).ConfigureAwait(false);
        var current = state?.Find(state.Current);
        var result = state is null
            ? new Deployment { App = app, Environment = environment, TargetKind = Kind, Target = Name, Image = "", Status = DeploymentStatus.Removed }
            : ToDeployment(state, current, DateTimeOffset.UtcNow, null, 0);
        result.Status = DeploymentStatus.Removed;
        return result;
    }

    /// <param name="pinned">A digest to run instead of what spec.Image resolves to on the host (promotion, undo).</param>
    /// <param name="hostDigest">What the image (pinned or spec.Image) is on the host, already read.</param>
    private async Task<Deployment> RolloutAsync(string app, string environment, RevisionSpec spec, DeployOptions options, EngineContext context, string? secretsEnv = null, int? secretsFrom = null, string? pinned = null, string? hostDigest = null)
    {
        var started = DateTimeOffset.UtcNow;
        // The reads at once (two SSH channels on a server): the image's digest and the state; and
        // here, the proxy's image (built when missing).
        var digestRead = hostDigest is not null ? Task.FromResult(hostDigest) : _steps.DigestAsync(app, environment, pinned ?? spec.Image, context);
        var stateRead = _steps.ReadStateAsync(app, environment, context);
        var proxyImage = _options.BuildsProxyImage ? EnsureProxyImageAsync(app, environment, context) : Task.FromResult(_options.ProxyImage);
        await Task.WhenAll(digestRead, stateRead, proxyImage).ConfigureAwait(false);
        var digest = await digestRead.ConfigureAwait(false);
        var state = await stateRead.ConfigureAwait(false) ?? new HostState { App = app, Environment = environment };
        var current = state.Find(state.Current);
        var revision = new HostRevision
        {
            Revision = (state.Revisions.Count > 0 ? state.Revisions.Max(r => r.Revision) : 0) + 1,
            Spec = spec,
            Digest = digest,
            Ports = ContainerHostLayout.PortsFor(spec, current),
            DeployedAt = started,
            Status = DeploymentStatus.Progressing,
        };
        revision.Containers.AddRange(Enumerable.Range(0, spec.Replicas).Select(i => ContainerHostLayout.ContainerName(app, environment, revision.Revision, i)));

        if (spec.Secrets.Count > 0)
        {
            // The values travel as data (an environment variable of the step, over SSH's stdin for
            // servers) into DEPLOY_DIR/secrets/r<revision>.env, 0600, read by podman --env-file.
            await _steps.RunAsync(app, environment, ["secrets", $"r{revision.Revision}", secretsFrom is { } from ? $"r{from}" : "-"], context,
                env: secretsEnv is null ? null : new Dictionary<string, string> { ["SECRETS_ENV"] = secretsEnv }).ConfigureAwait(false);
        }

        // The proxy's next configuration is checked while the new instances start: the switch
        // after their health checks only applies it.
        var proxyName = ContainerHostLayout.ProxyName(app, environment);
        var proxyCheck = _steps.RunAsync(app, environment, ["proxy-check", proxyName, _options.ProxyImage], context, check: false,
            env: new Dictionary<string, string> { ["PROXY_CFG"] = ContainerHostLayout.HaproxyConfig(_options.ProxyBind, app, spec.PublicPort, revision) });
        context.Output.WriteVerbose($"{Name}: starting {environment}/{app} revision {revision.Revision} ({spec.Image}) on port(s) {string.Join(", ", revision.Ports)}");
        string? failure = null;
        for (var i = 0; i < spec.Replicas && failure is null; i++)
        {
            var arguments = ContainerHostLayout.InstanceArguments(app, environment, revision, digest, i, spec.Secrets.Count > 0 ? _steps.SecretsFile(app, environment, $"r{revision.Revision}") : null);
            var start = await _steps.RunAsync(app, environment, ["start", revision.Containers[i], .. arguments], context, check: false, env: UnitOf(revision.Containers[i], arguments)).ConfigureAwait(false);
            if (!start.Succeeded)
            {
                failure = $"podman could not start {revision.Containers[i]}: {ExternalProcess.Tail(start.StdErr, 3)}";
                break;
            }

            var url = $"http://127.0.0.1:{revision.Ports[i]}{spec.HealthPath}";
            var health = await _steps.RunAsync(app, environment,
                ["wait-health", revision.Containers[i], url, Seconds(spec.StartPeriodSeconds), Seconds(spec.IntervalSeconds), Seconds(spec.TimeoutSeconds), Seconds(spec.Threshold), Seconds((int)Math.Ceiling(options.Timeout.TotalSeconds)), StartInterval(spec)],
                context, check: false, timeout: options.Timeout + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (!health.Succeeded)
            {
                failure = health.StdErr.Trim();
            }
        }

        var checkedProxy = await proxyCheck.ConfigureAwait(false);
        if (failure is null && !checkedProxy.Succeeded)
        {
            failure = $"the proxy's new configuration was refused: {ExternalProcess.Tail(checkedProxy.StdErr, 3).Trim()}";
        }

        if (failure is not null)
        {
            return await FailAsync(state, current, revision, failure, options, started, context).ConfigureAwait(false);
        }

        var proxyArguments = ContainerHostLayout.ProxyArguments(app, environment, _steps.DeployDirectory(app, environment), _options.ProxyImage);
        await _steps.RunAsync(app, environment, ["proxy", proxyName, $"http://{(_options.ProxyBind == "0.0.0.0" ? "127.0.0.1" : _options.ProxyBind)}:{spec.PublicPort}{spec.HealthPath}", .. proxyArguments], context,
            env: UnitOf(proxyName, proxyArguments)).ConfigureAwait(false);
        context.Output.WriteVerbose($"{Name}: proxy on port {spec.PublicPort} now sends {environment}/{app} to revision {revision.Revision}");
        revision.Status = DeploymentStatus.Healthy;
        state.Revisions.Add(revision);
        state.Current = revision.Revision;
        if (current is not null)
        {
            current.Status = DeploymentStatus.Healthy;
            await Task.Delay(options.DrainTime, context.CancellationToken).ConfigureAwait(false);
            // The old containers stop, then the state is written, in one step (the state is not
            // written when stopping fails, as before).
            await _steps.RunAsync(app, environment, ["stop", .. current.Containers], context,
                env: new Dictionary<string, string> { ["STATE_JSON"] = state.ToJson() }).ConfigureAwait(false);
        }
        else
        {
            await _steps.WriteStateAsync(state, context).ConfigureAwait(false);
        }
        return ToDeployment(state, revision, started, null, spec.Replicas);
    }

    private async Task<Deployment> FailAsync(HostState state, HostRevision? current, HostRevision revision, string reason, DeployOptions options, DateTimeOffset started, EngineContext context)
    {
        context.Output.WriteWarning($"{Name}: {state.Environment}/{state.App} revision {revision.Revision} failed: {reason}");
        revision.Reason = reason;
        if (options.NoRollback)
        {
            revision.Status = DeploymentStatus.Failed;
            state.Revisions.Add(revision);
            await _steps.WriteStateAsync(state, context).ConfigureAwait(false);
            var failed = ToDeployment(state, revision, started, reason, 0);
            failed.Status = DeploymentStatus.Failed;
            return failed;
        }

        await _steps.RunAsync(state.App, state.Environment, ["stop", .. revision.Containers], context).ConfigureAwait(false);
        revision.Status = current is null ? DeploymentStatus.Failed : DeploymentStatus.RolledBack;
        state.Revisions.Add(revision);
        await _steps.WriteStateAsync(state, context).ConfigureAwait(false);
        var result = ToDeployment(state, current ?? revision, started, reason, current is null ? 0 : current.Spec.Replicas);
        result.Status = revision.Status;
        return result;
    }

    private Deployment ToDeployment(HostState state, HostRevision? shown, DateTimeOffset started, string? rollbackReason, int ready) => new()
    {
        App = state.App,
        Environment = state.Environment,
        TargetKind = Kind,
        Target = Name,
        Revision = shown?.Revision ?? 0,
        Image = shown?.Spec.Image ?? "",
        ImageDigest = shown?.Digest,
        Status = shown?.Status ?? DeploymentStatus.Pending,
        ReplicasDesired = shown?.Spec.Replicas ?? 0,
        ReplicasReady = ready,
        Endpoints = shown is null ? [] : [new AppEndpoint { Name = shown.Spec.PortName, Address = _options.EndpointAddress, Port = shown.Spec.PublicPort, HealthPath = shown.Spec.HealthPath }],
        Server = _runner.Server,
        StartedAt = started,
        Duration = DateTimeOffset.UtcNow - started,
        RolledBack = rollbackReason is not null && state.Current != 0 && shown?.Revision == state.Current,
        RollbackReason = rollbackReason,
        History = state.Revisions.OrderByDescending(r => r.Revision).Select(r => new DeploymentRevision
        {
            Revision = r.Revision, Image = r.Spec.Image, ImageDigest = r.Digest, Status = r.Status, DeployedAt = r.DeployedAt, Reason = r.Reason,
        }).ToList(),
        Migrations = state.Migrations.AsEnumerable().Reverse().ToList(),
    };

    /// <summary>The diff's secret lines: names only, and which values differ from the current revision's (compared on the host).</summary>
    private async Task<(IReadOnlyList<string> Lines, bool Changed)> SecretLinesAsync(ResolvedApp app, RevisionSpec spec, HostRevision? current, EngineContext context)
    {
        if (spec.Secrets.Count == 0)
        {
            return (current?.Spec.Secrets.Select(n => $"- secret {n}").ToList() ?? [], current?.Spec.Secrets.Count > 0);
        }

        var env = HostSecrets.EnvFile(app, _secrets)!;
        var changed = spec.Secrets.ToHashSet(StringComparer.Ordinal);
        if (current is not null && current.Spec.Secrets.Count > 0)
        {
            var compare = await _steps.RunAsync(app.Name, app.Environment, ["secrets-changed", $"r{current.Revision}"], context,
                env: new Dictionary<string, string> { ["SECRETS_ENV"] = env }).ConfigureAwait(false);
            changed = compare.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        }

        var lines = spec.Secrets.Select(n => changed.Contains(n) ? $"+ secret {n}: (value not shown)" : $"  secret {n}: unchanged").ToList();
        lines.AddRange((current?.Spec.Secrets ?? []).Except(spec.Secrets, StringComparer.Ordinal).Select(n => $"- secret {n}"));
        return (lines, changed.Count > 0 || lines.Any(l => l.StartsWith('-')));
    }

    /// <summary>The start step's UNIT_TEXT where containers run under systemd; null where podman restarts them.</summary>
    private Dictionary<string, string>? UnitOf(string container, IReadOnlyList<string> arguments) =>
        _options.Supervisor == "systemd" ? new Dictionary<string, string> { ["UNIT_TEXT"] = SystemdUnit.ForContainer(container, arguments) } : null;

    private static string Seconds(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>sleep's argument between checks during the start period ("0.25"), the interval when none is given.</summary>
    private static string StartInterval(RevisionSpec spec) => spec.StartIntervalMilliseconds > 0
        ? (spec.StartIntervalMilliseconds / 1000m).ToString("0.###", CultureInfo.InvariantCulture)
        : Seconds(spec.IntervalSeconds);

    private DevOpsToolsException NotFound(string app, string environment) =>
        new(ErrorIds.DeployNotFound, ErrorKind.ObjectNotFound, $"{environment}/{app} is not deployed on {Name}.", app);

    /// <summary>The proxy's image on this host (built from the base image once; a no-op when present). Servers get it from this machine instead.</summary>
    public async Task<string> EnsureProxyImageAsync(string app, string environment, EngineContext context)
    {
        await _steps.RunAsync(app, environment, ["proxy-image", _options.ProxyImage, _options.BaseImage], context).ConfigureAwait(false);
        return _options.ProxyImage;
    }

}
