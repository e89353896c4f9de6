using System.Collections;
using System.Globalization;
using DevOpsTools.Engine.Core;
using YamlDotNet.RepresentationModel;

namespace DevOpsTools.Engine.Yaml;

/// <summary>Field checks after binding: patterns (for maps: keys and values; for lists: each item) and numeric ranges.</summary>
public sealed partial class YamlBinder
{
    private bool Validate(YamlFieldAttribute attribute, object value, YamlNode node, string path)
    {
        if (value is IDictionary && node is YamlMappingNode map)
        {
            var valid = true;
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
                if (attribute.KeyPattern is not null && !Validation.IsWhole(attribute.KeyPattern, key))
                {
                    _errors.Add(Error(ErrorIds.YamlInvalidValue, Locate(keyNode, $"{path}.{key}"),
                        $"key '{Validation.Printable(key)}' is not valid" + (attribute.Description is null ? "." : $": {attribute.Description}.")));
                    valid = false;
                }
                else if (attribute.Pattern is not null && valueNode is YamlScalarNode { Value: var text } && !Validation.IsWhole(attribute.Pattern, text ?? string.Empty))
                {
                    _errors.Add(Error(ErrorIds.YamlInvalidValue, Locate(valueNode, $"{path}.{key}"),
                        $"'{Validation.Printable(text ?? string.Empty)}' is not valid" + (attribute.Description is null ? "." : $": {attribute.Description}.")));
                    valid = false;
                }
            }

            return valid;
        }

        if (attribute.Pattern is not null && value is IList { Count: > 0 } items && items[0] is string)
        {
            // A list of strings: each item matches, reported at the item's own position.
            var children = node is YamlSequenceNode sequence ? sequence.Children : [node];
            var valid = true;
            for (var i = 0; i < items.Count && i < children.Count; i++)
            {
                if (items[i] is string item && !Validation.IsWhole(attribute.Pattern, item))
                {
                    _errors.Add(Error(ErrorIds.YamlInvalidValue, Locate(children[i], $"{path}[{i}]"),
                        $"'{Validation.Printable(item)}' is not valid" + (attribute.Description is null ? "." : $": {attribute.Description}.")));
                    valid = false;
                }
            }

            return valid;
        }

        if (attribute.Pattern is not null && value is string s && !Validation.IsWhole(attribute.Pattern, s))
        {
            _errors.Add(Error(ErrorIds.YamlInvalidValue, Locate(node, path),
                $"'{Validation.Printable(s)}' is not valid" + (attribute.Description is null ? "." : $": {attribute.Description}.")));
            return false;
        }

        if (value is int or double)
        {
            var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if ((!double.IsNaN(attribute.Minimum) && number < attribute.Minimum) || (!double.IsNaN(attribute.Maximum) && number > attribute.Maximum))
            {
                var range = double.IsNaN(attribute.Maximum) ? $"at least {attribute.Minimum}" : $"between {attribute.Minimum} and {attribute.Maximum}";
                _errors.Add(Error(ErrorIds.YamlInvalidValue, Locate(node, path), $"{number.ToString(CultureInfo.InvariantCulture)} is out of range; expected {range}."));
                return false;
            }
        }

        return true;
    }
}
