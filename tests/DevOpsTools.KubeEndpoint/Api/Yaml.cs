using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>YAML (and so JSON, its subset) to JSON nodes, with YAML 1.2 core-schema scalars as the API server reads them.</summary>
public static class Yaml
{
    public static JsonNode? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw ApiException.BadRequest($"error decoding YAML: {ex.Message}");
        }

        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => Map(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonObject Map(YamlMappingNode map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map.Children)
        {
            o[((YamlScalarNode)k).Value ?? string.Empty] = Convert(v);
        }

        return o;
    }

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? string.Empty;
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(v);
        }

        return v switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonNode.Parse(l.ToString(CultureInfo.InvariantCulture)),
            _ when v.Any(char.IsDigit) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => JsonNode.Parse(d.ToString("R", CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(v),
        };
    }
}
