using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>
/// Reads app specs (a standalone app.yaml, or an app of an environment file) and resolves one
/// for an environment. Nothing is returned from an invalid spec; every error is reported.
/// </summary>
public static class AppSpecLoader
{
    /// <summary>Reads and validates a standalone app.yaml (one app per file).</summary>
    public static AppSpec Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"App spec '{full}' does not exist.", full);
        }

        return Parse(full, File.ReadAllText(full));
    }

    /// <summary>Validates the text of an app spec; <paramref name="file"/> names it in errors.</summary>
    public static AppSpec Parse(string file, string yaml)
    {
        var apps = YamlBinder.BindAll<AppSpec>(file, yaml);
        var errors = new List<DevOpsToolsException>();
        if (apps.Count > 1)
        {
            errors.Add(AppSpecValidator.Error(apps[1].Location, "name", $"the file holds {apps.Count} documents; an app spec holds one app (put several apps in an environment file's apps)."));
        }

        AppSpecValidator.Validate(apps[0], errors);
        ThrowIfAny(file, errors);
        return apps[0];
    }

    /// <summary>The app of that name in an environment file (already validated by the environment loader).</summary>
    public static AppSpec FromEnvironment(EnvironmentDefinition environment, string appName) =>
        environment.Apps.FirstOrDefault(a => a.Name == appName)
        ?? throw new DevOpsToolsException(ErrorIds.AppNotFound, ErrorKind.ObjectNotFound,
            $"Environment '{environment.Name}' has no app '{appName}'" + (environment.Apps.Count == 0 ? "." : $"; its apps: {string.Join(", ", environment.Apps.Select(a => a.Name))}."), appName);

    /// <summary>
    /// The app as one environment runs it: that environment's overrides applied (replicas,
    /// resources field by field, hosts, image), then <paramref name="imageOverride"/> (-Image) over
    /// every image. Shorthands become their long form; sizes and durations become numbers.
    /// </summary>
    public static ResolvedApp Resolve(AppSpec spec, string environmentName, string? imageOverride = null)
    {
        if (!Validation.IsRfc1123Label(environmentName))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"'{Validation.Printable(environmentName)}' is not an environment name (an RFC 1123 label such as test or prod).", environmentName);
        }

        if (imageOverride is not null && !Validation.IsWhole(Validation.ImagePattern, imageOverride))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"'{Validation.Printable(imageOverride)}' is not an image reference such as localhost/shop:1.4.2 or one with @sha256:<digest>.", imageOverride);
        }

        var overrides = spec.Environments.GetValueOrDefault(environmentName);
        var ports = spec.Ports.Count > 0
            ? spec.Ports.Select(p => new AppPort(p.Name, p.Port, p.PublicPort ?? 0, p.Protocol)).ToList()
            : spec.Port is int port ? [new AppPort("http", port)] : [];
        return new ResolvedApp
        {
            Name = spec.Name,
            Environment = environmentName,
            Image = imageOverride ?? overrides?.Image ?? spec.Image,
            Replicas = overrides?.Replicas ?? spec.Replicas,
            Ports = ports,
            Variables = new Dictionary<string, string>(spec.Env, StringComparer.Ordinal),
            Secrets = spec.Secrets.Select(s => Reference(s, spec.Location?.File)).ToList(),
            ConfigFiles = spec.ConfigFiles.Select(f => new AppConfigFile(f.Path, f.Content, f.Mode.PadLeft(4, '0'))).ToList(),
            Resources = Resources(spec.Resources, overrides?.Resources),
            HealthCheck = HealthCheck(spec),
            Volumes = spec.Volumes.Select(v => new AppVolume(v.Name, v.MountPath, v.Size is null ? null : Quantities.ParseSize(v.Size))).ToList(),
            MigrationCommand = spec.Migration?.Command.ToList(),
            MigrationDataService = spec.Migration?.DataService,
            HostNames = (overrides?.Hosts ?? spec.Hosts).ToList(),
            Servers = spec.Servers.ToList(),
            Source = spec.Location is { } where ? $"{where.File}:{where.Line}:{where.Column}" : null,
        };
    }

    private static SecretReference Reference(SecretSpec secret, string? specFile)
    {
        var file = secret.FromFile;
        if (file is not null && !System.IO.Path.IsPathRooted(file) && specFile is not null && System.IO.Path.IsPathRooted(specFile))
        {
            // Relative to the spec, not to the shell's location.
            file = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(specFile)!, file));
        }

        return new SecretReference
        {
            Name = secret.Name,
            FromEnvironment = secret.FromEnv,
            FromFile = file,
            FromKubernetesSecret = secret.FromKubernetesSecret is { } k ? $"{k.Name}/{k.Key}" : null,
        };
    }

    private static AppResources Resources(ResourcesSpec? own, ResourcesSpec? overrides)
    {
        var cpu = overrides?.Cpu ?? own?.Cpu;
        var memory = overrides?.Memory ?? own?.Memory;
        return new AppResources(cpu is null ? null : Quantities.ParseCpu(cpu), memory is null ? null : Quantities.ParseSize(memory));
    }

    private static AppHealthCheck? HealthCheck(AppSpec spec)
    {
        if (spec.HealthCheck is not { } check)
        {
            return spec.HealthPath is null ? null : new AppHealthCheck { HttpPath = spec.HealthPath };
        }

        var defaults = new AppHealthCheck();
        return new AppHealthCheck
        {
            HttpPath = check.Http?.Path,
            Port = check.Http?.Port ?? 0,
            Command = check.Command?.ToList(),
            StartPeriod = Duration(check.StartPeriod) ?? defaults.StartPeriod,
            Interval = Duration(check.Interval) ?? defaults.Interval,
            StartInterval = Duration(check.StartInterval),
            Timeout = Duration(check.Timeout) ?? defaults.Timeout,
            Threshold = check.Threshold ?? defaults.Threshold,
        };
    }

    private static TimeSpan? Duration(string? text) => text is null ? null : Quantities.ParseDuration(text);

    private static void ThrowIfAny(string file, List<DevOpsToolsException> errors)
    {
        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new DevOpsToolsAggregateException(ErrorIds.AppSpecInvalid, ErrorKind.InvalidData,
                $"{file} has {errors.Count} errors:{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)), errors, file);
        }
    }
}
