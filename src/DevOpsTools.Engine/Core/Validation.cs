using System.Text.RegularExpressions;

namespace DevOpsTools;

/// <summary>Naming rules shared by parameters and YAML fields.</summary>
public static partial class Validation
{
    /// <summary>RFC 1123 label: lower-case letters, digits and '-', 1-63 chars, alphanumeric at both ends.</summary>
    public const string Rfc1123LabelPattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    [GeneratedRegex(Rfc1123LabelPattern)]
    private static partial Regex Rfc1123Label();

    public static bool IsRfc1123Label(string? value) => value is not null && Rfc1123Label().IsMatch(value);
}
