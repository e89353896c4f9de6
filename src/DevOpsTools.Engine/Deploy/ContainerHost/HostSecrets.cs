using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;

namespace DevOpsTools.Engine.Deploy.ContainerHost;

/// <summary>An app's secrets on a container host: podman env-file lines, read at deploy time.</summary>
public static class HostSecrets
{
    /// <summary>
    /// The app's secrets as podman env-file lines (NAME=value). Every reference is read here, so
    /// a missing variable, a too-open file or a Kubernetes Secret (which a host cannot read) stops
    /// the deploy before anything changes; a value with a line break cannot be an env-file line.
    /// </summary>
    public static string? EnvFile(ResolvedApp app, SecretResolver resolver)
    {
        if (app.Secrets.Count == 0)
        {
            return null;
        }

        var values = resolver.ResolveAll(app, includeKubernetes: true);
        var multiLine = values.Where(v => v.Reveal().IndexOfAny(['\n', '\r', '\0']) >= 0).Select(v => v.Name).ToList();
        if (multiLine.Count > 0)
        {
            throw new DevOpsToolsException(ErrorIds.SecretNotSingleLine, ErrorKind.InvalidData,
                $"App '{app.Name}': secret(s) {string.Join(", ", multiLine)} hold a line break or NUL, which a container host's env file cannot carry; nothing was changed.", app.Name)
            { RecommendedAction = "Store such a value base64-encoded and decode it in the app, or mount it as a config file." };
        }

        return string.Join('\n', values.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => $"{v.Name}={v.Reveal()}"));
    }
}
