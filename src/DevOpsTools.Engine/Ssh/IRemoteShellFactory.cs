namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Opens remote shells for servers. The SSH layer implements it (one pooled SSH.NET connection
/// per server, host key pinned); tests implement it over `podman exec`.
/// </summary>
public interface IRemoteShellFactory
{
    /// <summary>A shell on the server, reused for every script of one run (one connection per server).</summary>
    Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken);
}
