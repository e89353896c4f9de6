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
    private readonly ContainerHostTarget _inner;
    private readonly ContainerHostTarget _thisMachine;
    private readonly SecretResolver _secrets = new();
    private static readonly SemaphoreSlim ProxyImageGate = new(1, 1);
    private string? _readyFor;
    private string? _readyDigest;

    public ServerDeployTarget(Server server, IRemoteShell shell, ContainerHostTarget inner, ContainerHostTarget thisMachine)
    {
        _server = server;
        _shell = shell;
        _inner = inner;
        _thisMachine = thisMachine;
    }

    public string Kind => _inner.Kind;

    public string Name => _inner.Name;

    /// <summary>The container host the server runs (Get-ServiceStats reads its containers' figures).</summary>
    internal ContainerHostTarget Host => _inner;

    public Task<IReadOnlyList<string>> ListAppsAsync(string environment, EngineContext context) => _inner.ListAppsAsync(environment, context);

    public Task<DeployPlan> PlanAsync(ResolvedApp app, EngineContext context) => _inner.PlanAsync(app, context);

    public Task StageAsync(ResolvedApp app, EngineContext context) => ReadyAsync(app, context);

    public async Task<Deployment> ApplyAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        await ReadyAsync(app, context).ConfigureAwait(false);
        // Staging has just seen the image's id on the server: the rollout needs no second read.
        return WithServer(await _inner.ApplyAsync(app, options, context, _readyDigest).ConfigureAwait(false));
    }

    public async Task<MigrationRun> MigrateAsync(ResolvedApp app, DeployOptions options, EngineContext context)
    {
        await ReadyAsync(app, context).ConfigureAwait(false);
        return await _inner.MigrateAsync(app, options, context).ConfigureAwait(false);
    }

    public async Task<AppMigration?> RecordedMigrationAsync(ResolvedApp app, EngineContext context)
    {
        // The digest is the server's: the image must be there (staging sent it).
        await ReadyAsync(app, context).ConfigureAwait(false);
        return await _inner.RecordedMigrationAsync(app, context).ConfigureAwait(false);
    }

    public async Task<Deployment?> GetAsync(string app, string environment, EngineContext context) =>
        await _inner.GetAsync(app, environment, context).ConfigureAwait(false) is { } found ? WithServer(found) : null;

    public async Task<Deployment> UndoAsync(string app, string environment, int? toRevision, DeployOptions options, EngineContext context) =>
        WithServer(await _inner.UndoAsync(app, environment, toRevision, options, context).ConfigureAwait(false));

    public IAsyncEnumerable<AppLogLine> GetLogsAsync(string app, string environment, AppLogQuery query, EngineContext context) =>
        _inner.GetLogsAsync(app, environment, query, context);

    public async Task<Deployment> RemoveAsync(string app, string environment, bool removeVolumes, EngineContext context) =>
        WithServer(await _inner.RemoveAsync(app, environment, removeVolumes, context).ConfigureAwait(false));

    /// <summary>
    /// The server can run the app: prepared as a container host, holding the proxy's and the
    /// app's images. Once per app and image for this target (the rollout stages, then applies).
    /// </summary>
    private async Task ReadyAsync(ResolvedApp app, EngineContext context)
    {
        // A promoted app goes by its digest: the content that runs in the source environment.
        var image = app.ImageDigest ?? app.Image;
        var key = $"{app.Environment}/{app.Name}/{image}";
        if (_readyFor == key)
        {
            return;
        }

        // Secrets are read (and refused) before the server is prepared or sent any image.
        _ = HostSecrets.EnvFile(app, _secrets);

        // This machine's side (the proxy image built if missing, both image ids) runs while the
        // server is reached and prepared; the server's side needs podman there, so it waits.
        var transfer = new ContainerImageTransfer();
        // The preparer also reports which of both images the server has (their ids), in its run.
        var prepared = new ContainerHostPreparer().PrepareAsync(_shell, context, [_inner.ProxyImage, image]);
        var proxy = LocalProxyImageAsync();
        var appId = transfer.LocalIdAsync(image, context);
        await Task.WhenAll(prepared, proxy, appId).ConfigureAwait(false);
        // Images are built on this machine only and sent as they are (no registry, no rebuild
        // per server): the app's, and the proxy's (which a nested podman could not build anyway:
        // buildah's RUN needs cgroups that a container host's inner podman runs without). Both
        // checks (and sends) run at once, on two channels of the server's one SSH connection.
        var (proxyImage, proxyId) = await proxy.ConfigureAwait(false);
        var onServer = (await prepared.ConfigureAwait(false)).ImageIds;
        var sent = transfer.TransferAsync(_shell, image, await appId.ConfigureAwait(false), context, onServer.GetValueOrDefault(image));
        await Task.WhenAll(transfer.TransferAsync(_shell, proxyImage, proxyId, context, onServer.GetValueOrDefault(proxyImage)), sent).ConfigureAwait(false);
        _readyFor = key;
        // The server now holds the image under this id (checked, or checked after loading).
        _readyDigest = "sha256:" + (await sent.ConfigureAwait(false)).ImageId.Replace("sha256:", "", StringComparison.Ordinal);

        async Task<(string Image, string Id)> LocalProxyImageAsync()
        {
            string proxyImage;
            // Servers staged at once would otherwise all build a missing proxy image here together.
            await ProxyImageGate.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                proxyImage = await _thisMachine.EnsureProxyImageAsync(app.Name, app.Environment, context).ConfigureAwait(false);
            }
            finally
            {
                ProxyImageGate.Release();
            }

            return (proxyImage, await transfer.LocalIdAsync(proxyImage, context).ConfigureAwait(false));
        }
    }

    private Deployment WithServer(Deployment deployment) => new()
    {
        App = deployment.App, Environment = deployment.Environment, TargetKind = deployment.TargetKind, Target = deployment.Target,
        Revision = deployment.Revision, Image = deployment.Image, ImageDigest = deployment.ImageDigest, Status = deployment.Status,
        ReplicasDesired = deployment.ReplicasDesired, ReplicasReady = deployment.ReplicasReady, Endpoints = deployment.Endpoints.Select(Reachable).ToList(),
        Server = _server, StartedAt = deployment.StartedAt, Duration = deployment.Duration, RolledBack = deployment.RolledBack,
        RollbackReason = deployment.RollbackReason, History = deployment.History, Migrations = deployment.Migrations,
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
