using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>
/// Cross-field rules of an app spec that per-field patterns cannot express. Every problem is
/// added to the list (file:line:column, field path, what to do); nothing stops at the first.
/// Messages name secrets by their variable and source, never by a value.
/// </summary>
public static class AppSpecValidator
{
    public static void Validate(AppSpec app, List<DevOpsToolsException> errors)
    {
        if (app.Port is not null && app.Ports.Count > 0)
        {
            errors.Add(Error(app.Location, "port", "use either port (a shorthand) or ports, not both; move the port into ports."));
        }

        if (app.HealthPath is not null && app.HealthCheck is not null)
        {
            errors.Add(Error(app.Location, "healthPath", "use either healthPath (a shorthand) or healthCheck, not both; move the path to healthCheck.http.path."));
        }

        ValidatePorts(app, errors);
        ValidateSecrets(app, errors);
        ValidateResources(app.Resources, errors);
        ValidateHealthCheck(app, errors);
        Unique(app.Volumes, v => v.Name, v => v.Location, "name", "volume name", errors);
        Unique(app.Volumes, v => v.MountPath, v => v.Location, "mountPath", "mount path", errors);
        foreach (var volume in app.Volumes.Where(v => v.Size is not null && Quantities.ParseSize(v.Size) is null or 0))
        {
            errors.Add(Error(volume.Location, "size", $"'{volume.Size}' is not a size above 0 such as 1Gi."));
        }

        Unique(app.ConfigFiles, f => f.Path, f => f.Location, "path", "config file path", errors);
        if (app.Migration is { Command.Count: 0 })
        {
            errors.Add(Error(app.Migration.Location, "command", "the migration command is empty; give the program and its arguments, e.g. [\"/app/migrate\", \"--up\"]."));
        }

        foreach (var (_, overrides) in app.Environments)
        {
            ValidateResources(overrides.Resources, errors);
        }
    }

    private static void ValidatePorts(AppSpec app, List<DevOpsToolsException> errors)
    {
        Unique(app.Ports, p => p.Name, p => p.Location, "name", "port name", errors, " (name each port: http, metrics, ...)");
        Unique(app.Ports, p => p.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Location, "port", "container port", errors);
        Unique(app.Ports.Where(p => p.PublicPort is not null).ToList(), p => p.PublicPort!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Location, "publicPort", "public port", errors);
    }

    private static void ValidateSecrets(AppSpec app, List<DevOpsToolsException> errors)
    {
        Unique(app.Secrets, s => s.Name, s => s.Location, "name", "secret name", errors);
        foreach (var secret in app.Secrets)
        {
            var sources = new[]
            {
                secret.FromEnv is null ? null : "fromEnv",
                secret.FromFile is null ? null : "fromFile",
                secret.FromKubernetesSecret is null ? null : "fromKubernetesSecret",
            }.OfType<string>().ToList();
            if (sources.Count != 1)
            {
                var found = sources.Count == 0 ? "none" : string.Join(" and ", sources);
                errors.Add(Error(secret.Location, "from", $"secret '{secret.Name}' needs exactly one source (fromEnv, fromFile or fromKubernetesSecret); found {found}."));
            }

            if (secret.FromFile is { Length: 0 })
            {
                errors.Add(Error(secret.Location, "fromFile", $"secret '{secret.Name}': fromFile is empty; give the path of a file readable by its owner only."));
            }

            if (app.Env.ContainsKey(secret.Name))
            {
                errors.Add(Error(secret.Location, "name", $"'{secret.Name}' is both a plain variable (env) and a secret; keep one."));
            }
        }
    }

    private static void ValidateResources(ResourcesSpec? resources, List<DevOpsToolsException> errors)
    {
        if (resources?.Cpu is not null && Quantities.ParseCpu(resources.Cpu) is null or 0m)
        {
            errors.Add(Error(resources.Location, "cpu", $"'{resources.Cpu}' is not a CPU amount above 0 such as 0.5 or 500m."));
        }

        if (resources?.Memory is not null && Quantities.ParseSize(resources.Memory) is null or 0)
        {
            errors.Add(Error(resources.Location, "memory", $"'{resources.Memory}' is not a memory size above 0 such as 256Mi or 1Gi."));
        }
    }

    private static void ValidateHealthCheck(AppSpec app, List<DevOpsToolsException> errors)
    {
        var check = app.HealthCheck;
        if (check is null)
        {
            return;
        }

        if ((check.Http is null) == (check.Command is null))
        {
            errors.Add(Error(check.Location, "http", "a health check is either http (path, port) or command, exactly one of them."));
        }

        if (check.Command is { Count: 0 })
        {
            errors.Add(Error(check.Location, "command", "the health check command is empty; give the program and its arguments."));
        }

        var declared = app.Ports.Select(p => p.Port).Concat(app.Port is int shorthand ? [shorthand] : []).ToList();
        if (check.Http?.Port is int port && declared.Count > 0 && !declared.Contains(port))
        {
            errors.Add(Error(check.Location, "http.port", $"port {port} is not one of the app's ports ({string.Join(", ", declared)})."));
        }

        if (check.Http is not null && check.Http.Port is null && declared.Count == 0)
        {
            errors.Add(Error(check.Location, "http.port", "the app declares no port; give http.port or declare ports."));
        }

        foreach (var (field, text) in new[] { ("startPeriod", check.StartPeriod), ("interval", check.Interval), ("startInterval", check.StartInterval), ("timeout", check.Timeout) })
        {
            if (text is not null && field != "startPeriod" && Quantities.ParseDuration(text) == TimeSpan.Zero)
            {
                errors.Add(Error(check.Location, field, $"'{text}' must be longer than 0."));
            }
        }
    }

    private static void Unique<T>(IReadOnlyList<T> items, Func<T, string> key, Func<T, YamlLocation?> where, string field, string what, List<DevOpsToolsException> errors, string hint = "")
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!seen.Add(key(item)))
            {
                errors.Add(Error(where(item), field, $"{what} '{key(item)}' is used twice{hint}."));
            }
        }
    }

    internal static DevOpsToolsException Error(YamlLocation? where, string field, string message)
    {
        var prefix = where is null ? string.Empty : $"{where.File}:{where.Line}:{where.Column}: {where.FieldPath}.{field}: ";
        return new DevOpsToolsException(ErrorIds.YamlInvalidValue, ErrorKind.InvalidData, prefix + message, where);
    }
}
