namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// The hardening lockout probe: after a fix, can a brand-new login still get in and use sudo?
/// Only hardening needs it, so it is its own seam beside <see cref="Ssh.IRemoteShellFactory"/>;
/// the SSH implementation is <see cref="Ssh.SshFreshLoginProbe"/>, tests use real `ssh`.
/// </summary>
public interface IFreshLoginProbe
{
    /// <summary>
    /// Opens a NEW connection (never a pooled one) with the module's key as Server.User, runs
    /// `sudo -n true`, closes it, and says whether all of that worked. Must not throw for a
    /// refused login or a time-out (false), only for cancellation.
    /// </summary>
    Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken);
}
