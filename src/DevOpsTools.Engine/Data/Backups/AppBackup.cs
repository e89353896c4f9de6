using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevOpsTools;

/// <summary>
/// One backup of one database of a data service (a pg_dump custom-format file) or of one app
/// volume (a tar archive of a Podman volume), and its manifest (&lt;id&gt;.json beside &lt;id&gt;.dump or
/// &lt;id&gt;.tar). The manifest is written last, so a backup without one was never completed and is
/// not listed.
/// </summary>
public sealed class AppBackup
{
    public const string DatabaseKind = "Database";
    public const string VolumeKind = "Volume";

    public required string Id { get; init; }

    /// <summary>"Database" (pg_dump) or "Volume" (a volume's tar archive); manifests without it are database backups.</summary>
    public string Kind { get; init; } = DatabaseKind;

    public required string Environment { get; init; }

    /// <summary>The data service's name, or for a volume backup the app's.</summary>
    public required string Service { get; init; }

    /// <summary>The database; empty for a volume backup.</summary>
    public required string Database { get; init; }

    /// <summary>For a volume backup: the Podman volume it archives (dot-&lt;environment&gt;-&lt;app&gt;-&lt;name&gt; for an app's volume).</summary>
    public string? Volume { get; init; }

    public required string Engine { get; init; }

    public required string Version { get; init; }

    /// <summary>"pg_dump custom" (pg_dump -Fc; pg_restore reads it) or "tar" (podman volume export).</summary>
    public required string Format { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>SHA-256 of the dump file, lower-case hex.</summary>
    public required string Sha256 { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>The image the dump was taken with (Test-AppBackup restores into a container of it).</summary>
    public string? Image { get; init; }

    /// <summary>For a service placed by role: the server it was taken on (restored there), its provider and the service's port.</summary>
    public string? Server { get; init; }

    public string? Provider { get; init; }

    public int? Port { get; init; }

    /// <summary>The backup file's extension: .tar for a volume archive, .dump for a database.</summary>
    [JsonIgnore]
    public string FileExtension => Kind == VolumeKind ? ".tar" : ".dump";

    /// <summary>The dump or archive file (not stored in the manifest: it sits beside it).</summary>
    [JsonIgnore]
    public string Path { get; set; } = string.Empty;

    [JsonIgnore]
    public string ManifestPath { get; set; } = string.Empty;

    /// <summary>
    /// The store it was listed from or written to (not in the manifest): s3://bucket/prefix, a
    /// directory given with -Path, or null for the module data directory. Restore-AppData and
    /// Test-AppBackup read a piped backup from there.
    /// </summary>
    [JsonIgnore]
    public string? Store { get; set; }

    /// <summary>The S3-compatible endpoint of an S3 store (null: AWS S3 itself); never credentials.</summary>
    [JsonIgnore]
    public string? EndpointUrl { get; set; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Null when the text is not a complete manifest.</summary>
    public static AppBackup? FromJson(string json)
    {
        try
        {
            var backup = JsonSerializer.Deserialize<AppBackup>(json, Options);
            return backup is { Id.Length: > 0, Sha256.Length: 64 } ? backup : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => $"{Environment}/{Service}/{Id}";
}
