namespace DevOpsTools.Engine.Tests;

/// <summary>
/// The one way the engine tests delete files: a directory under the temp folder that this test
/// process claimed by name before using it. Deleting anything else is refused, so a wrong path
/// (an empty variable, a home directory, the temp folder itself) fails the test instead of
/// emptying it; an earlier test emptied /root through an unguarded delete.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private static readonly HashSet<string> Claimed = new(StringComparer.Ordinal);

    private ScratchDirectory(string path) => Path = path;

    /// <summary>The full path: the temp folder, then the prefix and a random suffix.</summary>
    public string Path { get; }

    /// <summary>Claims a new directory "&lt;prefix&gt;-&lt;random&gt;" under the temp folder, and creates it unless told not to.</summary>
    public static ScratchDirectory Create(string prefix, bool create = true) =>
        Claim(prefix + "-" + Guid.NewGuid().ToString("N")[..8], create);

    /// <summary>Claims a directory of exactly this name under the temp folder (a name a test derived from its own random id).</summary>
    public static ScratchDirectory Claim(string name, bool create = false)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a plain directory name.", nameof(name));
        }

        var path = System.IO.Path.Combine(TempRoot, name);
        lock (Claimed)
        {
            Claimed.Add(path);
        }

        if (create)
        {
            Directory.CreateDirectory(path);
        }

        return new ScratchDirectory(path);
    }

    /// <summary>Deletes a claimed directory and what it holds; a symbolic link is removed, never followed.</summary>
    public static void Delete(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        bool claimed;
        lock (Claimed)
        {
            claimed = Claimed.Contains(full);
        }

        if (!claimed || System.IO.Path.GetDirectoryName(full) != TempRoot.TrimEnd(System.IO.Path.DirectorySeparatorChar))
        {
            throw new InvalidOperationException($"refusing to delete '{full}': it is not a directory this test process claimed under {TempRoot}");
        }

        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null)
        {
            info.Delete();
        }
        else if (info.Exists)
        {
            info.Delete(recursive: true);
        }
    }

    public void Dispose() => Delete(Path);

    public override string ToString() => Path;

    private static string TempRoot { get; } = System.IO.Path.GetFullPath(System.IO.Path.GetTempPath());
}
