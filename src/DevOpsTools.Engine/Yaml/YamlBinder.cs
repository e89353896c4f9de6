using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DevOpsTools.Engine.Yaml;

/// <summary>
/// Strict YAML-to-object binding. Unlike a lenient deserializer it keeps every node's position,
/// so each problem is reported with file, line, column and field path, and it collects all
/// problems of a document instead of stopping at the first. Nothing is returned unless the
/// whole document is valid.
/// </summary>
public sealed partial class YamlBinder
{
    private readonly string _file;
    private readonly List<DevOpsToolsException> _errors = [];

    private YamlBinder(string file)
    {
        _file = file;
    }

    /// <summary>Binds every document of a YAML stream to <typeparamref name="T"/>.</summary>
    public static IReadOnlyList<T> BindAll<T>(string file, string text) where T : new()
    {
        var binder = new YamlBinder(file);
        var stream = binder.Parse(text);
        var results = new List<T>();
        if (stream is not null)
        {
            for (var i = 0; i < stream.Documents.Count; i++)
            {
                var root = stream.Documents[i].RootNode;
                var path = stream.Documents.Count > 1 ? $"$[document {i + 1}]" : "$";
                if (root is YamlScalarNode { Value: null or "" } && stream.Documents.Count > 1)
                {
                    continue; // an empty document between '---' separators
                }

                if (binder.BindValue(root, typeof(T), path) is T value)
                {
                    results.Add(value);
                }
            }

            if (results.Count == 0 && binder._errors.Count == 0)
            {
                binder._errors.Add(new DevOpsToolsException(ErrorIds.YamlMissingField, ErrorKind.InvalidData,
                    $"{file}: the file contains no document.", file));
            }
        }

        binder.ThrowIfErrors();
        return results;
    }

    public static T Bind<T>(string file, string text) where T : new() => BindAll<T>(file, text)[0];

    private YamlStream? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
            return stream;
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException?.Message;
            var reason = inner ?? ex.Message;
            // YamlDotNet prefixes messages with the position; ours carries it separately.
            reason = Regex.Replace(reason, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", string.Empty);
            var id = reason.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase) || reason.Contains("same key", StringComparison.OrdinalIgnoreCase)
                ? ErrorIds.YamlDuplicateKey
                : ErrorIds.YamlSyntaxError;
            var location = new YamlLocation(_file, (int)ex.Start.Line, (int)ex.Start.Column, "$");
            _errors.Add(Error(id, location, $"invalid YAML: {reason}"));
            return null;
        }
    }

    private void ThrowIfErrors()
    {
        if (_errors.Count == 0)
        {
            return;
        }

        if (_errors.Count == 1)
        {
            throw _errors[0];
        }

        var message = $"{_file} has {_errors.Count} errors:{Environment.NewLine}" +
                      string.Join(Environment.NewLine, _errors.Select(e => "  " + e.Message));
        throw new DevOpsToolsAggregateException(ErrorIds.EnvironmentDefinitionInvalid, ErrorKind.InvalidData, message, _errors, _file);
    }

    private YamlLocation Locate(YamlNode node, string path) =>
        new(_file, (int)node.Start.Line, (int)node.Start.Column, path);

    private static DevOpsToolsException Error(string id, YamlLocation where, string message) =>
        new(id, ErrorKind.InvalidData, $"{where.File}:{where.Line}:{where.Column}: {where.FieldPath}: {message}", where);

    private object? BindValue(YamlNode node, Type type, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            if (IsNull(node))
            {
                return null;
            }

            type = underlying;
        }

        if (typeof(YamlNode).IsAssignableFrom(type))
        {
            // Raw node: the caller validates it and reports errors at the node's own position.
            return IsNull(node) ? null : node;
        }

        if (type == typeof(string))
        {
            return Scalar(node, path, "a string", s => s);
        }

        if (type == typeof(int))
        {
            return Scalar(node, path, "a whole number", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null);
        }

        if (type == typeof(double))
        {
            return Scalar(node, path, "a number", s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null);
        }

        if (type == typeof(bool))
        {
            return Scalar(node, path, "true or false", s => s.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null });
        }

        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return Scalar(node, path, "one of " + string.Join(", ", names.Select(n => n.ToLowerInvariant())), s =>
            {
                var match = names.FirstOrDefault(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase));
                return match is null ? null : Enum.Parse(type, match);
            });
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            return BindList(node, type, path);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return BindDictionary(node, type, path);
        }

        if (type.IsClass)
        {
            return BindObject(node, type, path);
        }

        throw new NotSupportedException($"YAML binding of {type} is not supported.");
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private object? Scalar(YamlNode node, string path, string expected, Func<string, object?> convert)
    {
        if (node is not YamlScalarNode scalar)
        {
            _errors.Add(Error(ErrorIds.YamlWrongType, Locate(node, path), $"expected {expected}, found {Describe(node)}."));
            return null;
        }

        var text = scalar.Value ?? string.Empty;
        var value = convert(text);
        if (value is null)
        {
            _errors.Add(Error(ErrorIds.YamlWrongType, Locate(node, path), $"expected {expected}, found '{text}'."));
        }

        return value;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private object? BindList(YamlNode node, Type type, string path)
    {
        var itemType = type.GetGenericArguments()[0];
        var list = (IList)Activator.CreateInstance(type)!;
        if (node is YamlScalarNode && !IsNull(node) && itemType == typeof(string))
        {
            // A single string where a list is expected is accepted as a one-item list.
            var single = BindValue(node, itemType, path);
            if (single is not null)
            {
                list.Add(single);
            }

            return list;
        }

        if (IsNull(node))
        {
            return list;
        }

        if (node is not YamlSequenceNode sequence)
        {
            _errors.Add(Error(ErrorIds.YamlWrongType, Locate(node, path), $"expected a list, found {Describe(node)}."));
            return null;
        }

        var i = 0;
        foreach (var child in sequence.Children)
        {
            var value = BindValue(child, itemType, $"{path}[{i++}]");
            if (value is not null)
            {
                list.Add(value);
            }
        }

        return list;
    }

    private object? BindDictionary(YamlNode node, Type type, string path)
    {
        var args = type.GetGenericArguments();
        if (args[0] != typeof(string))
        {
            throw new NotSupportedException("Only string-keyed maps are supported.");
        }

        var dict = (IDictionary)Activator.CreateInstance(type, StringComparer.Ordinal)!;
        if (IsNull(node))
        {
            return dict;
        }

        if (node is not YamlMappingNode mapping)
        {
            _errors.Add(Error(ErrorIds.YamlWrongType, Locate(node, path), $"expected a mapping, found {Describe(node)}."));
            return null;
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
            var value = BindValue(valueNode, args[1], $"{path}.{key}");
            if (value is not null)
            {
                dict[key] = value;
            }
        }

        return dict;
    }

    private object? BindObject(YamlNode node, Type type, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            _errors.Add(Error(ErrorIds.YamlWrongType, Locate(node, path), $"expected a mapping, found {Describe(node)}."));
            return null;
        }

        var fields = FieldsOf(type);
        var target = Activator.CreateInstance(type)!;
        if (target is IYamlLocated located)
        {
            located.Location = Locate(node, path);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var fieldPath = path + "." + key;
            if (!fields.TryGetValue(key, out var field))
            {
                var suggestion = Suggest(key, fields.Keys);
                var hint = suggestion is null
                    ? $"allowed keys: {string.Join(", ", fields.Keys.Order(StringComparer.Ordinal))}."
                    : $"did you mean '{suggestion}'?";
                _errors.Add(Error(ErrorIds.YamlUnknownKey, Locate(keyNode, fieldPath), $"unknown key '{key}'; {hint}"));
                continue;
            }

            seen.Add(key);
            var value = BindValue(valueNode, field.Property.PropertyType, fieldPath);
            if (value is null)
            {
                continue;
            }

            if (!Validate(field.Attribute, value, valueNode, fieldPath))
            {
                continue;
            }

            field.Property.SetValue(target, value);
        }

        foreach (var (name, field) in fields)
        {
            if (field.Attribute.Required && !seen.Contains(name))
            {
                _errors.Add(Error(ErrorIds.YamlMissingField, Locate(node, path), $"missing required field '{name}'" +
                    (field.Attribute.Description is null ? "." : $" ({field.Attribute.Description}).")));
            }
        }

        return target;
    }

    internal static IReadOnlyDictionary<string, (PropertyInfo Property, YamlFieldAttribute Attribute)> FieldsOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<YamlFieldAttribute>()))
            .Where(p => p.Attribute is not null)
            .ToDictionary(p => p.Attribute!.Name, p => (p.Property, p.Attribute!), StringComparer.Ordinal);

    /// <summary>The closest known key within a small edit distance, for misspellings.</summary>
    internal static string? Suggest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Levenshtein(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        var allowed = Math.Max(1, Math.Min(3, key.Length / 3));
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Edit distance where swapping two neighbours counts once ("szie" → "size").</summary>
    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
