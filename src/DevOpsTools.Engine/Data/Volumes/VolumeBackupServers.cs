using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>The server a volume backup was taken on, found again at its provider from the manifest's Server and Provider.</summary>
public static class VolumeBackupServers
{
    public static async Task<Server> FindAsync(ModuleData data, AppBackup backup, EngineContext context)
    {
        var name = backup.Server ?? throw new ArgumentException($"Backup {backup} was taken on this machine, not on a server.", nameof(backup));
        var provider = backup.Provider ?? "Podman";
        var servers = await new ServerManager(data).ListAsync(provider, backup.Environment, context).ConfigureAwait(false);
        return servers.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal))
            ?? throw new DevOpsToolsException(ErrorIds.ServerNotFound, ErrorKind.ObjectNotFound,
                $"Volume backup {backup} was taken on server {backup.Environment}/{name}, which provider {provider} no longer lists; nothing was restored. -Server restores onto another server.", name)
            {
                RecommendedAction = "Give the server to restore onto with -Server (Get-Server), or create it and deploy the app again.",
            };
    }
}
