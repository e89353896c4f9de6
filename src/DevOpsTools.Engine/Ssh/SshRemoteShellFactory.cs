using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Remote shells over the SSH connection pool: one pooled connection per server for the work,
/// and a separate, fresh connection for the lockout probe.
/// </summary>
public sealed class SshRemoteShellFactory : IRemoteShellFactory
{
    private readonly SshConnectionPool _pool;

    public SshRemoteShellFactory(SshConnectionPool pool)
    {
        _pool = pool;
    }

    /// <summary>How long the lockout probe waits for a fresh login.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken) =>
        Task.FromResult(_pool.GetShell(server));

    public async Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await _pool.ConnectAsync(server, ProbeTimeout, cancellationToken).ConfigureAwait(false);
            using var command = connection.Client.CreateCommand("sudo -n true");
            command.CommandTimeout = ProbeTimeout;
            await command.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            return command.ExitStatus == 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A refused login, a time-out or a broken sudo all mean: the change would lock us out.
            return false;
        }
    }
}
