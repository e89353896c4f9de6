using System.Reflection;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers;

/// <summary>Names a provider class ("Podman", "Aws"); without it the class name minus "ServerProvider" is used.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ServerProviderAttribute : Attribute
{
    public ServerProviderAttribute(string name)
    {
        Name = name;
    }

    public string Name { get; }
}

/// <summary>What a provider is constructed with: the module data directory and its own settings (AwsSettings, PodmanSettings).</summary>
public sealed class ProviderOptions
{
    public ModuleData Data { get; init; } = ModuleData.Default;

    /// <summary>The provider's settings from parameters or the environment file; a provider reads only its own type.</summary>
    public ServerProviderSettings? Settings { get; init; }
}

/// <summary>
/// Finds server providers by name. Every non-abstract IServerProvider in the engine assembly is
/// registered automatically, so adding a provider is adding one class (with a constructor that
/// takes <see cref="ProviderOptions"/>, or none).
/// </summary>
public static class ServerProviderRegistry
{
    public const string DefaultProvider = "Podman";

    private static readonly Lazy<IReadOnlyDictionary<string, Type>> Providers = new(Discover);

    /// <summary>Provider names, e.g. Podman, Aws.</summary>
    public static IReadOnlyCollection<string> Names => Providers.Value.Keys.Order(StringComparer.Ordinal).ToList();

    public static bool IsKnown(string? name) => name is not null && Providers.Value.ContainsKey(name);

    /// <summary>The canonical spelling of a provider name ("podman" gives "Podman").</summary>
    public static string Canonical(string name) =>
        Providers.Value.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? throw Unknown(name);

    public static IServerProvider Create(string name, ProviderOptions options)
    {
        if (!Providers.Value.TryGetValue(name, out var type))
        {
            throw Unknown(name);
        }

        var withOptions = type.GetConstructor([typeof(ProviderOptions)]);
        if (withOptions is not null)
        {
            return (IServerProvider)withOptions.Invoke([options]);
        }

        return (IServerProvider)Activator.CreateInstance(type)!;
    }

    private static DevOpsToolsException Unknown(string name) =>
        new(ErrorIds.UnknownProvider, ErrorKind.InvalidArgument,
            $"Unknown server provider '{name}'. Known providers: {string.Join(", ", Providers.Value.Keys.Order(StringComparer.Ordinal))}.", name);

    private static Dictionary<string, Type> Discover()
    {
        var found = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in typeof(IServerProvider).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.IsInterface || !typeof(IServerProvider).IsAssignableFrom(type))
            {
                continue;
            }

            if (type.GetConstructor([typeof(ProviderOptions)]) is null && type.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }

            var name = type.GetCustomAttribute<ServerProviderAttribute>()?.Name
                ?? (type.Name.EndsWith("ServerProvider", StringComparison.Ordinal) ? type.Name[..^"ServerProvider".Length] : type.Name);
            found[name] = type;
        }

        return found;
    }
}

/// <summary>The portable size names and what they mean for providers that size by CPU and memory.</summary>
public static class ServerSizes
{
    public static readonly IReadOnlyList<string> Names = ["small", "medium", "large"];

    public static bool IsPortable(string size) => Names.Contains(size, StringComparer.OrdinalIgnoreCase);

    /// <summary>CPUs and memory in MiB for a portable size.</summary>
    public static (double Cpus, int MemoryMiB) Resources(string size) => size.ToLowerInvariant() switch
    {
        "small" => (1, 1024),
        "medium" => (2, 2048),
        "large" => (4, 4096),
        _ => throw new DevOpsToolsException(ErrorIds.UnknownSize, ErrorKind.InvalidArgument, $"Unknown size '{size}'. Use small, medium or large.", size),
    };
}
