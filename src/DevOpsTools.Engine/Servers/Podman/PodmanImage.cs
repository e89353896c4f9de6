using System.Reflection;
using System.Security.Cryptography;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Podman;

/// <summary>
/// The module's Debian 12 server image. Built once per machine with debootstrap from the
/// machine's Debian mirror (a minute or two), cached in podman's image store as
/// localhost/devopstools/debian12:&lt;hash of the recipe&gt;, so every later server starts in seconds
/// and a changed recipe builds a new image.
/// </summary>
public sealed class PodmanImage
{
    public const string Repository = "localhost/devopstools/debian12";
    public const string DefaultMirror = "http://deb.debian.org/debian";
    public const string DefaultSecurityMirror = "http://deb.debian.org/debian-security";
    private const string RecipeResource = "podman-image/build-image.sh";

    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private readonly PodmanCli _podman;

    public PodmanImage(PodmanCli podman)
    {
        _podman = podman;
    }

    public static string Recipe
    {
        get
        {
            using var stream = typeof(PodmanImage).Assembly.GetManifestResourceStream(RecipeResource)
                ?? throw new InvalidOperationException($"Resource {RecipeResource} is missing from the engine assembly.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        }
    }

    /// <summary>Image tag: the first 12 hex digits of SHA-256 of the recipe.</summary>
    public static string Tag => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Recipe)))[..12].ToLowerInvariant();

    public static string Reference => $"{Repository}:{Tag}";

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken) =>
        (await _podman.RunAsync(["image", "exists", "--", Reference], cancellationToken).ConfigureAwait(false)).Succeeded;

    /// <summary>Returns the image reference, building the image first if podman does not have it.</summary>
    public async Task<string> EnsureAsync(IOutputSink output, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return Reference;
        }

        await BuildGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another process on this machine may be building the same image: one at a time.
            using var machineLock = await AcquireMachineLockAsync(output, cancellationToken).ConfigureAwait(false);
            if (await ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                return Reference;
            }

            await BuildAsync(output, cancellationToken).ConfigureAwait(false);
            return Reference;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    /// <summary>The Debian mirror: DEVOPSTOOLS_DEBIAN_MIRROR, else the first Debian URI in /etc/apt/sources.list*, else deb.debian.org.</summary>
    public static string FindMirror(string aptDirectory = "/etc/apt") =>
        FromEnvironment("DEVOPSTOOLS_DEBIAN_MIRROR") ?? FindSourceUri(aptDirectory, "/debian") ?? DefaultMirror;

    /// <summary>
    /// The Debian security mirror the image's sources.list names (bookworm-security, the source
    /// unattended-upgrades installs security fixes from): DEVOPSTOOLS_DEBIAN_SECURITY_MIRROR, else the
    /// one beside an overridden DEVOPSTOOLS_DEBIAN_MIRROR (…/debian → …/debian-security), else the first
    /// debian-security URI in /etc/apt/sources.list*, else the one beside the main mirror.
    /// </summary>
    public static string FindSecurityMirror(string aptDirectory = "/etc/apt")
    {
        var overridden = FromEnvironment("DEVOPSTOOLS_DEBIAN_SECURITY_MIRROR");
        if (overridden is not null)
        {
            return overridden;
        }

        var main = FromEnvironment("DEVOPSTOOLS_DEBIAN_MIRROR");
        if (main is null)
        {
            var found = FindSourceUri(aptDirectory, "/debian-security");
            if (found is not null)
            {
                return found;
            }

            main = FindMirror(aptDirectory);
        }

        return main.EndsWith("/debian", StringComparison.Ordinal) ? main + "-security" : DefaultSecurityMirror;
    }

    /// <summary>Whether a mirror can go into a sources.list line: an absolute http(s) URI, no spaces or control characters.</summary>
    public static bool IsValidMirror(string mirror) =>
        !string.IsNullOrEmpty(mirror)
        && !mirror.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
        && Uri.TryCreate(mirror, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);

    private static string? FromEnvironment(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim().TrimEnd('/');
    }

    /// <summary>The first http(s) URI ending in <paramref name="suffix"/> in the apt sources (one-line and deb822 files).</summary>
    private static string? FindSourceUri(string aptDirectory, string suffix)
    {
        var files = new List<string>();
        var main = Path.Combine(aptDirectory, "sources.list");
        if (File.Exists(main))
        {
            files.Add(main);
        }

        var dir = Path.Combine(aptDirectory, "sources.list.d");
        if (System.IO.Directory.Exists(dir))
        {
            files.AddRange(System.IO.Directory.GetFiles(dir).Where(f => f.EndsWith(".list", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }

        foreach (var file in files)
        {
            foreach (var raw in File.ReadLines(file))
            {
                var line = raw.Trim();
                if (line.StartsWith('#'))
                {
                    continue;
                }

                IEnumerable<string> uris = line.StartsWith("URIs:", StringComparison.OrdinalIgnoreCase)
                    ? line[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    : line.StartsWith("deb ", StringComparison.Ordinal)
                        ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(p => !p.StartsWith('[')).Take(1)
                        : [];
                foreach (var uri in uris)
                {
                    if ((uri.StartsWith("http://", StringComparison.Ordinal) || uri.StartsWith("https://", StringComparison.Ordinal))
                        && uri.TrimEnd('/').EndsWith(suffix, StringComparison.Ordinal))
                    {
                        return uri.TrimEnd('/');
                    }
                }
            }
        }

        return null;
    }

    private async Task BuildAsync(IOutputSink output, CancellationToken cancellationToken)
    {
        var debootstrap = ExternalProcess.FindOnPath("debootstrap")
            ?? throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled,
                "debootstrap is not installed; it builds the Podman server image once. On Debian/Ubuntu run as root: apt-get install -y debootstrap debian-archive-keyring", "debootstrap")
            {
                RecommendedAction = "apt-get install -y debootstrap debian-archive-keyring",
            };
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root" && GetEuid() != 0)
        {
            throw new DevOpsToolsException(ErrorIds.ImageBuildFailed, ErrorKind.PermissionDenied,
                $"Building the server image {Reference} needs root (debootstrap). Run New-Server once as root, or pass -Image with an image of your own.", Reference);
        }

        var mirror = FindMirror();
        var security = FindSecurityMirror();
        foreach (var (name, value) in new[] { ("DEVOPSTOOLS_DEBIAN_MIRROR", mirror), ("DEVOPSTOOLS_DEBIAN_SECURITY_MIRROR", security) })
        {
            if (!IsValidMirror(value))
            {
                throw new DevOpsToolsException(ErrorIds.ImageBuildFailed, ErrorKind.InvalidArgument,
                    $"The Debian mirror '{value}' is not an http(s) URI without spaces; set {name} to one.", value);
            }
        }

        var work = Path.Combine(Path.GetTempPath(), "devopstools-image-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(work);
        var script = Path.Combine(work, "build-image.sh");
        await File.WriteAllTextAsync(script, Recipe, cancellationToken).ConfigureAwait(false);
        output.WriteWarning($"Building the Podman server image {Reference} (Debian 12 from {mirror}, security updates from {security}); this happens once per machine and takes a minute or two.");
        var progress = new ProgressUpdate(2, "Building server image", "debootstrap") { ParentActivityId = 1 };
        output.WriteProgress(progress);
        try
        {
            var result = await _podman.RunToolAsync("/bin/sh", [script, work, mirror, security, Reference], cancellationToken, TimeSpan.FromMinutes(20), line =>
            {
                if (line.StartsWith("Stage: ", StringComparison.Ordinal))
                {
                    output.WriteVerbose(line);
                    progress = progress with { Status = line[7..] };
                    output.WriteProgress(progress);
                }
                else if (line.StartsWith("I: Retrieving", StringComparison.Ordinal) || line.StartsWith("I: Unpacking", StringComparison.Ordinal) || line.StartsWith("I: Configuring", StringComparison.Ordinal))
                {
                    output.WriteProgress(progress with { CurrentOperation = line[3..] });
                }
            }).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.ImageBuildFailed, ErrorKind.InvalidOperation,
                    $"Building the server image {Reference} failed (exit code {result.ExitCode}) using mirror {mirror}: {ExternalProcess.Tail(result.StdErr + result.StdOut, 12)}", Reference)
                {
                    RecommendedAction = "Check that the Debian mirror is reachable (set DEVOPSTOOLS_DEBIAN_MIRROR to use another one).",
                };
            }

            output.WriteVerbose($"Built server image {Reference} in {result.Duration.TotalSeconds:0} s.");
        }
        finally
        {
            output.WriteProgress(progress with { Completed = true });
            await CleanWorkDirectoryAsync(work).ConfigureAwait(false);
        }
    }

    /// <summary>Unmounts anything debootstrap left mounted inside the work directory (after a cancel) before deleting it.</summary>
    private static async Task CleanWorkDirectoryAsync(string work)
    {
        try
        {
            var full = Path.GetFullPath(work) + "/";
            if (File.Exists("/proc/self/mounts"))
            {
                var mounts = File.ReadAllLines("/proc/self/mounts")
                    .Select(l => l.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal))
                    .Where(m => m.StartsWith(full, StringComparison.Ordinal))
                    .OrderByDescending(m => m.Length)
                    .ToList();
                foreach (var mount in mounts)
                {
                    await ExternalProcess.RunAsync("umount", ["-l", "--", mount], CancellationToken.None, timeout: TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }

                if (File.ReadAllLines("/proc/self/mounts").Any(l => l.Split(' ')[1].StartsWith(full, StringComparison.Ordinal)))
                {
                    return; // never delete through a mount point; leave the directory for the user
                }
            }

            System.IO.Directory.Delete(work, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DevOpsToolsException)
        {
            // A temporary directory left behind is not worth failing the build for.
        }
    }

    private static async Task<FileStream> AcquireMachineLockAsync(IOutputSink output, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"devopstools-image-{Tag}.lock");
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!told)
                {
                    output.WriteVerbose($"Another process is building {Reference}; waiting for it.");
                    told = true;
                }

                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuidNative();

    private static uint GetEuid()
    {
        try
        {
            return GetEuidNative();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return uint.MaxValue;
        }
    }
}
