namespace DevOpsTools;

/// <summary>What Deploy-DataService did to a data service (or, under -WhatIf, would do).</summary>
public enum DataServiceStatus
{
    /// <summary>Set up from nothing: volume, container, users and databases are new.</summary>
    Created,

    /// <summary>It existed; something was changed to match the definition (see Changes).</summary>
    Updated,

    /// <summary>It already matched the definition; nothing was touched.</summary>
    Unchanged,

    /// <summary>-WhatIf: Changes lists what a run would do; nothing was done.</summary>
    Planned,
}

/// <summary>A data service as deployed: where it runs, how it is reached, where its secrets are. Never a password.</summary>
public sealed class DataService
{
    public required string Name { get; init; }

    public required string Environment { get; init; }

    /// <summary>"PostgreSQL".</summary>
    public required string Engine { get; init; }

    public required string Version { get; init; }

    /// <summary>Where it runs: "this machine" (a container on this machine's Podman) or "server &lt;environment&gt;/&lt;name&gt;".</summary>
    public required string Target { get; init; }

    /// <summary>host:port the apps connect to (on a server: its address on the environment's network).</summary>
    public required string Endpoint { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public IReadOnlyList<string> Databases { get; init; } = [];

    public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>
    /// The directory of the service's secret files (0600): per user &lt;user&gt;.password and
    /// &lt;user&gt;.url (a postgresql:// URL to the user's first database), for an app spec's
    /// secrets: fromFile.
    /// </summary>
    public required string SecretPath { get; init; }

    public required DataServiceStatus Status { get; init; }

    /// <summary>What was (or, Planned, would be) changed, one line each; empty when Unchanged.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>The name of the server it runs on (placed by role); null in a container.</summary>
    public string? Server { get; init; }

    public string? Container { get; init; }

    public string? Volume { get; init; }

    public string? Image { get; init; }

    /// <summary>Storage size asked for, in bytes (a Podman volume has no quota: checked against free space when created).</summary>
    public long StorageBytes { get; init; }

    /// <summary>The secret file holding the postgresql:// URL of <paramref name="user"/>.</summary>
    public string UrlFile(string user) => System.IO.Path.Combine(SecretPath, user + ".url");

    public override string ToString() => $"{Environment}/{Name} ({Engine} {Version} at {Endpoint})";
}
