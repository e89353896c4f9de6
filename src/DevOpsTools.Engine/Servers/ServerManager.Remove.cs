using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers;

/// <summary>Remove-Server and the removal of an environment's resources with its last server.</summary>
public sealed partial class ServerManager
{
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

            // What the module kept about this server (FW-001's allowed sources, the last
            // hardening report) must not pass to a new server that gets the same name.
            new PortSources(_data).Forget(server.Environment, server.Name);
            new Hardening.HardeningReportStore(_data).Forget(server.Environment, server.Name);

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
}
