using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Yaml;

namespace DevOpsTools;

/// <summary>Database engines a data service can run. PostgreSQL first; others get their own value here.</summary>
public enum DataEngine
{
    Postgresql,
}

/// <summary>
/// A data service of an environment (the environment file's data: section): a database server
/// with its storage, databases, users and backup retention. Deploy-DataService sets it up.
/// </summary>
public sealed class DataServiceDefinition : IYamlLocated
{
    /// <summary>PostgreSQL identifiers the module creates: lower-case, so no quoting rule differs between psql, SQL and URLs.</summary>
    public const string IdentifierPattern = "^[a-z_][a-z0-9_]{0,62}$";

    /// <summary>The one PostgreSQL version Debian 12 ships (postgresql-15); others need another base image.</summary>
    public const string SupportedVersion = "15";

    [YamlField("name", Required = true, Description = "Data service name, an RFC 1123 label such as main or shop-db", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("engine", Required = true, Description = "Database engine: postgresql")]
    public DataEngine Engine { get; set; } = DataEngine.Postgresql;

    [YamlField("version", Description = "Engine major version; PostgreSQL 15 (Debian 12's packages) is the one available", Pattern = "^15$", AllowInteger = true)]
    public string Version { get; set; } = SupportedVersion;

    [YamlField("role", Description = "Run it on the environment's server with this role (RFC 1123 label such as db); exactly one of role and container", Pattern = Validation.Rfc1123LabelPattern)]
    public string? Role { get; set; }

    [YamlField("container", Description = "Run it in a container on this machine's Podman (the apps' host); exactly one of role and container")]
    public bool Container { get; set; }

    [YamlField("port", Description = "TCP port it listens on (for a container: on 127.0.0.1 of this machine)", Minimum = 1, Maximum = 65535)]
    public int Port { get; set; } = 5432;

    [YamlField("storage", Description = "Storage size of its data, e.g. 10Gi (Ki, Mi, Gi, Ti or k, M, G, T); at least 64Mi", Pattern = Quantities.SizePattern)]
    public string Storage { get; set; } = "1Gi";

    [YamlField("users", Description = "Login roles; each gets a generated password kept in a 0600 secret file")]
    public List<DataUser> Users { get; set; } = [];

    [YamlField("databases", Description = "Databases, each owned by one of the users")]
    public List<DataDatabase> Databases { get; set; } = [];

    [YamlField("backup", Description = "Backups: how many to keep and/or for how long, and where they go (destination)")]
    public DataBackupSettings? Backup { get; set; }

    public YamlLocation? Location { get; set; }

    /// <summary>The environment it belongs to (set by the loader; binds to Deploy-DataService by property name).</summary>
    public string Environment { get; set; } = string.Empty;

    /// <summary>The environment's server provider (set by the loader): where a role service's server is looked up.</summary>
    public string Provider { get; set; } = "Podman";

    /// <summary>The environment's provider settings (set by the loader; AWS: region, profile, endpoint; no secrets).</summary>
    public ServerProviderSettings? ProviderSettings { get; set; }

    /// <summary>Bytes of <see cref="Storage"/> (validated by then).</summary>
    public long StorageBytes => Quantities.ParseSize(Storage) ?? 0;

    /// <summary>Where it runs, for messages and the output object: "container" or "role db".</summary>
    public string Placement => Role is null ? "container" : $"role {Role}";
}

public sealed class DataUser : IYamlLocated
{
    [YamlField("name", Required = true, Description = "Role name: lower-case letters, digits and _, starting with a letter or _, at most 63; not postgres and not starting with pg_", Pattern = DataServiceDefinition.IdentifierPattern)]
    public string Name { get; set; } = string.Empty;

    public YamlLocation? Location { get; set; }
}

public sealed class DataDatabase : IYamlLocated
{
    [YamlField("name", Required = true, Description = "Database name: lower-case letters, digits and _, starting with a letter or _, at most 63; not postgres or template0/1", Pattern = DataServiceDefinition.IdentifierPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("owner", Required = true, Description = "The user (from users) that owns it", Pattern = DataServiceDefinition.IdentifierPattern)]
    public string Owner { get; set; } = string.Empty;

    public YamlLocation? Location { get; set; }
}

public sealed class DataBackupSettings : IYamlLocated
{
    [YamlField("keep", Description = "Keep at most this many backups of the service (the newest)", Minimum = 1, Maximum = 10000)]
    public int? Keep { get; set; }

    [YamlField("maxAge", Description = "Remove backups older than this, e.g. 30d (h, d or w)", Pattern = @"^[0-9]{1,5}[hdw]$")]
    public string? MaxAge { get; set; }

    [YamlField("destination", Description = "Where backups go: s3://bucket/prefix (an S3 or S3-compatible bucket); default: the module data directory")]
    public string? Destination { get; set; }

    [YamlField("endpointUrl", Description = "With an s3:// destination: the URL of an S3-compatible server (path-style requests); default: AWS S3 of the region")]
    public string? EndpointUrl { get; set; }

    public YamlLocation? Location { get; set; }

    /// <summary><see cref="MaxAge"/> as a duration; null when not set (validated by then).</summary>
    public TimeSpan? MaxAgeSpan => MaxAge is null
        ? null
        : MaxAge[^1] switch
        {
            'h' => TimeSpan.FromHours(int.Parse(MaxAge[..^1], System.Globalization.CultureInfo.InvariantCulture)),
            'd' => TimeSpan.FromDays(int.Parse(MaxAge[..^1], System.Globalization.CultureInfo.InvariantCulture)),
            _ => TimeSpan.FromDays(7 * int.Parse(MaxAge[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        };
}
