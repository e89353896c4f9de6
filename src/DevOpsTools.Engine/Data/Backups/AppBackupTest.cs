namespace DevOpsTools;

/// <summary>Test-AppBackup's verdict on one backup: a database restored into a throwaway PostgreSQL and queried; a volume archive read to its end.</summary>
public sealed class AppBackupTest
{
    public required string Id { get; init; }

    public required string Environment { get; init; }

    public required string Service { get; init; }

    public required string Database { get; init; }

    public required bool Passed { get; init; }

    /// <summary>Tables the restored database has (user tables, any schema).</summary>
    public long Tables { get; init; }

    /// <summary>Rows in those tables, counted after ANALYZE.</summary>
    public long Rows { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>For a volume backup: the files, directories and links in its archive.</summary>
    public long Files { get; init; }

    /// <summary>Why it failed (checksum, restore or query); null when it passed.</summary>
    public string? Reason { get; init; }

    public required string Path { get; init; }
}
