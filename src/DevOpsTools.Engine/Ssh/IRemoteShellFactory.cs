using DevOpsTools.Engine.Core;

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

/// <summary>The factory the cmdlets use; the SSH layer sets it when the module loads.</summary>
public static class RemoteShells
{
    private static IRemoteShellFactory? _factory;

    public static IRemoteShellFactory? Factory
    {
        get => Volatile.Read(ref _factory);
        set => Volatile.Write(ref _factory, value);
    }

    public static IRemoteShellFactory Require() =>
        Factory ?? throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled,
            "No remote shell factory is registered (DevOpsTools.Engine.Ssh.RemoteShells.Factory): the SSH layer is not loaded.");
}
