using System.Globalization;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Yaml;
using YamlDotNet.RepresentationModel;

namespace DevOpsTools.Engine.Hardening;

/// <summary>A resolved profile: which rules run, with which parameter values.</summary>
public sealed class HardeningProfile
{
    public required string Name { get; init; }

    public required IReadOnlyList<HardeningRule> Rules { get; init; }

    /// <summary>Overrides per rule id, then parameter name (values as text; lists space-separated).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Parameters { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The built-in Baseline (default) or Strict profile.</summary>
    public static HardeningProfile BuiltIn(string name)
    {
        var canonical = string.Equals(name, "Strict", StringComparison.OrdinalIgnoreCase) ? "Strict" : "Baseline";
        var rules = HardeningCatalog.All.Where(r => r.Profiles.Contains(canonical)).ToList();
        var parameters = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        if (canonical == "Strict")
        {
            // dev-sec's stricter values.
            parameters["ACC-001"] = new Dictionary<string, string> { ["maxDays"] = "60" };
            parameters["ACC-002"] = new Dictionary<string, string> { ["minDays"] = "7" };
            parameters["SSH-005"] = new Dictionary<string, string> { ["maxAuthTries"] = "2" };
            parameters["KRN-013"] = new Dictionary<string, string> { ["ptraceScope"] = "2" };
        }

        return new HardeningProfile { Name = canonical, Rules = rules, Parameters = parameters };
    }

    /// <summary>Stands for the server's admin user in a parameter value.</summary>
    public const string AdminToken = "{admin}";

    public static bool IsBuiltIn(string name) =>
        string.Equals(name, "Baseline", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "Strict", StringComparison.OrdinalIgnoreCase);

    /// <summary>Baseline, Strict, or the path of a YAML profile.</summary>
    public static HardeningProfile Resolve(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath) || IsBuiltIn(nameOrPath))
        {
            return BuiltIn(string.IsNullOrWhiteSpace(nameOrPath) ? "Baseline" : nameOrPath);
        }

        var full = Path.GetFullPath(nameOrPath);
        if (!File.Exists(full))
        {
            throw new DevOpsToolsException(ErrorIds.HardeningProfileNotFound, ErrorKind.ObjectNotFound,
                $"Hardening profile '{nameOrPath}' is neither Baseline, Strict nor an existing YAML file ({full}).", nameOrPath)
            {
                RecommendedAction = "Use -Profile Baseline, -Profile Strict, or the path of a profile file (kind: HardeningProfile).",
            };
        }

        return HardeningProfileLoader.Load(full, File.ReadAllText(full));
    }

    /// <summary>Narrows to -Rule ids and drops -ExcludeRule ids; unknown ids are errors (with a suggestion).</summary>
    public HardeningProfile Filter(IReadOnlyCollection<string>? only, IReadOnlyCollection<string>? exclude)
    {
        foreach (var id in (only ?? []).Concat(exclude ?? []))
        {
            if (HardeningCatalog.Find(id) is null && !HardeningCatalog.Categories.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                var hint = YamlBinder.Suggest(id, HardeningCatalog.All.Select(r => r.Id));
                throw new DevOpsToolsException(ErrorIds.HardeningUnknownRule, ErrorKind.InvalidArgument,
                    $"Unknown hardening rule '{id}'" + (hint is null ? "; see Get-HardeningRule." : $"; did you mean '{hint}'?"), id);
            }
        }

        bool Matches(HardeningRule r, string s) =>
            string.Equals(r.Id, s, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Category, s, StringComparison.OrdinalIgnoreCase);

        IEnumerable<HardeningRule> rules = Rules;
        if (only is { Count: > 0 })
        {
            // -Rule may name rules outside the profile: the user asked for them explicitly.
            rules = HardeningCatalog.All.Where(r => only.Any(o => Matches(r, o)));
        }

        if (exclude is { Count: > 0 })
        {
            rules = rules.Where(r => !exclude.Any(x => Matches(r, x)));
        }

        return new HardeningProfile { Name = Name, Rules = rules.ToList(), Parameters = Parameters };
    }

    /// <summary>Parameter values of one rule for one server: defaults, then profile overrides, "{admin}" expanded; FW-001 adds the declared ports and recorded sources.</summary>
    public IReadOnlyDictionary<string, string> ValuesFor(HardeningRule rule, Server server, IReadOnlyDictionary<int, IReadOnlyList<string>>? recordedSources = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in rule.Parameters)
        {
            values[p.Name] = p.Default;
        }

        if (Parameters.TryGetValue(rule.Id, out var overrides))
        {
            foreach (var (k, v) in overrides)
            {
                if (!values.ContainsKey(k))
                {
                    throw new DevOpsToolsException(ErrorIds.HardeningUnknownParameter, ErrorKind.InvalidArgument,
                        $"{rule.Id} has no parameter '{HardeningParameterValidator.Show(k)}'.", k);
                }

                values[k] = v;
            }
        }

        if (rule.Id == "FW-001" && server.Ports.Count > 0)
        {
            // Application ports the server was declared with (New-Server -Port, ports: in the
            // environment file) stay open.
            var ports = server.Ports.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));
            values["allowedPorts"] = string.Join(' ', (values.GetValueOrDefault("allowedPorts") ?? string.Empty)
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(ports).Distinct());
        }

        if (rule.Id == "FW-001" && recordedSources is { Count: > 0 })
        {
            // Sources recorded for the server's ports (PortSources) for ports the profile leaves unrestricted.
            var given = (values.GetValueOrDefault("allowedSources") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            var restricted = given.Select(i => i.Split('=')[0]).ToHashSet(StringComparer.Ordinal);
            values["allowedSources"] = string.Join(' ', given.Concat(DevOpsTools.Engine.Servers.PortSources.AsItems(recordedSources)
                .Where(i => !restricted.Contains(i.Split('=')[0]))));
        }

        // {admin} first, then every value is validated by its type: nothing unvalidated reaches a script.
        foreach (var p in rule.Parameters)
        {
            var raw = values[p.Name];
            var value = raw.Replace(AdminToken, server.User, StringComparison.Ordinal);
            if (HardeningParameterValidator.Problem(p, value) is { } problem)
            {
                var source = raw.Contains(AdminToken, StringComparison.Ordinal) ? $" ({AdminToken} is the server's user, -User '{HardeningParameterValidator.Show(server.User)}')" : string.Empty;
                throw new DevOpsToolsException(ErrorIds.HardeningParameterInvalid, ErrorKind.InvalidArgument,
                    $"{server.Name}: {rule.Id} parameter {p.Name}{source}: {problem} Nothing was changed.", server)
                {
                    RecommendedAction = $"Give {rule.Id}.{p.Name} a valid {p.Type} value (Get-HardeningRule -Id {rule.Id} lists its parameters).",
                };
            }

            values[p.Name] = value;
        }

        return values;
    }
}

/// <summary>A custom profile file, as written (kind: HardeningProfile).</summary>
public sealed class HardeningProfileDocument : IYamlLocated
{
    [YamlField("apiVersion", Description = "Schema version of this file", Pattern = "^devopstools/v1$")]
    public string ApiVersion { get; set; } = "devopstools/v1";

    [YamlField("kind", Description = "Always HardeningProfile", Pattern = "^HardeningProfile$")]
    public string Kind { get; set; } = "HardeningProfile";

    [YamlField("name", Required = true, Description = "Profile name (RFC 1123 label)", Pattern = Validation.Rfc1123LabelPattern)]
    public string Name { get; set; } = string.Empty;

    [YamlField("description", Description = "Free text for people")]
    public string? Description { get; set; }

    [YamlField("extends", Description = "Baseline (default), Strict or None")]
    public YamlNode? Extends { get; set; }

    [YamlField("enable", Description = "Rule ids or categories to add")]
    public YamlNode? Enable { get; set; }

    [YamlField("disable", Description = "Rule ids or categories to leave out")]
    public YamlNode? Disable { get; set; }

    [YamlField("parameters", Description = "Per rule id, parameter values (allowedPorts, allowForwarding, allowUsers...)")]
    public YamlNode? Parameters { get; set; }

    public YamlLocation? Location { get; set; }
}

/// <summary>Loads custom profiles strictly: every error with file, line, column and field.</summary>
public static class HardeningProfileLoader
{
    public static HardeningProfile Load(string file, string yaml)
    {
        var doc = YamlBinder.Bind<HardeningProfileDocument>(file, yaml);
        var errors = new List<DevOpsToolsException>();

        DevOpsToolsException Error(string id, YamlNode node, string path, string message) =>
            new(id, ErrorKind.InvalidData, $"{file}:{node.Start.Line}:{node.Start.Column}: {path}: {message}", new YamlLocation(file, (int)node.Start.Line, (int)node.Start.Column, path));

        var baseName = "Baseline";
        if (doc.Extends is YamlScalarNode ext)
        {
            var v = ext.Value ?? string.Empty;
            if (HardeningProfile.IsBuiltIn(v) || string.Equals(v, "None", StringComparison.OrdinalIgnoreCase))
            {
                baseName = v;
            }
            else
            {
                errors.Add(Error(ErrorIds.YamlInvalidValue, ext, "$.extends", $"'{v}' is not valid; expected Baseline, Strict or None."));
            }
        }
        else if (doc.Extends is not null)
        {
            errors.Add(Error(ErrorIds.YamlWrongType, doc.Extends, "$.extends", "expected Baseline, Strict or None."));
        }

        var selected = string.Equals(baseName, "None", StringComparison.OrdinalIgnoreCase)
            ? new List<HardeningRule>()
            : HardeningProfile.BuiltIn(baseName).Rules.ToList();
        var parameters = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        if (!string.Equals(baseName, "None", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (k, v) in HardeningProfile.BuiltIn(baseName).Parameters)
            {
                parameters[k] = new Dictionary<string, string>(v, StringComparer.Ordinal);
            }
        }

        List<(string Value, YamlNode Node, string Path)> Items(YamlNode? node, string path)
        {
            var list = new List<(string, YamlNode, string)>();
            switch (node)
            {
                case null:
                    break;
                case YamlScalarNode s:
                    list.Add((s.Value ?? string.Empty, s, path));
                    break;
                case YamlSequenceNode seq:
                    var i = 0;
                    foreach (var child in seq.Children)
                    {
                        if (child is YamlScalarNode cs)
                        {
                            list.Add((cs.Value ?? string.Empty, cs, $"{path}[{i}]"));
                        }
                        else
                        {
                            errors.Add(Error(ErrorIds.YamlWrongType, child, $"{path}[{i}]", "expected a rule id or category."));
                        }

                        i++;
                    }

                    break;
                default:
                    errors.Add(Error(ErrorIds.YamlWrongType, node, path, "expected a list of rule ids or categories."));
                    break;
            }

            return list;
        }

        List<HardeningRule>? Select(string value, YamlNode node, string path)
        {
            var byCategory = HardeningCatalog.All.Where(r => string.Equals(r.Category, value, StringComparison.OrdinalIgnoreCase)).ToList();
            if (byCategory.Count > 0)
            {
                return byCategory;
            }

            if (HardeningCatalog.Find(value) is { } rule)
            {
                return [rule];
            }

            var hint = YamlBinder.Suggest(value, HardeningCatalog.All.Select(r => r.Id).Concat(HardeningCatalog.Categories));
            errors.Add(Error(ErrorIds.HardeningUnknownRule, node, path,
                $"unknown rule or category '{value}'; " + (hint is null ? "see Get-HardeningRule." : $"did you mean '{hint}'?")));
            return null;
        }

        foreach (var (value, node, path) in Items(doc.Enable, "$.enable"))
        {
            foreach (var rule in Select(value, node, path) ?? [])
            {
                if (!selected.Contains(rule))
                {
                    selected.Add(rule);
                }
            }
        }

        foreach (var (value, node, path) in Items(doc.Disable, "$.disable"))
        {
            foreach (var rule in Select(value, node, path) ?? [])
            {
                selected.Remove(rule);
            }
        }

        if (doc.Parameters is YamlMappingNode byRule)
        {
            foreach (var (ruleKey, ruleValue) in byRule.Children)
            {
                var id = (ruleKey as YamlScalarNode)?.Value ?? string.Empty;
                var rulePath = $"$.parameters.{id}";
                var rule = HardeningCatalog.Find(id);
                if (rule is null)
                {
                    var hint = YamlBinder.Suggest(id, HardeningCatalog.All.Where(r => r.Parameters.Count > 0).Select(r => r.Id));
                    errors.Add(Error(ErrorIds.HardeningUnknownRule, ruleKey, rulePath,
                        $"unknown rule '{id}'; " + (hint is null ? "see Get-HardeningRule." : $"did you mean '{hint}'?")));
                    continue;
                }

                if (ruleValue is not YamlMappingNode values)
                {
                    errors.Add(Error(ErrorIds.YamlWrongType, ruleValue, rulePath, "expected a mapping of parameter names to values."));
                    continue;
                }

                var target = parameters.TryGetValue(rule.Id, out var existing) ? existing : parameters[rule.Id] = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (pKey, pValue) in values.Children)
                {
                    var name = (pKey as YamlScalarNode)?.Value ?? string.Empty;
                    var path = $"{rulePath}.{name}";
                    var parameter = rule.Parameters.FirstOrDefault(p => p.Name == name);
                    if (parameter is null)
                    {
                        var hint = YamlBinder.Suggest(name, rule.Parameters.Select(p => p.Name));
                        var known = rule.Parameters.Count == 0 ? $"{rule.Id} has no parameters." : $"{rule.Id} has: {string.Join(", ", rule.Parameters.Select(p => p.Name))}.";
                        errors.Add(Error(ErrorIds.HardeningUnknownParameter, pKey, path,
                            $"unknown parameter '{name}' of {rule.Id}; " + (hint is null ? known : $"did you mean '{hint}'?")));
                        continue;
                    }

                    var text = ConvertValue(parameter, pValue, out var problem);
                    if (text is null)
                    {
                        errors.Add(Error(ErrorIds.YamlWrongType, pValue, path, problem!));
                        continue;
                    }

                    target[name] = text;
                }
            }
        }
        else if (doc.Parameters is not null)
        {
            errors.Add(Error(ErrorIds.YamlWrongType, doc.Parameters, "$.parameters", "expected a mapping of rule ids to parameters."));
        }

        if (errors.Count == 1)
        {
            throw errors[0];
        }

        if (errors.Count > 1)
        {
            throw new DevOpsToolsAggregateException(ErrorIds.HardeningProfileInvalid, ErrorKind.InvalidData,
                $"{file} has {errors.Count} errors:{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)), errors, file);
        }

        var ordered = HardeningCatalog.All.Where(selected.Contains).ToList();
        return new HardeningProfile
        {
            Name = doc.Name,
            Rules = ordered,
            Parameters = parameters.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, string>)p.Value, StringComparer.OrdinalIgnoreCase),
        };
    }

    /// <summary>The parameter value as script text, or null with the reason.</summary>
    internal static string? ConvertValue(HardeningRuleParameter parameter, YamlNode node, out string? problem)
    {
        problem = null;
        var isList = parameter.Type.EndsWith("List", StringComparison.Ordinal);
        var items = new List<string>();
        if (node is YamlScalarNode scalar)
        {
            items.Add(scalar.Value ?? string.Empty);
        }
        else if (node is YamlSequenceNode seq && isList && seq.Children.All(c => c is YamlScalarNode))
        {
            items.AddRange(seq.Children.Cast<YamlScalarNode>().Select(c => c.Value ?? string.Empty));
        }
        else
        {
            problem = isList ? "expected a list of values." : $"expected a single {parameter.Type.ToLowerInvariant()} value.";
            return null;
        }

        if (isList && items.FirstOrDefault(item => item.Length == 0 || item.Contains(' ', StringComparison.Ordinal)) is { } spaced)
        {
            problem = $"list items must be single words without spaces, found '{HardeningParameterValidator.Show(spaced)}'.";
            return null;
        }

        // {admin} is replaced by the server's user later, and validated again then.
        var text = string.Join(' ', items);
        problem = HardeningParameterValidator.Problem(parameter, text.Replace(HardeningProfile.AdminToken, "root", StringComparison.Ordinal));
        return problem is null ? text : null;
    }
}
