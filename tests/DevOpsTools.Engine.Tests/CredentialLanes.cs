using System.Text.Json;

namespace DevOpsTools.Engine.Tests;

/// <summary>
/// The credential lanes of tests/credential-lanes.json: the only tests allowed to skip, because
/// they need outside credentials (a real AWS account, a real cluster). build.ps1 counts an xunit
/// skip as a lane skip when its reason starts with "[Lane]", which is what <see cref="SkipReason"/> writes.
/// </summary>
public static class CredentialLanes
{
    public sealed record Lane(string Name, string Variable, string Needs)
    {
        /// <summary>On when the variable is set to anything but "" or "0" (the rule build.ps1 applies).</summary>
        public bool Enabled => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value && value != "0";
    }

    private static readonly Lazy<IReadOnlyList<Lane>> Loaded = new(Load);

    public static IReadOnlyList<Lane> All => Loaded.Value;

    public static string File => Path.Combine(Environments.EnvironmentLoaderTests.RepoRoot(), "tests", "credential-lanes.json");

    public static Lane Get(string name) => All.FirstOrDefault(l => l.Name == name)
        ?? throw new ArgumentException($"Unknown credential lane '{name}'; the lanes are {string.Join(", ", All.Select(l => l.Name))} ({File}).", nameof(name));

    /// <summary>Null while the lane is on; else "[Lane] ..." naming the variable to set and what it needs.</summary>
    public static string? SkipReason(string name)
    {
        var lane = Get(name);
        return lane.Enabled ? null : $"[{lane.Name}] credential lane off: set {lane.Variable} ({lane.Needs})";
    }

    private static List<Lane> Load()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File));
        return doc.RootElement.GetProperty("lanes").EnumerateArray()
            .Select(l => new Lane(l.GetProperty("name").GetString()!, l.GetProperty("variable").GetString()!, l.GetProperty("needs").GetString()!))
            .ToList();
    }
}

/// <summary>A fact that needs a credential lane: it runs while the lane is on and is a lane skip while it is off.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CredentialLaneFactAttribute : FactAttribute
{
    public CredentialLaneFactAttribute(string lane)
    {
        Lane = lane;
        Skip = CredentialLanes.SkipReason(lane);
    }

    public string Lane { get; }
}
