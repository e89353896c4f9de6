using System.Security.Cryptography;
using System.Text;

namespace DevOpsTools.Engine.Data;

/// <summary>The files of Resources/data: the image recipe, its entry point and the psql scripts.</summary>
internal static class DataResources
{
    public const string Containerfile = "postgresql.Containerfile";
    public const string Entrypoint = "postgresql-entrypoint.sh";
    public const string EnsureRole = "ensure-role.sql";
    public const string EnsureDatabase = "ensure-database.sql";

    public const string ImageRepository = "localhost/devopstools/postgresql";

    public static string Read(string name)
    {
        using var stream = typeof(DataResources).Assembly.GetManifestResourceStream("data/" + name)
            ?? throw new InvalidOperationException($"Resource data/{name} is missing from the engine assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>The build context: the Containerfile and the entry point it copies.</summary>
    public static IReadOnlyDictionary<string, string> ImageFiles() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Containerfile"] = Read(Containerfile),
        [Entrypoint] = Read(Entrypoint),
    };

    /// <summary>
    /// localhost/devopstools/postgresql:15-&lt;12 hex digits&gt;: the hash covers the recipe, the
    /// entry point and the base image, so a change to any of them builds a new image.
    /// </summary>
    public static string ImageReference(string baseImage)
    {
        var text = baseImage + "\n" + string.Join("\n", ImageFiles().Select(f => f.Key + "\n" + f.Value));
        return $"{ImageRepository}:{DataServiceDefinition.SupportedVersion}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant()}";
    }
}
