using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers;

/// <summary>New-Server: validation of the batch, per-environment set-up, fan-out, rollback.</summary>
public sealed partial class ServerManager
{
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
                    ? ReturnExistingAsync(state, existing, item.Request, options, context)
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

    private async Task ReturnExistingAsync(EnvironmentState state, Server existing, ServerCreateRequest request, CreateOptions options, EngineContext context)
    {
        context.Output.WriteVerbose($"Server {existing.Environment}/{existing.Name} already exists ({existing.State}); returning it as it is.");
        if (request.ContainerHost && !existing.ContainerHost)
        {
            context.Output.WriteWarning($"Server {existing.Environment}/{existing.Name} already exists and was not created as a container host: -ContainerHost (containerHost: true) takes effect only for a new server. Remove-Server it and create it again to host containers.");
        }

        try
        {
            // A new data directory (another machine account, CI), or a server created with -NoWait,
            // has no record of its host key yet: the same trust rules as a new server.
            if (!options.NoWait && existing.Address is not null && existing.State == "Running" && _knownHosts.Get(existing.Address, existing.SshPort).Count == 0)
            {
                await RecordHostKeyAsync(state.Provider, existing, options, context).ConfigureAwait(false);
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
                    created = await state.Provider.CreateAsync(request with { NoWait = options.NoWait }, state.Context, context.WithCancellation(createTimeout.Token)).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw StageTimeout(label, stage, options.CreateTimeout, ex);
                }
            }

            state.Created(created);
            if (options.NoWait)
            {
                // Accepted by the provider: no host-key read and no connection to the server.
                context.Output.WriteVerbose($"Server {label} launched ({created.Id}, {created.State}); -NoWait: its host key is recorded by a later New-Server.");
                context.Emit(created);
                return;
            }

            stage = StageHostKey;
            step.Report(stage);
            if (created.Address is null)
            {
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.InvalidOperation, $"Provider {state.Provider.Name} reported no SSH address for {label}.", created);
            }

            await RecordHostKeyAsync(state.Provider, created, options, context).ConfigureAwait(false);

            if (!options.SkipSshWait)
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
}
