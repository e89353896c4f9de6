using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Backups.S3;

namespace DevOpsTools.Engine.Environments;

/// <summary>Rules of the data: section that span fields: placement, sizes, names that PostgreSQL reserves, owners.</summary>
internal static class DataServiceValidator
{
    /// <summary>Below this initdb and a few WAL segments do not fit.</summary>
    internal const long MinimumStorage = 64L << 20;

    internal const long MaximumStorage = 64L << 40;

    private static readonly HashSet<string> ReservedDatabases = new(StringComparer.Ordinal) { "postgres", "template0", "template1" };

    internal static void Validate(EnvironmentDefinition environment, List<DevOpsToolsException> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var containerPorts = new Dictionary<int, string>();
        var roles = environment.ServerGroups.Select(g => g.Role).Where(r => r is not null).ToHashSet(StringComparer.Ordinal);
        foreach (var service in environment.Data)
        {
            if (!names.Add(service.Name))
            {
                errors.Add(Error(service, "name", $"data service '{service.Name}' is defined twice."));
            }

            if (service.Container == (service.Role is not null))
            {
                errors.Add(Error(service, service.Role is null ? "container" : "role",
                    $"data service '{service.Name}' needs exactly one of role (a server role of this environment) and container: true."));
            }
            else if (service.Role is not null && !roles.Contains(service.Role))
            {
                errors.Add(Error(service, "role", $"data service '{service.Name}' runs on role '{service.Role}', which no server group of environment '{environment.Name}' has" +
                    (roles.Count == 0 ? " (it has no roles)." : $" (roles: {string.Join(", ", roles.Order(StringComparer.Ordinal))}).")));
            }
            else if (service.Container && !containerPorts.TryAdd(service.Port, service.Name))
            {
                errors.Add(Error(service, "port", $"data services '{containerPorts[service.Port]}' and '{service.Name}' both run in a container on port {service.Port} of this machine."));
            }

            if (service.StorageBytes is > 0 and (< MinimumStorage or > MaximumStorage))
            {
                errors.Add(Error(service, "storage", $"'{service.Storage}' is out of range; a data service needs between 64Mi and 64Ti."));
            }

            ValidateUsers(service, errors);
            if (service.Backup is { Keep: null, MaxAge: null, Destination: null })
            {
                errors.Add(Error(service, "backup", $"data service '{service.Name}': backup needs keep (a count) or maxAge (e.g. 30d), or both."));
            }

            ValidateBackupDestination(service, errors);
        }
    }

    private static void ValidateBackupDestination(DataServiceDefinition service, List<DevOpsToolsException> errors)
    {
        if (service.Backup is not { } backup)
        {
            return;
        }

        if (backup.Destination is not null && S3Location.Check(backup.Destination) is { } wrong)
        {
            errors.Add(Error(backup, "destination", $"data service '{service.Name}': backup.destination {wrong}"));
        }

        if (backup.EndpointUrl is not null)
        {
            if (backup.Destination is null)
            {
                errors.Add(Error(backup, "endpointUrl", $"data service '{service.Name}': backup.endpointUrl needs an s3:// backup.destination."));
            }
            else if (S3ClientFactory.CheckEndpoint(backup.EndpointUrl) is { } bad)
            {
                errors.Add(Error(backup, "endpointUrl", $"data service '{service.Name}': backup.endpointUrl {bad}"));
            }
        }
    }

    private static void ValidateUsers(DataServiceDefinition service, List<DevOpsToolsException> errors)
    {
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in service.Users)
        {
            if (user.Name == "postgres" || user.Name.StartsWith("pg_", StringComparison.Ordinal))
            {
                errors.Add(Error(user, "name", $"'{user.Name}' is reserved by PostgreSQL (postgres is the superuser, pg_ names are its own roles); choose another user name."));
            }
            else if (!users.Add(user.Name))
            {
                errors.Add(Error(user, "name", $"user '{user.Name}' is listed twice."));
            }
        }

        var databases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var database in service.Databases)
        {
            if (ReservedDatabases.Contains(database.Name))
            {
                errors.Add(Error(database, "name", $"'{database.Name}' is one of PostgreSQL's own databases; choose another database name."));
            }
            else if (!databases.Add(database.Name))
            {
                errors.Add(Error(database, "name", $"database '{database.Name}' is listed twice."));
            }

            if (!users.Contains(database.Owner))
            {
                errors.Add(Error(database, "owner", $"database '{database.Name}' is owned by '{database.Owner}', which is not among the service's users" +
                    (users.Count == 0 ? " (it has none; add it under users)." : $" ({string.Join(", ", users)}).")));
            }
        }
    }

    private static DevOpsToolsException Error(Yaml.IYamlLocated where, string field, string message) =>
        EnvironmentLoader.SemanticError(where.Location, field, message);
}
