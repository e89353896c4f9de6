using DevOpsTools.Engine.Hardening;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// The hardening lockout probe over SSH: a fresh connection (not the pooled one, which would
/// survive an sshd change), the same key and host-key pinning as the pool, `sudo -n true`.
/// </summary>
public sealed class SshFreshLoginProbe : IFreshLoginProbe
{
    private readonly SshConnectionPool _pool;

    public SshFreshLoginProbe(SshConnectionPool pool)
    {
        _pool = pool;
    }

    /// <summary>How long the probe waits for a fresh login.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(15);

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
