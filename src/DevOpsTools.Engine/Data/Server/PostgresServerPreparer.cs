using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Data;

/// <summary>What preparing PostgreSQL on one server did.</summary>
public sealed record PostgresServerPreparation(string Server, string Cluster, bool Changed, IReadOnlyList<string> Changes, IReadOnlyList<string> ListenAddresses, TimeSpan Duration);

/// <summary>
/// Sets PostgreSQL 15 up on a server over the SSH layer (Resources/data/postgresql-server.sh as
/// root): Debian's postgresql-15 when missing, a cluster named after the data service on its port,
/// listening on the server's address that the app servers reach plus 127.0.0.1, and a pg_hba.conf
/// that admits only those app servers' addresses by scram-sha-256 and the superuser by peer.
/// The server reports its own addresses first; what it is given is rendered here
/// (<see cref="PostgresServerNetwork"/>) and passed as data. Idempotent: a second run with the
/// same clients changes nothing. The data directory is on the server's own disk
/// (/var/lib/postgresql/15/&lt;cluster&gt;).
/// </summary>
public sealed partial class PostgresServerPreparer
{
    private const string Resource = "postgresql-server.sh";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    public static string DataDirectory(string cluster) => $"/var/lib/postgresql/15/{cluster}";

    /// <summary>The server's global addresses (primary first), as its `ip -o addr` reports them.</summary>
    public static async Task<IReadOnlyList<InterfaceAddress>> AddressesAsync(IRemoteShell shell, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var result = await shell.RunAsync(Build(new() { ["DS_ACTION"] = "addresses" }), sudo: true, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failed(shell.Server, "Reading the server's addresses", result);
        }

        return PostgresServerNetwork.ParseIpAddr(result.StdOut);
    }

    /// <param name="cluster">The data service's name (an RFC 1123 label): the cluster's name.</param>
    /// <param name="clients">The app servers' addresses as the server sees them; each one unicast address.</param>
    public Task<PostgresServerPreparation> PrepareAsync(IRemoteShell shell, string cluster, int port, IEnumerable<string> clients, EngineContext context) =>
        RunAsync(shell, cluster, port, clients, plan: false, context);

    /// <summary>What <see cref="PrepareAsync(IRemoteShell, string, int, IEnumerable{string}, EngineContext)"/> would change (for -WhatIf); changes nothing on the server.</summary>
    public Task<PostgresServerPreparation> PlanAsync(IRemoteShell shell, string cluster, int port, IEnumerable<string> clients, EngineContext context) =>
        RunAsync(shell, cluster, port, clients, plan: true, context);

    private async Task<PostgresServerPreparation> RunAsync(IRemoteShell shell, string cluster, int port, IEnumerable<string> clients, bool plan, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(context);
        if (!Validation.IsRfc1123Label(cluster))
        {
            throw new ArgumentException($"'{cluster}' is not a data service name (an RFC 1123 label).", nameof(cluster));
        }

        var server = shell.Server;
        var watch = Stopwatch.StartNew();
        var admitted = PostgresServerNetwork.Clients(clients);
        var listen = PostgresServerNetwork.ListenAddresses(await AddressesAsync(shell, context.CancellationToken).ConfigureAwait(false), admitted);
        context.Output.WriteVerbose($"{(plan ? "Planning" : "Preparing")} PostgreSQL 15/{cluster} on {server.Label}: port {port}, listening on {string.Join(", ", listen)}, admitting {(admitted.Count == 0 ? "no app server" : string.Join(", ", admitted))}.");
        var result = await shell.RunAsync(Build(new()
        {
            ["DS_ACTION"] = plan ? "plan" : "prepare",
            ["DS_CLUSTER"] = cluster,
            ["DS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["DS_DATA_DIR"] = DataDirectory(cluster),
            ["DS_CONF"] = PostgresServerNetwork.RenderConfig(listen, port),
            ["DS_HBA"] = PostgresServerNetwork.RenderHba(admitted),
        }), sudo: true, plan ? TimeSpan.FromMinutes(1) : Timeout, context.CancellationToken).ConfigureAwait(false);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 || !lines.Any(l => l.StartsWith("result ", StringComparison.Ordinal)))
        {
            throw Failed(server, $"{(plan ? "Planning" : "Preparing")} PostgreSQL 15/{cluster}", result);
        }

        var changes = lines.Where(l => l.StartsWith("changed ", StringComparison.Ordinal)).Select(l => l["changed ".Length..]).ToList();
        var changed = lines.Last(l => l.StartsWith("result ", StringComparison.Ordinal)) == "result changed";
        if (!plan)
        {
            context.Output.WriteVerbose(changed
                ? $"PostgreSQL 15/{cluster} on {server.Label} prepared in {watch.Elapsed.TotalSeconds:0.0} s: {string.Join("; ", changes)}."
                : $"PostgreSQL 15/{cluster} on {server.Label} was already as described ({watch.Elapsed.TotalSeconds:0.0} s).");
        }

        return new PostgresServerPreparation(server.Label, cluster, changed, changes, listen.Select(a => a.ToString()).ToList(), watch.Elapsed);
    }

    /// <summary>The same over a pooled SSH connection of the module's data (known hosts, keys).</summary>
    public async Task<PostgresServerPreparation> PrepareAsync(Server server, string cluster, int port, string[] clients, EngineContext context)
    {
        await using var pool = new SshConnectionPool(ModuleData.Default);
        await using var shell = pool.GetShell(server);
        return await PrepareAsync(shell, cluster, port, clients, context).ConfigureAwait(false);
    }

    /// <summary>
    /// The script with its variables set in front as quoted assignments. Names are DS_[A-Z_]+;
    /// values are printable text, where only the rendered files (DS_CONF, DS_HBA) and DS_SQL may hold newlines.
    /// </summary>
    internal static string Build(Dictionary<string, string> variables)
    {
        var script = new StringBuilder();
        foreach (var (name, value) in variables)
        {
            var multiline = name is "DS_CONF" or "DS_HBA" or "DS_SQL";
            if (!VariableName().IsMatch(name) || value.Any(c => char.IsControl(c) && !(multiline && c == '\n')))
            {
                throw new ArgumentException($"Variable {name} is not a valid {Resource} input.", nameof(variables));
            }

            script.Append(name).Append('=').Append(ScriptBuilder.Quote(value)).Append("; export ").Append(name).Append('\n');
        }

        return script.Append(DataResources.Read(Resource)).ToString();
    }

    private static DevOpsToolsException Failed(Server server, string what, RemoteResult result) =>
        new(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
            $"{what} on server {server.Label} failed (exit code {result.ExitCode}): {ExternalProcess.Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut)}", server)
        {
            RecommendedAction = "Check that the server reaches its Debian mirror (apt-get update) and has free disk space, then run again: preparing is idempotent.",
        };

    [GeneratedRegex("^DS_[A-Z_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();
}
