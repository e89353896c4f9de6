using System.Collections.Concurrent;
using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers;

/// <summary>A server to create and the provider to create it with.</summary>
public sealed record NewServerRequest(string Provider, ServerCreateRequest Request);

/// <summary>How New-Server behaves.</summary>
public sealed class CreateOptions
{
    public int ThrottleLimit { get; init; } = 10;

    /// <summary>Return once the provider reports the server running, without waiting for SSH.</summary>
    public bool NoWait { get; init; }

    /// <summary>Time-out of each stage: provider create, host key, SSH readiness (boot).</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan HostKeyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Provider settings (DevOpsTools.AwsSettings for Aws), passed to providers and EnvironmentContext.Settings.</summary>
    public object? Settings { get; init; }
}

/// <summary>
/// Orchestration common to every provider: validation, idempotence, bounded concurrency with one
/// progress bar, host-key recording, waiting for SSH, per-stage time-outs, rollback on failure or
/// Ctrl+C, the per-environment SSH key, and removal of environment resources with the last server.
/// Providers only create, list and destroy.
/// </summary>
public sealed class ServerManager
{
    public const string StageCreating = "creating";
    public const string StageHostKey = "reading the SSH host key";
    private const int ProgressId = 1;
    private const string CreateActivity = "Creating servers";

    private readonly ModuleData _data;
    private readonly SshKeyStore _keys;
    private readonly KnownHostsStore _knownHosts;
    private readonly ConcurrentDictionary<string, IServerProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly object? _settings;

    public ServerManager(ModuleData data, object? settings = null, Func<string, IServerProvider>? providerFactory = null)
    {
        _data = data;
        _settings = settings;
        _keys = new SshKeyStore(data);
        _knownHosts = new KnownHostsStore(data);
        ProviderFactory = providerFactory ?? (name => ServerProviderRegistry.Create(name, new ProviderOptions { Data = data, Settings = settings }));
    }

    private Func<string, IServerProvider> ProviderFactory { get; }

    public IServerProvider GetProvider(string name)
    {
        var canonical = ServerProviderRegistry.IsKnown(name) ? ServerProviderRegistry.Canonical(name) : name;
        return _providers.GetOrAdd(canonical, ProviderFactory);
    }

    /// <summary>Checks names, environment, provider and size; throws the first problem as an InvalidArgument error.</summary>
    public void Validate(NewServerRequest item)
    {
        var request = item.Request;
        if (!Validation.IsRfc1123Label(request.Name))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidServerName, ErrorKind.InvalidArgument,
                $"Server name '{request.Name}' is not valid: use an RFC 1123 label (lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit).", request.Name);
        }

        if (!Validation.IsRfc1123Label(request.Environment))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"Environment name '{request.Environment}' is not valid: use an RFC 1123 label such as test, preprod or prod.", request.Environment);
        }

        var provider = GetProvider(item.Provider);
        if (!ServerSizes.IsPortable(request.Size) && !provider.SupportsSize(request.Size))
        {
            throw new DevOpsToolsException(ErrorIds.UnknownSize, ErrorKind.InvalidArgument,
                $"Unknown size '{request.Size}' for provider {provider.Name}: use small, medium or large" + (provider.Name == "Podman" ? "." : " or an instance type the provider knows."), request.Size);
        }

        foreach (var port in request.Ports)
        {
            if (port is < 1 or > 65535)
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"Port {port} of server '{request.Name}' is not between 1 and 65535.", port);
            }
        }
    }

    /// <summary>
    /// Creates servers concurrently (at most ThrottleLimit at a time) and emits each one as soon as
    /// it is ready. A server that already exists is emitted as it is. A failure is an error for
    /// that server (non-terminating) and what it created is removed; Ctrl+C removes what is half-way.
    /// </summary>
    public async Task CreateAsync(IReadOnlyList<NewServerRequest> requests, CreateOptions options, EngineContext context)
    {
        var output = context.Output;
        var valid = new List<NewServerRequest>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in requests)
        {
            try
            {
                Validate(item);
                if (!seen.Add($"{item.Request.Environment}/{item.Request.Name}"))
                {
                    output.WriteWarning($"Server '{item.Request.Environment}/{item.Request.Name}' was given twice; creating it once.");
                    continue;
                }

                valid.Add(item with { Provider = GetProvider(item.Provider).Name });
            }
            catch (DevOpsToolsException ex)
            {
                output.WriteError(ex);
            }
        }

        if (valid.Count == 0)
        {
            return;
        }

        void Stage(string status) => output.WriteProgress(new ProgressUpdate(ProgressId, CreateActivity, $"0/{valid.Count} ready", 0) { CurrentOperation = status });
        foreach (var providerGroup in valid.GroupBy(v => v.Provider))
        {
            var provider = GetProvider(providerGroup.Key);
            Stage($"checking provider {provider.Name}");
            await provider.EnsureAvailableAsync(context).ConfigureAwait(false);
        }

        // Per environment: key, existing servers (idempotence), provider resources.
        var environments = new Dictionary<(string Provider, string Environment), EnvironmentState>();
        foreach (var group in valid.GroupBy(v => (v.Provider, v.Request.Environment)))
        {
            var provider = GetProvider(group.Key.Provider);
            var keyExisted = _keys.Exists(group.Key.Environment);
            Stage($"looking up environment {group.Key.Environment}");
            var existing = await provider.ListAsync(group.Key.Environment, context).ConfigureAwait(false);
            environments[group.Key] = new EnvironmentState(provider, GetEnvironmentContext(group.Key.Environment), existing, keyExisted);
        }

        try
        {
            var fanOut = new FanOutOptions { Activity = CreateActivity, DoneWord = "ready", ThrottleLimit = options.ThrottleLimit, ProgressId = ProgressId };
            await FanOut.RunAsync(context, valid, fanOut, v => v.Request.Name, (item, step) =>
            {
                var state = environments[(item.Provider, item.Request.Environment)];
                return state.Existing.FirstOrDefault(s => s.Name == item.Request.Name) is { } existing
                    ? ReturnExistingAsync(state, existing, options, context)
                    : CreateOneAsync(item, state, options, step, context);
            }, (item, ex) => ex as DevOpsToolsException ?? Wrap(ex, ErrorIds.ServerCreateFailed, $"{item.Request.Environment}/{item.Request.Name}", "creating")).ConfigureAwait(false);
        }
        finally
        {
            // An environment this call set up that ended with no server (every create failed,
            // or Ctrl+C) goes entirely: network/security group, SSH key, known hosts.
            foreach (var state in environments.Values)
            {
                await state.CleanUpIfEmptyAsync(this, context).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The environment's shared context; generates its SSH key on first use.</summary>
    public EnvironmentContext GetEnvironmentContext(string environment)
    {
        var (privateKey, publicKey) = _keys.GetOrCreate(environment);
        return new EnvironmentContext { Name = environment, PrivateKeyPath = privateKey, PublicKey = publicKey, Settings = _settings };
    }

    /// <summary>Servers carrying the module's labels, from the provider (no local state).</summary>
    public async Task<IReadOnlyList<Server>> ListAsync(string providerName, string? environment, EngineContext context)
    {
        var provider = GetProvider(providerName);
        await provider.EnsureAvailableAsync(context.WithOutput(NullOutputSink.Instance)).ConfigureAwait(false);
        return await provider.ListAsync(environment, context).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes servers concurrently and waits until they are gone; forgets their host keys; when
    /// an environment has no server left, removes its provider resources and its SSH key.
    /// Each removed server is emitted when <paramref name="emitRemoved"/> is set (-PassThru).
    /// </summary>
    public async Task RemoveAsync(IReadOnlyList<Server> servers, int throttleLimit, bool emitRemoved, EngineContext context)
    {
        if (servers.Count == 0)
        {
            return;
        }

        var options = new FanOutOptions { Activity = "Removing servers", DoneWord = "removed", ThrottleLimit = throttleLimit, ProgressId = ProgressId };
        await FanOut.RunAsync(context, servers, options, s => $"{s.Environment}/{s.Name}", async (server, _) =>
        {
            await GetProvider(server.Provider).RemoveAsync(server, context).ConfigureAwait(false);
            if (server.Address is not null)
            {
                _knownHosts.Remove(server.Address, server.SshPort);
            }

            context.Output.WriteVerbose($"Removed server {server.Environment}/{server.Name}.");
            if (emitRemoved)
            {
                context.Emit(server);
            }
        }, (server, ex) => Wrap(ex, ErrorIds.ServerRemoveFailed, server, "removing")).ConfigureAwait(false);

        foreach (var group in servers.GroupBy(s => (s.Provider, s.Environment)))
        {
            await RemoveEnvironmentIfEmptyAsync(GetProvider(group.Key.Provider), group.Key.Environment, context).ConfigureAwait(false);
        }
    }

    /// <summary>When an environment has no server left: provider resources, SSH key and known hosts go.</summary>
    public async Task<bool> RemoveEnvironmentIfEmptyAsync(IServerProvider provider, string environment, EngineContext context)
    {
        var left = await provider.ListAsync(environment, context).ConfigureAwait(false);
        if (left.Count > 0)
        {
            return false;
        }

        try
        {
            var resources = new EnvironmentContext
            {
                Name = environment,
                PrivateKeyPath = _keys.PrivateKeyPath(environment),
                PublicKey = string.Empty,
                Settings = _settings,
            };
            await provider.RemoveEnvironmentResourcesAsync(resources, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.Output.WriteError(Wrap(ex, ErrorIds.LeftoverResources, environment, "removing environment resources"));
            return false;
        }

        _knownHosts.RemoveEnvironment(environment);
        if (_keys.Remove(environment))
        {
            context.Output.WriteVerbose($"Environment '{environment}' has no server left: removed its resources and its SSH key.");
        }

        return true;
    }

    /// <summary>Forgets an environment's SSH key and known hosts (no provider call).</summary>
    private void ForgetLocalKey(string environment)
    {
        _knownHosts.RemoveEnvironment(environment);
        _keys.Remove(environment);
    }

    private async Task ReturnExistingAsync(EnvironmentState state, Server existing, CreateOptions options, EngineContext context)
    {
        context.Output.WriteVerbose($"Server {existing.Environment}/{existing.Name} already exists ({existing.State}); returning it as it is.");
        try
        {
            // A new data directory (another machine account, CI) has no record of its host key yet.
            if (existing.Address is not null && existing.State == "Running" && _knownHosts.Get(existing.Address, existing.SshPort).Count == 0)
            {
                var hostKey = await state.Provider.GetHostKeyAsync(existing, options.HostKeyTimeout, context).ConfigureAwait(false);
                if (hostKey is not null)
                {
                    _knownHosts.Set(existing.Address, existing.SshPort, hostKey, Comment(existing));
                    existing.HostKeyFingerprint = Fingerprint(hostKey);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Wrap(ex, ErrorIds.ServerCreateFailed, existing, StageHostKey);
        }

        context.Emit(existing);
    }

    private async Task CreateOneAsync(NewServerRequest item, EnvironmentState state, CreateOptions options, FanOutStep step, EngineContext context)
    {
        var request = item.Request;
        var label = $"{request.Environment}/{request.Name}";
        var cancellationToken = context.CancellationToken;
        Server? created = null;
        var stage = "preparing the environment";
        var watch = Stopwatch.StartNew();
        try
        {
            await state.EnsurePreparedAsync(context).ConfigureAwait(false);

            stage = StageCreating;
            step.Report(stage);
            using (var createTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                createTimeout.CancelAfter(options.CreateTimeout);
                try
                {
                    created = await state.Provider.CreateAsync(request, state.Context, context.WithCancellation(createTimeout.Token)).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw StageTimeout(label, stage, options.CreateTimeout, ex);
                }
            }

            state.Created(created);
            stage = StageHostKey;
            step.Report(stage);
            var hostKey = await state.Provider.GetHostKeyAsync(created, options.HostKeyTimeout, context).ConfigureAwait(false);
            if (created.Address is null)
            {
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation, $"Provider {state.Provider.Name} reported no SSH address for {label}.", created);
            }

            if (hostKey is null)
            {
                // The provider cannot report the key: trust the first key the server presents.
                hostKey = await SshHostKeyScanner.ScanAsync(created.Address, created.SshPort, options.HostKeyTimeout, cancellationToken).ConfigureAwait(false);
                context.Output.WriteWarning($"Provider {state.Provider.Name} could not report the host key of {label}; trusted the key it presented on first connection ({Fingerprint(hostKey)}).");
            }

            _knownHosts.Set(created.Address, created.SshPort, hostKey, Comment(created));
            created.HostKeyFingerprint = Fingerprint(hostKey);

            if (!options.NoWait)
            {
                await using var pool = new SshConnectionPool(_data) { ConnectTimeout = TimeSpan.FromSeconds(10) };
                var boot = await SshReadiness.WaitAsync(pool, created, options.ReadyTimeout, s =>
                {
                    stage = s;
                    step.Report(s);
                }, cancellationToken).ConfigureAwait(false);
                created.State = "Running";
                if (boot != "running")
                {
                    context.Output.WriteWarning($"Server {label} answers SSH, but systemd reports the system as '{boot}' (see `systemctl --failed` on it).");
                }
            }

            context.Output.WriteVerbose($"Server {label} is ready ({created.User}@{created.Address}:{created.SshPort}, host key {created.HostKeyFingerprint}) after {watch.Elapsed.TotalSeconds:0.0} s.");
            context.Emit(created);
        }
        catch (Exception ex)
        {
            var cancelled = ex is OperationCanceledException && cancellationToken.IsCancellationRequested;
            if (created is not null)
            {
                await RollbackAsync(state, created, cancelled, context).ConfigureAwait(false);
            }
            else if (cancelled)
            {
                context.Output.WriteWarning($"Creation of server {label} was cancelled while {stage}; the provider removed what it had started.");
            }

            if (cancelled)
            {
                throw;
            }

            throw Wrap(ex, ErrorIds.ServerCreateFailed, (object?)created ?? label, stage);
        }
    }

    private async Task RollbackAsync(EnvironmentState state, Server server, bool cancelled, EngineContext context)
    {
        var label = $"{server.Environment}/{server.Name}";
        try
        {
            // Clean-up outlives Ctrl+C: it gets its own deadline instead of the cancelled token.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await state.Provider.RemoveAsync(server, context.WithCancellation(timeout.Token)).ConfigureAwait(false);
            if (server.Address is not null)
            {
                _knownHosts.Remove(server.Address, server.SshPort);
            }

            state.Removed(server);
            context.Output.WriteWarning(cancelled
                ? $"Creation of server {label} was cancelled; removed what had been created ({server.Id ?? server.Name})."
                : $"Removed server {label} ({server.Id ?? server.Name}) after its creation failed.");
        }
        catch (Exception ex)
        {
            context.Output.WriteError(new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                $"Server {label} could not be removed after a failed or cancelled create and was left behind: {state.Provider.Name} resource {server.Id ?? server.Name} ({ex.Message}). Remove it with Remove-Server.", server, ex));
        }
    }

    private static DevOpsToolsException StageTimeout(string label, string stage, TimeSpan timeout, Exception inner) =>
        new(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout, $"Server '{label}' timed out after {timeout.TotalSeconds:0} s: stuck {stage}.", label, inner);

    private static DevOpsToolsException Wrap(Exception ex, string errorId, object target, string stage)
    {
        var classified = ErrorClassifier.Classify(ex, target);
        if (classified.ErrorId != ErrorIds.UnexpectedError)
        {
            return classified;
        }

        var name = target is Server s ? $"{s.Environment}/{s.Name}" : target.ToString();
        return new DevOpsToolsException(errorId, classified.Kind, $"Server {name} failed while {stage}: {ex.Message}", target, ex);
    }

    private static string Comment(Server server) => $"devopstools:{server.Environment}/{server.Name}";

    private static string Fingerprint(string publicKeyLine) =>
        OpenSshKeys.ParsePublicKeyLine(publicKeyLine) is { } key ? OpenSshKeys.Fingerprint(key.Blob) : "unknown";

    /// <summary>One environment during a New-Server call: prepared once, cleaned up if it ends empty.</summary>
    private sealed class EnvironmentState
    {
        private readonly SemaphoreSlim _prepare = new(1, 1);
        private readonly HashSet<string> _alive = new(StringComparer.Ordinal);
        private bool _prepared;
        private int _cleaned;

        public EnvironmentState(IServerProvider provider, EnvironmentContext context, IReadOnlyList<Server> existing, bool keyExisted)
        {
            Provider = provider;
            Context = context;
            Existing = existing;
            KeyExisted = keyExisted;
        }

        public IServerProvider Provider { get; }

        public EnvironmentContext Context { get; }

        public IReadOnlyList<Server> Existing { get; }

        public bool KeyExisted { get; }

        public async Task EnsurePreparedAsync(EngineContext context)
        {
            await _prepare.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                if (!_prepared)
                {
                    await Provider.PrepareEnvironmentAsync(Context, context).ConfigureAwait(false);
                    _prepared = true;
                }
            }
            finally
            {
                _prepare.Release();
            }
        }

        public void Created(Server server)
        {
            lock (_alive)
            {
                _alive.Add(server.Name);
            }
        }

        public void Removed(Server server)
        {
            lock (_alive)
            {
                _alive.Remove(server.Name);
            }
        }

        /// <summary>An environment this call started that ended with no server goes entirely.</summary>
        public async Task CleanUpIfEmptyAsync(ServerManager manager, EngineContext context)
        {
            lock (_alive)
            {
                if (_alive.Count > 0 || Existing.Count > 0)
                {
                    return;
                }

                if (!_prepared)
                {
                    // Set-up failed or never ran (bad input such as a missing -AllowSshFrom): the
                    // provider made nothing (or removed its half), but this call generated the key.
                    if (!KeyExisted)
                    {
                        manager.ForgetLocalKey(Context.Name);
                    }

                    return;
                }
            }

            if (Interlocked.Exchange(ref _cleaned, 1) == 1)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await manager.RemoveEnvironmentIfEmptyAsync(Provider, Context.Name, context.WithCancellation(timeout.Token)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                context.Output.WriteError(new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                    $"Resources of environment '{Context.Name}' may be left behind after the cancel: {ex.Message}", Context.Name, ex));
            }
        }
    }
}
