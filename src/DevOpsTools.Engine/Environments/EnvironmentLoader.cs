using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Environments;

/// <summary>Reads and validates environment definition files. Nothing acts on an invalid file.</summary>
public static class EnvironmentLoader
{
    public static IReadOnlyList<EnvironmentDefinition> LoadFile(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Environment file '{full}' does not exist.", full);
        }

        return Load(full, File.ReadAllText(full));
    }

    public static IReadOnlyList<EnvironmentDefinition> Load(string file, string yaml)
    {
        var environments = YamlBinder.BindAll<EnvironmentDefinition>(file, yaml);
        var errors = new List<DevOpsToolsException>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var environment in environments)
        {
            environment.Path = file;
            environment.Data.ForEach(d =>
            {
                d.Environment = environment.Name;
                d.Provider = environment.Provider.Type.ToString();
                d.ProviderSettings = environment.Provider.Type == ProviderKind.Aws ? environment.Provider.Aws : environment.Provider.Podman;
            });
            // A profile file named in the environment file is relative to that file, not to the shell's location.
            var profile = environment.Hardening.Profile;
            if (!Hardening.HardeningProfile.IsBuiltIn(profile) && !string.IsNullOrWhiteSpace(profile) && !System.IO.Path.IsPathRooted(profile) && System.IO.Path.IsPathRooted(file))
            {
                environment.Hardening.Profile = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, profile));
            }

            if (!names.Add(environment.Name))
            {
                errors.Add(SemanticError(environment.Location, "name", $"environment '{environment.Name}' is defined twice in this file."));
            }

            ValidateSemantics(environment, errors);
        }

        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new DevOpsToolsAggregateException(ErrorIds.EnvironmentDefinitionInvalid, ErrorKind.InvalidData,
                $"{file} has {errors.Count} errors:{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)), errors, file);
        }

        return environments;
    }

    /// <summary>Cross-field rules that a per-field schema cannot express.</summary>
    private static void ValidateSemantics(EnvironmentDefinition environment, List<DevOpsToolsException> errors)
    {
        var serverNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in environment.ServerGroups)
        {
            foreach (var spec in group.Expand(environment))
            {
                if (!serverNames.Add(spec.Name))
                {
                    errors.Add(SemanticError(group.Location, "name", $"server name '{spec.Name}' is used twice in environment '{environment.Name}'."));
                }
            }

            if (group.Count > 1 && group.Name.Length > 59)
            {
                errors.Add(SemanticError(group.Location, "name", $"'{group.Name}' is too long to take a numeric suffix (59 characters at most with count > 1)."));
            }

            if (group.Ports.Any(p => p is < 1 or > 65535))
            {
                errors.Add(SemanticError(group.Location, "ports", "ports must be between 1 and 65535."));
            }
        }

        if (environment.Provider.Type == ProviderKind.Aws)
        {
            foreach (var cidr in environment.Provider.Aws?.AllowSshFrom ?? [])
            {
                if (!System.Net.IPNetwork.TryParse(cidr, out _))
                {
                    errors.Add(SemanticError(environment.Location, "provider.aws.allowSshFrom", $"'{cidr}' is not a CIDR block such as 203.0.113.0/24."));
                }
            }
        }

        var appNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in environment.Apps)
        {
            if (!appNames.Add(app.Name))
            {
                errors.Add(SemanticError(app.Location, "name", $"app '{app.Name}' is defined twice."));
            }

            AppSpecValidator.Validate(app, errors);
        }

        DataServiceValidator.Validate(environment, errors);
        foreach (var app in environment.Apps.Where(a => a.Migration?.DataService is { } named && environment.Data.TrueForAll(d => d.Name != named)))
        {
            errors.Add(SemanticError(app.Migration!.Location, "dataService",
                $"app '{app.Name}': its migration names data service '{app.Migration.DataService}', which is not in this environment's data section ({(environment.Data.Count == 0 ? "it has none" : string.Join(", ", environment.Data.Select(d => d.Name)))})."));
        }

        foreach (var slo in environment.Monitoring.Slos)
        {
            if (!appNames.Contains(slo.App))
            {
                errors.Add(SemanticError(environment.Location, $"monitoring.slos.{slo.Name}.app",
                    $"SLO '{slo.Name}' refers to app '{slo.App}', which is not among this environment's apps ({string.Join(", ", appNames)})."));
            }
        }
    }

    internal static DevOpsToolsException SemanticError(YamlLocation? where, string field, string message)
    {
        var prefix = where is null ? string.Empty : $"{where.File}:{where.Line}:{where.Column}: {where.FieldPath}.{field}: ";
        return new DevOpsToolsException(ErrorIds.YamlInvalidValue, ErrorKind.InvalidData, prefix + message, where);
    }
}
