using System.Globalization;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Data.Backups;

/// <summary>The SSH shell of the server a data service placed by role runs on, for its backups and restores.</summary>
public interface IDataServerShells
{
    /// <summary>The shell of the service's server (its role, at its provider).</summary>
    Task<IRemoteShell> OpenAsync(DataServiceDefinition service, EngineContext context);

    /// <summary>The shell of the server a backup was taken on (recorded in its manifest).</summary>
    Task<IRemoteShell> OpenAsync(AppBackup backup, EngineContext context);
}

/// <summary>Finds the server at its provider (<see cref="ServerManager"/>) and opens it over the SSH layer.</summary>
public sealed class SshDataServerShells(ModuleData data, IRemoteShellFactory shells) : IDataServerShells
{
    public async Task<IRemoteShell> OpenAsync(DataServiceDefinition service, EngineContext context)
    {
        var servers = await new ServerManager(data, service.ProviderSettings).ListAsync(service.Provider, service.Environment, context).ConfigureAwait(false);
        return await shells.OpenAsync(ServerDataDeployer.PlaceOn(service, servers), context.CancellationToken).ConfigureAwait(false);
    }

    public async Task<IRemoteShell> OpenAsync(AppBackup backup, EngineContext context)
    {
        var servers = await new ServerManager(data).ListAsync(backup.Provider ?? "Podman", backup.Environment, context).ConfigureAwait(false);
        var server = servers.FirstOrDefault(s => string.Equals(s.Name, backup.Server, StringComparison.Ordinal))
            ?? throw new DevOpsToolsException(ErrorIds.DataServiceNotFound, ErrorKind.ObjectNotFound,
                $"Backup {backup} was taken on server {backup.Environment}/{backup.Server}, which provider {backup.Provider} no longer lists; nothing was restored.", backup.Server)
            {
                RecommendedAction = "Create the server and run Deploy-DataService for the service, then restore again.",
            };
        return await shells.OpenAsync(server, context.CancellationToken).ConfigureAwait(false);
    }
}

/// <summary>pg_dump and pg_restore on the server, as postgres by peer (Resources/data/postgresql-server.sh, actions dump and restore).</summary>
internal static class ServerDumps
{
    /// <summary>A dump or restore may take long; Ctrl+C still ends it at once.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromHours(6);

    public static async Task<(bool Succeeded, int ExitCode, string StdErr)> DumpAsync(IRemoteShell shell, int port, string database, Stream output, CancellationToken cancellationToken)
    {
        var result = await shell.RunToStreamAsync(Script("dump", port, database), sudo: true, Timeout, output, cancellationToken).ConfigureAwait(false);
        return (result.ExitCode == 0, result.ExitCode, result.StdErr);
    }

    public static async Task<(bool Succeeded, int ExitCode, string StdErr)> RestoreAsync(IRemoteShell shell, int port, string database, Stream input, CancellationToken cancellationToken)
    {
        var result = await shell.RunFromStreamAsync(Script("restore", port, database), sudo: true, Timeout, input, cancellationToken).ConfigureAwait(false);
        return (result.ExitCode == 0, result.ExitCode, result.StdErr);
    }

    private static string Script(string action, int port, string database) => PostgresServerPreparer.Build(new()
    {
        ["DS_ACTION"] = action,
        ["DS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["DS_DB"] = database,
    });
}
