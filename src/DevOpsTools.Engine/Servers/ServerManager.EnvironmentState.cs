using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers;

public sealed partial class ServerManager
{
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
