using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>
/// A container host that is a server: before a rollout it makes sure the server can run
/// containers (the preparer, a no-op when it already can) and holds the images the rollout
/// needs (sent from this machine with podman save over SSH, skipped when the server has the
/// same image id), so no registry is needed and no image is rebuilt per server.
/// </summary>
public sealed class ServerDeployTarget : IDeployTarget
{
    private readonly Server _server;
    private readonly IRemoteShell _shell;
    private readonly IDeployTarget _inner;
    private readonly ContainerHostTarget _thisMachine;
    private readonly SecretResolver _secrets = new();

    public ServerDeployTarget(Server server, IRemoteShell shell, IDeployTarget inner, ContainerHostTarget thisMachine)
    {
        _server = server;
        _shell = shell;
        _inner = inner;
        _thisMachine = thisMachine;
    }

    public string Kind => _inner.Kind;

    public string Name => _inner.Name;

    public Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context) => _inner.PlanAsync(app, context);

    public async Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        // Secrets are read (and refused) before the server is prepared or sent any image.
        _ = HostSecrets.EnvFile(app, _secrets);
        await ReadyAsync(app, context).ConfigureAwait(false);
        return WithServer(await _inner.ApplyAsync(app, options, context).ConfigureAwait(false));
    }

    public async Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        _ = HostSecrets.EnvFile(app, _secrets);
        await ReadyAsync(app, context).ConfigureAwait(false);
        return await _inner.MigrateAsync(app, options, context).ConfigureAwait(false);
    }

    public async Task<Deployment?> GetAsync(string app, string environment, EngineContext context) =>
        await _inner.GetAsync(app, environment, context).ConfigureAwait(false) is { } found ? WithServer(found) : null;

    public async Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context) =>
        WithServer(await _inner.UndoAsync(app, environment, toRevision, options, context).ConfigureAwait(false));

    public IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context) =>
        _inner.GetLogsAsync(app, environment, query, context);

    public async Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context) =>
        WithServer(await _inner.RemoveAsync(app, environment, removeVolumes, context).ConfigureAwait(false));

    private async Task ReadyAsync(ResolvedApp app, EngineContext context)
    {
        await new ContainerHostPreparer().PrepareAsync(_shell, context).ConfigureAwait(false);
        // Images are built on this machine only and sent as they are (no registry, no rebuild
        // per server): the app's, and the proxy's (which a nested podman could not build anyway:
        // buildah's RUN needs cgroups that a container host's inner podman runs without).
        var proxyImage = await _thisMachine.EnsureProxyImageAsync(app.Name, app.Environment, context).ConfigureAwait(false);
        var transfer = new ContainerImageTransfer();
        await transfer.TransferAsync(_shell, proxyImage, context).ConfigureAwait(false);
        // A promoted app goes by its digest: the content that runs in the source environment.
        await transfer.TransferAsync(_shell, app.ImageDigest ?? app.Image, context).ConfigureAwait(false);
    }

    private Deployment WithServer(Deployment deployment) => new()
    {
        App = deployment.App, Environment = deployment.Environment, TargetKind = deployment.TargetKind, Target = deployment.Target,
        Revision = deployment.Revision, Image = deployment.Image, ImageDigest = deployment.ImageDigest, Status = deployment.Status,
        ReplicasDesired = deployment.ReplicasDesired, ReplicasReady = deployment.ReplicasReady, Endpoints = deployment.Endpoints.Select(Reachable).ToList(),
        Server = _server, StartedAt = deployment.StartedAt, Duration = deployment.Duration, RolledBack = deployment.RolledBack,
        RollbackReason = deployment.RollbackReason, History = deployment.History,
    };

    /// <summary>
    /// The proxy's port as this machine reaches it: a Podman server publishes its declared ports
    /// on loopback ports of its own (Server.Endpoints); an EC2 server is reached on the port itself.
    /// </summary>
    private AppEndpoint Reachable(AppEndpoint endpoint) =>
        _server.Endpoints.FirstOrDefault(e => e.Port == endpoint.Port) is { } published
            ? new AppEndpoint { Name = endpoint.Name, Protocol = endpoint.Protocol, Address = published.Address, Port = published.HostPort, HealthPath = endpoint.HealthPath }
            : endpoint;
}
