using System.Globalization;
using System.Text.RegularExpressions;

namespace DevOpsTools.Engine.Ssh;

/// <summary>
/// Where and how an uploaded file is placed: an absolute path, an octal mode, an owner and a
/// group. <see cref="Validate"/> refuses anything else before a byte is sent; the values reach
/// the server only as arguments, never inside a script.
/// </summary>
public sealed partial record RemoteFileTarget(string Path, string Mode = "0644", string Owner = "root", string Group = "root")
{
    /// <summary>Throws an ArgumentException naming the field that is not valid.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Path) || !Path.StartsWith('/') || Path.EndsWith('/') || !SafePath().IsMatch(Path) ||
            Path.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"Path '{Path}' is not an absolute file path (/, letters, digits, . _ - + @ only; no . or .. segments).", nameof(Path));
        }

        if (!OctalMode().IsMatch(Mode))
        {
            throw new ArgumentException($"Mode '{Mode}' is not an octal file mode such as 0644 or 0600.", nameof(Mode));
        }

        if (!PosixName().IsMatch(Owner))
        {
            throw new ArgumentException($"Owner '{Owner}' is not a POSIX user name.", nameof(Owner));
        }

        if (!PosixName().IsMatch(Group))
        {
            throw new ArgumentException($"Group '{Group}' is not a POSIX group name.", nameof(Group));
        }
    }

    /// <summary>The mode as 4 octal digits (0644).</summary>
    public string NormalizedMode => Convert.ToString(Convert.ToInt32(Mode, 8), 8).PadLeft(4, '0');

    [GeneratedRegex(@"^/[A-Za-z0-9._@+/-]{1,4095}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafePath();

    [GeneratedRegex(@"^0?[0-7]{3,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalMode();

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex PosixName();
}

/// <summary>A file placed on a server, as the server reports it after placing.</summary>
public sealed record RemoteFileInfo(string Path, string Mode, string Owner, string Group, string Sha256, long Length)
{
    internal static RemoteFileInfo Parse(RemoteFileTarget target, string output)
    {
        var parts = output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new RemoteFileInfo(target.Path, target.NormalizedMode, target.Owner, target.Group, parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
