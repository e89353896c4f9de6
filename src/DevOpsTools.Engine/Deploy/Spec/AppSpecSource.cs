using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>
/// What Deploy-App's -Path names: a standalone app.yaml, or an environment file whose apps
/// section holds the app (chosen by -Name, or the only one). Either way the spec is fully
/// validated before anything is touched.
/// </summary>
public static partial class AppSpecSource
{
    public static AppSpec Load(string path, string? appName) => Load(path, appName, out _);

    /// <param name="data">The environment file's data services (a migration's dataService is one of them); empty for an app.yaml.</param>
    public static AppSpec Load(string path, string? appName, out IReadOnlyList<DataServiceDefinition> data)
    {
        data = [];
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"App spec '{full}' does not exist.", full);
        }

        if (!TopLevelApps().IsMatch(File.ReadAllText(full)))
        {
            var spec = AppSpecLoader.Load(full);
            if (appName is not null && appName != spec.Name)
            {
                throw new DevOpsToolsException(ErrorIds.AppNotFound, ErrorKind.ObjectNotFound,
                    $"{full} holds app '{spec.Name}', not '{appName}'.", appName);
            }

            return spec;
        }

        var environment = EnvironmentLoader.LoadFile(full) is [var only] ? only
            : throw new DevOpsToolsException(ErrorIds.AppSpecInvalid, ErrorKind.InvalidData,
                $"{full} holds several environments; give Deploy-App a file with one, or a standalone app.yaml.", full);
        data = environment.Data;
        if (appName is not null)
        {
            return AppSpecLoader.FromEnvironment(environment, appName);
        }

        return environment.Apps.Count == 1 ? environment.Apps[0]
            : throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"Environment file {full} has {environment.Apps.Count} apps ({string.Join(", ", environment.Apps.Select(a => a.Name))}); name one with -Name.", "Name");
    }

    // An environment file is the one with a top-level "apps:" key; an app.yaml has none.
    [GeneratedRegex(@"^apps:", RegexOptions.Multiline)]
    private static partial Regex TopLevelApps();
}
