using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevOpsTools;

/// <summary>
/// One backup of one database of a data service: a pg_dump custom-format file and its manifest
/// (&lt;id&gt;.json beside &lt;id&gt;.dump). The manifest is written last, so a backup without one was
/// never completed and is not listed.
/// </summary>
public sealed class AppBackup
{
    public required string Id { get; init; }

    public required string Environment { get; init; }

    /// <summary>The data service's name.</summary>
    public required string Service { get; init; }

    public required string Database { get; init; }

    public required string Engine { get; init; }

    public required string Version { get; init; }

    /// <summary>"pg_dump custom" (pg_dump -Fc; pg_restore reads it).</summary>
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

    /// <summary>The dump file (not stored in the manifest: it sits beside it).</summary>
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
