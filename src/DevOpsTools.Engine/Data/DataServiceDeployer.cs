using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data;

/// <summary>
/// Sets a data service up to match its definition, idempotently: the image (built here when
/// missing), the named volume, the container, the users' secret files and passwords, and the
/// databases. Each step looks first and changes only what differs, so a second run reports
/// Unchanged. A plan (apply: false, for -WhatIf) runs only the looking steps.
/// </summary>
public sealed class DataServiceDeployer
{
    private const int Steps = 6;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly IDataServiceHost _host;
    private readonly ModuleData _data;

    public DataServiceDeployer(IDataServiceHost host, ModuleData data)
    {
        _host = host;
        _data = data;
    }

    public static string ContainerName(DataServiceDefinition service) => $"devopstools-data-{service.Environment}-{service.Name}";

    public static string VolumeName(DataServiceDefinition service) => ContainerName(service);

    /// <summary>What the container is started from; a different hash means it is re-created (its volume stays).</summary>
    public static string ConfigHash(string image, int port, string volume) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{image}\n{port}\n{volume}")))[..16].ToLowerInvariant();

    public async Task<DataService> DeployAsync(DataServiceDefinition service, bool apply, EngineContext context)
    {
        Check(service);
        var token = context.CancellationToken;
        var changes = new List<string>();
        var label = $"{service.Environment}/{service.Name}";
        var progress = new ProgressUpdate(1, $"Deploy-DataService {label}", "image", 0);
        void Step(int step, string status) => context.Output.WriteProgress(progress = progress with { Status = status, PercentComplete = step * 100 / Steps });

        try
        {
            Step(0, "image");
            var image = DataResources.ImageReference(await _host.BaseImageAsync(apply, context).ConfigureAwait(false));
            if (!await _host.ImageExistsAsync(image, token).ConfigureAwait(false))
            {
                changes.Add($"build image {image} (Debian's postgresql-15)");
                if (apply)
                {
                    context.Output.WriteVerbose($"Building {image} from the module's Debian base image; this happens once per recipe.");
                    await _host.BuildImageAsync(image, await _host.BaseImageAsync(true, context).ConfigureAwait(false), DataResources.ImageFiles(), context).ConfigureAwait(false);
                }
            }

            Step(1, "volume");
            var volume = VolumeName(service);
            var newVolume = !await _host.VolumeExistsAsync(volume, token).ConfigureAwait(false);
            if (newVolume)
            {
                await CheckFreeSpaceAsync(service, token).ConfigureAwait(false);
                changes.Add($"create volume {volume} ({service.Storage})");
                if (apply)
                {
                    await _host.CreateVolumeAsync(volume, Labels(service, null), token).ConfigureAwait(false);
                }
            }

            Step(2, "container");
            var name = ContainerName(service);
            var hash = ConfigHash(image, service.Port, volume);
            var state = await _host.InspectContainerAsync(name, token).ConfigureAwait(false);
            var ready = state is { Running: true } && state.ConfigHash == hash;
            if (!ready)
            {
                changes.Add(state is null ? $"start container {name} on {_host.Address}:{service.Port}"
                    : state.ConfigHash != hash ? $"re-create container {name} (its image or port changed; the data stays on {volume})"
                    : $"restart container {name}");
                if (state is null || state.ConfigHash != hash)
                {
                    CheckPort(service);
                }

                if (apply)
                {
                    await _host.RunContainerAsync(new DataContainerSpec(name, image, volume, service.Port, Labels(service, hash)), token).ConfigureAwait(false);
                    await WaitReadyAsync(name, service, context).ConfigureAwait(false);
                }
            }

            Step(3, "users");
            var secrets = DataServiceSecrets.For(_data, service.Environment, service.Name);
            var reachable = apply || ready;
            foreach (var user in service.Users)
            {
                await EnsureUserAsync(service, name, secrets, user.Name, apply, reachable, changes, token).ConfigureAwait(false);
            }

            Step(4, "databases");
            foreach (var database in service.Databases)
            {
                await EnsureDatabaseAsync(name, database, apply, reachable, changes, token).ConfigureAwait(false);
            }

            Step(5, "done");
            return new DataService
            {
                Name = service.Name,
                Environment = service.Environment,
                Engine = "PostgreSQL",
                Version = service.Version,
                Target = _host.Label,
                Address = _host.Address,
                Port = service.Port,
                Endpoint = $"{_host.Address}:{service.Port}",
                Databases = service.Databases.Select(d => d.Name).ToList(),
                Users = service.Users.Select(u => u.Name).ToList(),
                SecretPath = secrets.Directory,
                Container = name,
                Volume = volume,
                Image = image,
                StorageBytes = service.StorageBytes,
                Changes = changes,
                Status = !apply ? DataServiceStatus.Planned : changes.Count == 0 ? DataServiceStatus.Unchanged : newVolume ? DataServiceStatus.Created : DataServiceStatus.Updated,
            };
        }
        finally
        {
            context.Output.WriteProgress(progress with { Completed = true });
        }
    }

    private static void Check(DataServiceDefinition service)
    {
        if (!service.Container)
        {
            throw new ArgumentException($"Data service '{service.Name}' runs on {service.Placement}: ServerDataDeployer sets it up, not this machine's Podman.", nameof(service));
        }

        if (string.IsNullOrEmpty(service.Environment) || !Validation.IsRfc1123Label(service.Environment))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"Data service '{service.Name}' has no environment; pass it from Import-DevOpsEnvironment or give -Environment.", service.Name);
        }
    }

    private static string Where(DataServiceDefinition service) =>
        service.Location is { } l ? $"{l.File}:{l.Line}:{l.Column}: {l.FieldPath}: " : string.Empty;

    private async Task CheckFreeSpaceAsync(DataServiceDefinition service, CancellationToken token)
    {
        var free = await _host.FreeVolumeBytesAsync(token).ConfigureAwait(false);
        if (free is { } bytes && bytes < service.StorageBytes)
        {
            throw new DevOpsToolsException(ErrorIds.DataStorageUnavailable, ErrorKind.ResourceUnavailable,
                $"{Where(service)}storage: data service '{service.Name}' asks for {service.Storage}, but the filesystem of {_host.Label}'s Podman volumes has {FormatBytes(bytes)} free. Nothing was created.", service.Name)
            {
                RecommendedAction = "Give a smaller storage size, or free space on the filesystem that holds Podman's storage.",
            };
        }
    }

    private void CheckPort(DataServiceDefinition service)
    {
        if (!_host.IsPortFree(service.Port))
        {
            throw new DevOpsToolsException(ErrorIds.DataPortInUse, ErrorKind.ResourceExists,
                $"{Where(service)}port: {_host.Address}:{service.Port} on {_host.Label} is already in use by another program; data service '{service.Name}' cannot listen there.", service.Port)
            {
                RecommendedAction = "Give the service another port in the environment file (port:).",
            };
        }
    }

    private async Task WaitReadyAsync(string container, DataServiceDefinition service, EngineContext context)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var probe = await _host.ExecAsync(container, ["pg_isready", "-q", "-h", "/run/postgresql", "-p", Port(service)], Empty, null, context.CancellationToken).ConfigureAwait(false);
            if (probe.Succeeded)
            {
                return;
            }

            var state = await _host.InspectContainerAsync(container, context.CancellationToken).ConfigureAwait(false);
            if (state is not { Running: true } || DateTime.UtcNow > deadline)
            {
                var logs = await _host.LogsAsync(container, 5, context.CancellationToken).ConfigureAwait(false);
                throw new DevOpsToolsException(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
                    $"PostgreSQL in {container} did not become ready ({(state is { Running: true } ? $"no answer in {ReadyTimeout.TotalSeconds:0} s" : "the container stopped")}): {ExternalProcess.Tail(logs, 5)}", container);
            }

            await Task.Delay(300, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureUserAsync(DataServiceDefinition service, string container, DataServiceSecrets secrets, string user, bool apply, bool reachable, List<string> changes, CancellationToken token)
    {
        var (password, generated) = secrets.EnsureUserFiles(service, user, _host.Address, apply, changes);

        // A login with the kept password proves role and password at once; only a failed one changes anything.
        var secret = new Dictionary<string, string>(StringComparer.Ordinal) { ["PGPASSWORD"] = password };
        if (reachable && !generated)
        {
            var login = await _host.ExecAsync(container, ["psql", "-X", "-q", "-A", "-t", "-w", "-h", "127.0.0.1", "-p", Port(service), "-U", user, "-d", "postgres", "-c", "SELECT 1"], secret, null, token).ConfigureAwait(false);
            if (login.Succeeded)
            {
                return;
            }
        }

        if (!apply)
        {
            changes.Add($"create user {user} or set its password");
            return;
        }

        var result = await Psql(container, DataResources.EnsureRole, new() { ["user"] = user },
            new Dictionary<string, string>(StringComparer.Ordinal) { ["DOT_PW"] = password }, token).ConfigureAwait(false);
        changes.Add($"{(result == "created" ? "create" : "set the password of")} user {user}");
    }

    private async Task EnsureDatabaseAsync(string container, DataDatabase database, bool apply, bool reachable, List<string> changes, CancellationToken token)
    {
        if (!apply)
        {
            var owner = reachable ? await OwnerOfAsync(container, database.Name, token).ConfigureAwait(false) : null;
            if (owner != database.Owner)
            {
                changes.Add(owner is null ? $"create database {database.Name} owned by {database.Owner}" : $"give database {database.Name} to {database.Owner}");
            }

            return;
        }

        var result = await Psql(container, DataResources.EnsureDatabase, new() { ["db"] = database.Name, ["owner"] = database.Owner }, Empty, token).ConfigureAwait(false);
        if (result != "unchanged")
        {
            changes.Add(result == "created" ? $"create database {database.Name} owned by {database.Owner}" : $"give database {database.Name} to {database.Owner}");
        }
    }

    /// <summary>The owner of a database, null when it does not exist (a read-only query, for plans).</summary>
    private async Task<string?> OwnerOfAsync(string container, string database, CancellationToken token)
    {
        var result = await _host.ExecAsync(container, ["psql", "-X", "-q", "-A", "-t", "-h", "/run/postgresql", "-v", "ON_ERROR_STOP=1", "-v", $"db={database}", "-d", "postgres"],
            Empty, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = :'db';\n", token).ConfigureAwait(false);
        var owner = result.StdOut.Trim();
        return result.Succeeded && owner.Length > 0 ? owner : null;
    }

    /// <summary>Runs a psql script of Resources/data as postgres (peer, over the socket); its last line is the answer.</summary>
    private async Task<string> Psql(string container, string script, Dictionary<string, string> variables, IReadOnlyDictionary<string, string> secret, CancellationToken token)
    {
        var arguments = new List<string> { "psql", "-X", "-q", "-A", "-t", "-h", "/run/postgresql", "-d", "postgres", "-v", "ON_ERROR_STOP=1" };
        foreach (var (key, value) in variables)
        {
            arguments.Add("-v");
            arguments.Add($"{key}={value}");
        }

        var result = await _host.ExecAsync(container, arguments, secret, DataResources.Read(script), token).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var reason = ExternalProcess.Tail(result.StdErr.Length > 0 ? result.StdErr : result.StdOut, 4);
            foreach (var value in secret.Values)
            {
                reason = reason.Replace(value, "***", StringComparison.Ordinal);
            }

            throw new DevOpsToolsException(ErrorIds.DataServiceFailed, ErrorKind.InvalidOperation,
                $"{script} failed in {container} (exit code {result.ExitCode}): {reason}", container);
        }

        return result.StdOut.Trim().Split('\n').LastOrDefault()?.Trim() ?? string.Empty;
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static string Port(DataServiceDefinition service) => service.Port.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Labels(DataServiceDefinition service, string? hash)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["devopstools.role"] = "data",
            ["devopstools.environment"] = service.Environment,
            ["devopstools.data"] = service.Name,
            ["devopstools.engine"] = "postgresql",
        };
        if (hash is not null)
        {
            labels["devopstools.config"] = hash;
        }

        return labels;
    }

    internal static string FormatBytes(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : $"{bytes / (double)(1L << 20):0.#} MiB";
}
