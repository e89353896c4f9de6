using System.Security.Cryptography;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data;

/// <summary>
/// A data service's secret files under the module data directory (data/&lt;environment&gt;/&lt;service&gt;/,
/// 0700): per user &lt;user&gt;.password and &lt;user&gt;.url, both 0600. A password is generated once
/// and kept; it is never printed, logged or put in an error.
/// </summary>
public sealed class DataServiceSecrets
{
    public DataServiceSecrets(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public static DataServiceSecrets For(ModuleData data, string environment, string service) =>
        new(Path.Combine(data.Root, "data", environment, service));

    public string PasswordFile(string user) => Path.Combine(Directory, user + ".password");

    public string UrlFile(string user) => Path.Combine(Directory, user + ".url");

    /// <summary>The kept password, or null when there is none yet. A file others can read is refused.</summary>
    public string? ReadPassword(string user)
    {
        var path = PasswordFile(user);
        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new DevOpsToolsException(ErrorIds.SecretFileTooOpen, ErrorKind.SecurityError,
                $"The password file {path} can be read or written by other users; it must be 0600. Run chmod 0600 on it, or delete it to have a new password generated.", path);
        }

        var text = File.ReadAllText(path).Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>32 characters from 24 random bytes, base64url: safe in a URL, a connection string and an env file.</summary>
    public static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>postgresql://user:password@host:port/database (the password is base64url, so it needs no escaping).</summary>
    public static string Url(string user, string password, string address, int port, string database) =>
        $"postgresql://{user}:{password}@{address}:{port}/{database}";

    /// <summary>Writes the file (0600) when its content differs; true when it was written.</summary>
    public static bool WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path).TrimEnd('\n') == content)
        {
            return false;
        }

        SecureFiles.WritePrivateFile(path, content + "\n");
        return true;
    }

    /// <summary>Whether the file already holds exactly this content (for -WhatIf).</summary>
    public static bool Holds(string path, string content) => File.Exists(path) && File.ReadAllText(path).TrimEnd('\n') == content;

    /// <summary>
    /// A user's password (the kept one, or a new one when there is none) and its URL file for the
    /// service at host: written when applying, else what would change is added to changes. Both
    /// placements (a container here, a server) share it, so they keep secrets the same way.
    /// </summary>
    public (string Password, bool Generated) EnsureUserFiles(DataServiceDefinition service, string user, string host, bool apply, List<string> changes)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(changes);
        var password = ReadPassword(user);
        var generated = password is null;
        password ??= NewPassword();
        var database = service.Databases.FirstOrDefault(d => d.Owner == user)?.Name ?? "postgres";
        // An IPv6 address goes in brackets in a URL's authority.
        var url = Url(user, password, host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host, service.Port, database);
        if (generated)
        {
            changes.Add($"generate the password of user {user} into {PasswordFile(user)}");
        }

        if (apply)
        {
            SecureFiles.EnsurePrivateDirectory(Directory);
            WriteIfChanged(PasswordFile(user), password);
            if (WriteIfChanged(UrlFile(user), url) && !generated)
            {
                changes.Add($"write {UrlFile(user)}");
            }
        }
        else if (!generated && !Holds(UrlFile(user), url))
        {
            changes.Add($"write {UrlFile(user)}");
        }

        return (password, generated);
    }
}
