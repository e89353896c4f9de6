using System.Globalization;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Deploy.ContainerHost;

namespace DevOpsTools.Engine.Data.Volumes;

/// <summary>How app volumes and their backups are named: the deploy's Podman volume names, backup ids, labels.</summary>
public static partial class VolumeBackupNames
{
    /// <summary>A Podman volume name (what podman itself accepts).</summary>
    public const string PodmanVolumePattern = "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$";

    /// <summary>The Podman volume of an app's volume in one environment, as Deploy-App names it on a container host.</summary>
    public static string PodmanVolume(string environment, string app, string volume) => ContainerHostLayout.VolumeName(app, environment, volume);

    /// <summary>The app's own name for one of its Podman volumes (data for dot-test-shop-data); the whole name for any other volume.</summary>
    public static string ShortName(string environment, string app, string podmanVolume)
    {
        var prefix = PodmanVolume(environment, app, string.Empty);
        return podmanVolume.StartsWith(prefix, StringComparison.Ordinal) && podmanVolume.Length > prefix.Length ? podmanVolume[prefix.Length..] : podmanVolume;
    }

    /// <summary>vol-&lt;name&gt;-&lt;UTC time to the millisecond&gt;: never a database backup's id (database names have no '-').</summary>
    public static string BackupId(string shortName, DateTimeOffset createdAt) =>
        $"vol-{shortName}-{createdAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}";

    public static bool IsPodmanVolumeName(string name) => PodmanVolumeRegex().IsMatch(name);

    /// <summary>The Podman volumes any revision of a deployment mounts, sorted; none for no state.</summary>
    public static IReadOnlyList<string> DeclaredVolumes(HostState? state) =>
        state is null ? [] : state.Revisions.SelectMany(r => r.Spec.Volumes.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The labels of a volume a restore creates: its environment and app, as the module's other resources carry.</summary>
    public static IReadOnlyDictionary<string, string> Labels(string environment, string app) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["devopstools.environment"] = environment,
        ["devopstools.app"] = app,
    };

    [GeneratedRegex(PodmanVolumePattern)]
    private static partial Regex PodmanVolumeRegex();
}
