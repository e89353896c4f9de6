namespace DevOpsTools.Engine.Ssh;

/// <summary>Remote shells over the SSH connection pool: one pooled connection per server.</summary>
public sealed class SshRemoteShellFactory : IRemoteShellFactory
{
    private readonly SshConnectionPool _pool;

    public SshRemoteShellFactory(SshConnectionPool pool)
    {
        _pool = pool;
    }

    public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken) =>
        Task.FromResult(_pool.GetShell(server));
}
