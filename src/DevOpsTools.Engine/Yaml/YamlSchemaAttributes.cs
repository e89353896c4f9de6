namespace DevOpsTools.Engine.Yaml;

/// <summary>Marks a property as a YAML field. Unmarked properties are not bound.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class YamlFieldAttribute : Attribute
{
    public YamlFieldAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The key as written in YAML (camelCase).</summary>
    public string Name { get; }

    public bool Required { get; init; }

    /// <summary>Shown in the JSON Schema (editor completion) and in error messages.</summary>
    public string? Description { get; init; }

    /// <summary>Regular expression a string value (for a map: each value) must match.</summary>
    public string? Pattern { get; init; }

    /// <summary>
    /// A string field that people write as a bare number (version: 15): the loader reads any YAML
    /// scalar as text, so the schema accepts an integer too, or editors would flag valid files.
    /// </summary>
    public bool AllowInteger { get; init; }

    /// <summary>For a map: regular expression each key must match.</summary>
    public string? KeyPattern { get; init; }

    /// <summary>Inclusive bounds for numbers (NaN: unbounded).</summary>
    public double Minimum { get; init; } = double.NaN;

    public double Maximum { get; init; } = double.NaN;
}

/// <summary>A value bound from YAML remembers where it came from, for later errors.</summary>
public interface IYamlLocated
{
    YamlLocation? Location { get; set; }
}

/// <summary>File, 1-based line and column, and the field path ($.servers[0].size).</summary>
public sealed record YamlLocation(string File, int Line, int Column, string FieldPath)
{
    public override string ToString() => $"{File}:{Line}:{Column} ({FieldPath})";
}
