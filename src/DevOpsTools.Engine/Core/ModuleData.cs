using System.Runtime.InteropServices;

namespace DevOpsTools.Engine.Core;

/// <summary>
/// The module's data directory: keys, known hosts, caches and built images.
/// DEVOPSTOOLS_HOME overrides; otherwise XDG_DATA_HOME/DevOpsTools, ~/.local/share/DevOpsTools,
/// or %LOCALAPPDATA%\DevOpsTools on Windows.
/// </summary>
public sealed class ModuleData
{
    public const string HomeVariable = "DEVOPSTOOLS_HOME";

    public ModuleData(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public static ModuleData Default => new(ResolveRoot());

    public static string ResolveRoot()
    {
        var overridden = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return overridden;
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "DevOpsTools");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(baseDir, "DevOpsTools");
    }

    /// <summary>A sub-directory, created 0700 if missing.</summary>
    public string Directory(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        SecureFiles.EnsurePrivateDirectory(path);
        return path;
    }
}

/// <summary>Creates files that hold secrets with owner-only permissions before any byte is written.</summary>
public static class SecureFiles
{
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void EnsurePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }

        // Create each missing level 0700 so no window exists where another user can list it.
        var full = Path.GetFullPath(path);
        if (System.IO.Directory.Exists(full))
        {
            return;
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !System.IO.Directory.Exists(parent))
        {
            EnsurePrivateDirectory(parent);
        }

        System.IO.Directory.CreateDirectory(full, PrivateDirectoryMode);
    }

    /// <summary>Writes a secret file atomically: created 0600 under a temporary name, then renamed.</summary>
    public static void WritePrivateFile(string path, ReadOnlySpan<byte> content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        EnsurePrivateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFileMode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void WritePrivateFile(string path, string content) =>
        WritePrivateFile(path, System.Text.Encoding.UTF8.GetBytes(content));
}
