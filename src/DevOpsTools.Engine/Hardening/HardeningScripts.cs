using System.Collections.Concurrent;

namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// The hardening shell, embedded from Resources/hardening: library.sh (the shared helpers and
/// output protocol) and one file per category holding each rule's check and fix functions.
/// </summary>
public static class HardeningScripts
{
    public const string LibraryResource = "library.sh";

    private const string Prefix = "hardening/";

    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>The resource (file name under Resources/hardening) of a category: "Ssh" -> "ssh.sh".</summary>
    public static string ResourceFor(string category) => category.ToLowerInvariant() + ".sh";

    /// <summary>The library's helpers and output protocol.</summary>
    public static string Library => Read(LibraryResource);

    /// <summary>The text of one embedded hardening resource, LF line ends.</summary>
    public static string Read(string resource) => Cache.GetOrAdd(resource, static name =>
    {
        using var stream = typeof(HardeningScripts).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"Resource {Prefix}{name} is missing from the engine assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    });
}
