using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DevOpsTools.Engine.Yaml;

/// <summary>
/// Writes a JSON Schema (draft-07, what the YAML language server reads) from the same
/// [YamlField] attributes the binder enforces, so editor validation and the module agree.
/// </summary>
public static class JsonSchemaGenerator
{
    public static string Generate(Type root, string id, string title)
    {
        var schema = Describe(root);
        schema["$schema"] = "http://json-schema.org/draft-07/schema#";
        schema["$id"] = id;
        schema["title"] = title;
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Describe(Type type, YamlFieldAttribute? field = null)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var node = new JsonObject();
        if (field?.Description is not null)
        {
            node["description"] = field.Description;
        }

        if (underlying == typeof(string))
        {
            // The pattern only constrains the string form; the loader checks the number's text.
            node["type"] = field?.AllowInteger == true ? new JsonArray("string", "integer") : "string";
            if (field?.Pattern is not null)
            {
                node["pattern"] = field.Pattern;
            }
        }
        else if (underlying == typeof(int) || underlying == typeof(double))
        {
            node["type"] = underlying == typeof(int) ? "integer" : "number";
            if (field is not null && !double.IsNaN(field.Minimum))
            {
                node["minimum"] = field.Minimum;
            }

            if (field is not null && !double.IsNaN(field.Maximum))
            {
                node["maximum"] = field.Maximum;
            }
        }
        else if (underlying == typeof(bool))
        {
            node["type"] = "boolean";
        }
        else if (underlying.IsEnum)
        {
            node["type"] = "string";
            node["enum"] = new JsonArray(Enum.GetNames(underlying).Select(n => (JsonNode)JsonValue.Create(n.ToLowerInvariant())!).ToArray());
        }
        else if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(List<>))
        {
            node["type"] = "array";
            var items = Describe(underlying.GetGenericArguments()[0]);
            if (field?.Pattern is not null && underlying.GetGenericArguments()[0] == typeof(string))
            {
                items["pattern"] = field.Pattern;
            }

            node["items"] = items;
        }
        else if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            node["type"] = "object";
            if (field?.KeyPattern is not null)
            {
                node["propertyNames"] = new JsonObject { ["pattern"] = field.KeyPattern };
            }

            var values = Describe(underlying.GetGenericArguments()[1]);
            if (field?.Pattern is not null)
            {
                values["pattern"] = field.Pattern;
            }

            node["additionalProperties"] = values;
        }
        else
        {
            node["type"] = "object";
            var properties = new JsonObject();
            var required = new JsonArray();
            foreach (var (name, (property, attribute)) in YamlBinder.FieldsOf(underlying).OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                properties[name] = Describe(property.PropertyType, attribute);
                if (attribute.Required)
                {
                    required.Add(name);
                }
            }

            node["properties"] = properties;
            if (required.Count > 0)
            {
                node["required"] = required;
            }

            node["additionalProperties"] = false;
        }

        return node;
    }
}
