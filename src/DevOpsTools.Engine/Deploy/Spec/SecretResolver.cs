using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>
/// Reads secret values at deploy time, at the last moment: fromEnv from the deploying process,
/// fromFile from a file readable by its owner only (a group- or world-readable file is refused,
/// as ssh refuses a private key). Kubernetes Secrets are resolved by the cluster, not here.
/// Errors name the variable and the source, never a value.
/// </summary>
public sealed class SecretResolver
{
    private readonly Func<string, string?> _environment;

    /// <param name="environment">Reads a variable of the deploying process; default <see cref="System.Environment.GetEnvironmentVariable(string)"/>.</param>
    public SecretResolver(Func<string, string?>? environment = null)
    {
        _environment = environment ?? System.Environment.GetEnvironmentVariable;
    }

    /// <summary>
    /// Every secret of the app; all problems are reported together. Kubernetes Secrets are left
    /// to the cluster (skipped) unless <paramref name="includeKubernetes"/>: a target that cannot
    /// read them (a container host) asks for them so that they are refused with the others.
    /// </summary>
    public IReadOnlyList<SecretValue> ResolveAll(ResolvedApp app, bool includeKubernetes = false)
    {
        var values = new List<SecretValue>();
        var errors = new List<DevOpsToolsException>();
        foreach (var secret in app.Secrets.Where(s => includeKubernetes || s.FromKubernetesSecret is null))
        {
            try
            {
                values.Add(Resolve(secret));
            }
            catch (DevOpsToolsException ex)
            {
                errors.Add(ex);
            }
        }

        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new DevOpsToolsAggregateException(ErrorIds.SecretUnavailable, ErrorKind.InvalidData,
                $"{errors.Count} secrets of app '{app.Name}' cannot be read:{System.Environment.NewLine}" + string.Join(System.Environment.NewLine, errors.Select(e => "  " + e.Message)), errors, app.Name);
        }

        return values;
    }

    public SecretValue Resolve(SecretReference secret)
    {
        if (secret.FromEnvironment is { } variable)
        {
            var value = _environment(variable);
            return value is null
                ? throw new DevOpsToolsException(ErrorIds.SecretUnavailable, ErrorKind.ObjectNotFound,
                    $"Secret '{secret.Name}' comes from environment variable '{variable}', which is not set in this session.", secret.Name)
                { RecommendedAction = $"Set {variable} in the session that deploys (for example from your password manager), then deploy again." }
                : new SecretValue(secret.Name, value);
        }

        if (secret.FromFile is { } file)
        {
            return new SecretValue(secret.Name, ReadOwnerOnly(secret.Name, file));
        }

        throw new DevOpsToolsException(ErrorIds.SecretUnavailable, ErrorKind.InvalidOperation,
            $"Secret '{secret.Name}' comes from Kubernetes Secret '{secret.FromKubernetesSecret}', which only a Kubernetes target reads.", secret.Name)
        { RecommendedAction = "Deploy to a Kubernetes target, or give the secret fromEnv or fromFile for container hosts." };
    }

    private static string ReadOwnerOnly(string name, string file)
    {
        if (!File.Exists(file))
        {
            throw new DevOpsToolsException(ErrorIds.SecretUnavailable, ErrorKind.ObjectNotFound,
                $"Secret '{name}' comes from file '{file}', which does not exist.", file);
        }

        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode open = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                      UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            var mode = File.GetUnixFileMode(file);
            if ((mode & open) != 0)
            {
                throw new DevOpsToolsException(ErrorIds.SecretFileTooOpen, ErrorKind.SecurityError,
                    $"Permissions {Convert.ToString((int)mode, 8).PadLeft(4, '0')} for secret file '{file}' (secret '{name}') are too open: other users can read it. It is not used.", file)
                { RecommendedAction = $"Make it readable by its owner only: chmod 600 '{file}'." };
            }
        }

        var text = File.ReadAllText(file);
        // Like $(cat file): one final line break is not part of the secret.
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }
}

/// <summary>
/// A secret's value. ToString, and anything that formats it, shows the name only; the value is
/// read with <see cref="Reveal"/> by the code that hands it to the target (as data, never in a command line).
/// </summary>
public sealed class SecretValue
{
    private readonly string _value;

    public SecretValue(string name, string value)
    {
        Name = name;
        _value = value;
    }

    /// <summary>The variable the app sees.</summary>
    public string Name { get; }

    public string Reveal() => _value;

    public override string ToString() => $"{Name}=<redacted>";
}
