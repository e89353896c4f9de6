using System.Globalization;
using System.Net.Sockets;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Data;

/// <summary>
/// Sets a data service placed by role (role: db) up on that server of its environment, over the
/// SSH layer: PostgreSQL prepared by <see cref="PostgresServerPreparer"/> (admitting the
/// environment's other servers, the app servers, by their own addresses), then the users'
/// passwords (secret files 0600, as for a container) and the databases, each by a psql script run
/// as postgres on the server. Each step looks first, so a second run reports Unchanged; a plan
/// (apply: false, for -WhatIf) only looks.
/// </summary>
public sealed class ServerDataDeployer
{
    private const int Steps = 5;
    private static readonly TimeSpan SqlTimeout = TimeSpan.FromMinutes(2);
    private const string OwnerQuery = "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = :'db';";

    private readonly ModuleData _data;
    private readonly IRemoteShellFactory _shells;
    private readonly PostgresServerPreparer _preparer;

    public ServerDataDeployer(ModuleData data, IRemoteShellFactory shells, PostgresServerPreparer? preparer = null)
    {
        _data = data;
        _shells = shells;
        _preparer = preparer ?? new PostgresServerPreparer();
    }

    /// <summary>The server of <paramref name="servers"/> (the environment's, from its provider) that runs the service.</summary>
    public static Server PlaceOn(DataServiceDefinition service, IReadOnlyList<Server> servers)
    {
        var matches = servers.Where(s => string.Equals(s.Role, service.Role, StringComparison.Ordinal)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        if (matches.Count == 0)
        {
            var others = servers.Count == 0 ? "it has no servers" : "its servers are " + string.Join(", ", servers.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => $"{s.Name} (role {s.Role ?? "none"})"));
            throw new DevOpsToolsException(ErrorIds.ServerNotFound, ErrorKind.ObjectNotFound,
                $"{Where(service)}role: data service '{service.Name}' runs on the server with role '{service.Role}', but environment '{service.Environment}' has no such server ({others}).", service.Role)
            {
                RecommendedAction = $"Create it first (New-Server -Environment {service.Environment} -Role {service.Role}, or the environment file's servers section through New-Server), or change role: in the file.",
            };
        }

        if (matches.Count > 1)
        {
            throw new DevOpsToolsException(ErrorIds.DataPlacementNotSupported, ErrorKind.InvalidOperation,
                $"{Where(service)}role: data service '{service.Name}' runs on one server, but role '{service.Role}' of environment '{service.Environment}' has {matches.Count} ({string.Join(", ", matches.Select(s => s.Name))}); this version does not replicate PostgreSQL.", service.Role)
            {
                RecommendedAction = "Give the data service's server a role of its own (count: 1).",
            };
        }

        return matches[0];
    }

    public async Task<DataService> DeployAsync(DataServiceDefinition service, IReadOnlyList<Server> servers, bool apply, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(servers);
        var token = context.CancellationToken;
        var server = PlaceOn(service, servers);
        var apps = servers.Where(s => !ReferenceEquals(s, server) && !string.Equals(s.Role, service.Role, StringComparison.Ordinal)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var changes = new List<string>();
        var progress = new ProgressUpdate(1, $"Deploy-DataService {service.Environment}/{service.Name}", "app servers' addresses", 0);
        void Step(int step, string status) => context.Output.WriteProgress(progress = progress with { Status = status, PercentComplete = step * 100 / Steps });

        try
        {
            Step(0, "app servers' addresses");
            var clients = new List<string>();
            foreach (var app in apps)
            {
                await using var appShell = await OpenAsync(service, app, token).ConfigureAwait(false);
                clients.Add(await AppAddressAsync(service, appShell, token).ConfigureAwait(false));
            }

            Step(1, $"PostgreSQL on {server.Label}");
            await using var shell = await OpenAsync(service, server, token).ConfigureAwait(false);
            var prepared = await Reach(service, server, () => apply
                ? _preparer.PrepareAsync(shell, service.Name, service.Port, clients, context)
                : _preparer.PlanAsync(shell, service.Name, service.Port, clients, context)).ConfigureAwait(false);
            changes.AddRange(prepared.Changes.Select(c => $"{c} on {server.Label}"));
            // The server's definition records that the port is for the app servers only: a later
            // Set-Hardening (FW-001) opens it in the firewall to these addresses alone.
            if (clients.Count > 0 && new PortSources(_data).Record(service.Environment, server.Name, service.Port, clients, apply))
            {
                changes.Add($"port {service.Port.ToString(CultureInfo.InvariantCulture)} open only to {string.Join(", ", clients)} (firewall, Set-Hardening) on {server.Label}");
            }

            var created = prepared.Changes.Any(c => c.StartsWith("cluster ", StringComparison.Ordinal));
            var reachable = apply || !prepared.Changes.Any(c => c.StartsWith("packages", StringComparison.Ordinal) || c.StartsWith("cluster ", StringComparison.Ordinal) || c.StartsWith("start ", StringComparison.Ordinal));
            var address = prepared.ListenAddresses.FirstOrDefault(a => a != "127.0.0.1") ?? "127.0.0.1";

            Step(2, "users");
            var secrets = DataServiceSecrets.For(_data, service.Environment, service.Name);
            foreach (var user in service.Users)
            {
                await EnsureUserAsync(shell, service, secrets, user.Name, address, apply, reachable, changes, token).ConfigureAwait(false);
            }

            Step(3, "databases");
            foreach (var database in service.Databases)
            {
                await EnsureDatabaseAsync(shell, service, database, apply, reachable, changes, token).ConfigureAwait(false);
            }

            Step(4, "done");
            var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
            return new DataService
            {
                Name = service.Name,
                Environment = service.Environment,
                Engine = "PostgreSQL",
                Version = service.Version,
                Target = $"server {server.Label}",
                Address = address,
                Port = service.Port,
                Endpoint = $"{host}:{service.Port}",
                Server = server.Name,
                Databases = service.Databases.Select(d => d.Name).ToList(),
                Users = service.Users.Select(u => u.Name).ToList(),
                SecretPath = secrets.Directory,
                StorageBytes = service.StorageBytes,
                Changes = changes,
                Status = !apply ? DataServiceStatus.Planned : changes.Count == 0 ? DataServiceStatus.Unchanged : created ? DataServiceStatus.Created : DataServiceStatus.Updated,
            };
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
        }
    }

    private async Task<IRemoteShell> OpenAsync(DataServiceDefinition service, Server server, CancellationToken token)
    {
        if (!string.Equals(server.State, "Running", StringComparison.OrdinalIgnoreCase))
        {
            throw Unreachable(service, server, $"it is {server.State}", null);
        }

        return await Reach(service, server, () => _shells.OpenAsync(server, token)).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/>; a server that cannot be reached is an error naming the service and the server.</summary>
    private static async Task<T> Reach<T>(DataServiceDefinition service, Server server, Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (DevOpsToolsException ex) when (ex.ErrorId is ErrorIds.SshConnectionFailed or ErrorIds.SshAuthenticationFailed or ErrorIds.ServerNotReady)
        {
            throw Unreachable(service, server, ex.Message, ex);
        }
        catch (SocketException ex)
        {
            throw Unreachable(service, server, ex.Message, ex);
        }
    }

    private static DevOpsToolsException Unreachable(DataServiceDefinition service, Server server, string reason, Exception? inner) =>
        new(ErrorIds.SshConnectionFailed, ErrorKind.ConnectionError,
            $"Data service '{service.Environment}/{service.Name}' needs server {server.Label} (role {server.Role ?? "none"}), which cannot be reached over SSH: {reason}", server, inner)
        {
            RecommendedAction = "Check that the server is running (Get-Server) and reachable over SSH (Invoke-ServerCommand), then run again: nothing was changed on it.",
        };

    /// <summary>The app server's own primary address (IPv4 first): the one PostgreSQL sees its connections from.</summary>
    private static async Task<string> AppAddressAsync(DataServiceDefinition service, IRemoteShell shell, CancellationToken token)
    {
        var own = await Reach(service, shell.Server, () => PostgresServerPreparer.AddressesAsync(shell, token)).ConfigureAwait(false);
        var address = own.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork) ?? own.FirstOrDefault()
            ?? throw new DevOpsToolsException(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
                $"App server {shell.Server.Label} reports no global address; data service '{service.Name}' cannot admit it.", shell.Server);
        return address.Address.ToString();
    }

    private async Task EnsureUserAsync(IRemoteShell shell, DataServiceDefinition service, DataServiceSecrets secrets, string user, string address, bool apply, bool reachable, List<string> changes, CancellationToken token)
    {
        var (password, generated) = secrets.EnsureUserFiles(service, user, address, apply, changes);

        // A login with the kept password proves role and password at once; only a failed one changes anything.
        if (reachable && !generated)
        {
            var login = await Run(shell, service, new() { ["DS_ACTION"] = "login", ["DS_USER"] = user, ["DS_PW"] = password }, token).ConfigureAwait(false);
            if (login.ExitCode == 0)
            {
                return;
            }
        }

        if (!apply)
        {
            changes.Add($"create user {user} or set its password");
            return;
        }

        var result = await Sql(shell, service, DataResources.Read(DataResources.EnsureRole), new() { ["DS_USER"] = user, ["DS_PW"] = password }, password, token).ConfigureAwait(false);
        changes.Add($"{(result == "created" ? "create" : "set the password of")} user {user}");
    }

    private static async Task EnsureDatabaseAsync(IRemoteShell shell, DataServiceDefinition service, DataDatabase database, bool apply, bool reachable, List<string> changes, CancellationToken token)
    {
        string result;
        if (!apply)
        {
            var owner = reachable ? await Sql(shell, service, OwnerQuery, new() { ["DS_DB"] = database.Name }, null, token).ConfigureAwait(false) : string.Empty;
            result = owner.Length == 0 ? "created" : owner != database.Owner ? "updated" : "unchanged";
        }
        else
        {
            result = await Sql(shell, service, DataResources.Read(DataResources.EnsureDatabase), new() { ["DS_DB"] = database.Name, ["DS_OWNER"] = database.Owner }, null, token).ConfigureAwait(false);
        }

        if (result != "unchanged")
        {
            changes.Add(result == "created" ? $"create database {database.Name} owned by {database.Owner}" : $"give database {database.Name} to {database.Owner}");
        }
    }

    /// <summary>A psql script run as postgres by socket on the server; its last line is the answer.</summary>
    private static async Task<string> Sql(IRemoteShell shell, DataServiceDefinition service, string script, Dictionary<string, string> variables, string? secret, CancellationToken token)
    {
        variables["DS_ACTION"] = "sql";
        variables["DS_SQL"] = script;
        var result = await Run(shell, service, variables, token).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var reason = ExternalProcess.Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut, 4);
            if (secret is not null)
            {
                reason = reason.Replace(secret, "***", StringComparison.Ordinal);
            }

            throw new DevOpsToolsException(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
                $"A psql step of data service '{service.Name}' failed on server {shell.Server.Label} (exit code {result.ExitCode}): {reason}", shell.Server);
        }

        return result.StdOut.Trim().Split('\n').LastOrDefault()?.Trim() ?? string.Empty;
    }

    private static Task<RemoteResult> Run(IRemoteShell shell, DataServiceDefinition service, Dictionary<string, string> variables, CancellationToken token)
    {
        variables["DS_PORT"] = service.Port.ToString(CultureInfo.InvariantCulture);
        return Reach(service, shell.Server, () => shell.RunAsync(PostgresServerPreparer.Build(variables), sudo: true, SqlTimeout, token));
    }

    private static string Where(DataServiceDefinition service) =>
        service.Location is { } l ? $"{l.File}:{l.Line}:{l.Column}: {l.FieldPath}: " : string.Empty;
}
