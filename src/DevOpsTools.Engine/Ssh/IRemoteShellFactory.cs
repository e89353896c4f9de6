namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Opens remote shells for servers. The SSH layer implements it (one pooled SSH.NET connection
/// per server, host key pinned); tests implement it over `podman exec`.
/// </summary>
public interface IRemoteShellFactory
{
    /// <summary>A shell on the server, reused for every script of one run (one connection per server).</summary>
    Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken);

    /// <summary>
    /// Lockout probe: opens a NEW connection (never the pooled one) with the module's key as
    /// Server.User, runs `sudo -n true`, closes it, and says whether all of that worked. Must not
    /// throw for a refused login or a time-out (false), only for cancellation.
    /// </summary>
    Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken);
}
