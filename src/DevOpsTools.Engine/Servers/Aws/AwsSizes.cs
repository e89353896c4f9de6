using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>Portable size names to EC2 instance types; a literal instance type passes through.</summary>
internal static partial class AwsSizes
{
    private static readonly Dictionary<string, string> Map = new(StringComparer.OrdinalIgnoreCase)
    {
        ["small"] = "t3.small",
        ["medium"] = "t3.medium",
        ["large"] = "t3.large",
    };

    [GeneratedRegex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$")]
    private static partial Regex InstanceType();

    public static bool IsInstanceType(string size) => InstanceType().IsMatch(size);

    public static string ToInstanceType(string size)
    {
        if (Map.TryGetValue(size, out var type))
        {
            return type;
        }

        if (InstanceType().IsMatch(size))
        {
            return size;
        }

        throw new DevOpsToolsException(ErrorIds.UnknownSize, ErrorKind.InvalidArgument,
            $"Unknown size '{size}'. Use small, medium, large or an EC2 instance type such as m7i.large.", size);
    }
}
