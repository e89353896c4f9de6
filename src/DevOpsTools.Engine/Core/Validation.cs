using System.Globalization;
using System.Text.RegularExpressions;

namespace DevOpsTools;

/// <summary>Naming rules shared by parameters and YAML fields.</summary>
public static partial class Validation
{
    /// <summary>RFC 1123 label: lower-case letters, digits and '-', 1-63 chars, alphanumeric at both ends.</summary>
    public const string Rfc1123LabelPattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    /// <summary>
    /// An image: an OCI reference ([registry[:port]/]path[:tag][@sha256:digest], lower-case path
    /// components) or an AMI id or alias (ami-0123abcd, debian-12), which have the same shape. Never
    /// starts with '-', holds no space, quote, shell metacharacter or control character.
    /// </summary>
    public const string ImagePattern =
        "^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?/)?" +
        "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*" +
        "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$";

    /// <summary>
    /// Tag key: a letter or digit, then letters, digits and _ . : / + @ - (1-128; no '=' or space);
    /// keys starting with aws: (the cloud's) or devopstools. (the module's labels) are reserved.
    /// </summary>
    public const string TagKeyPattern = @"^(?![Aa][Ww][Ss]:|[Dd][Ee][Vv][Oo][Pp][Ss][Tt][Oo][Oo][Ll][Ss]\.)[A-Za-z0-9][A-Za-z0-9_.:/+@-]{0,127}$";

    /// <summary>Tag value: up to 256 letters, digits, spaces and _ . : / + = @ - (the set EC2 tags and podman labels share).</summary>
    public const string TagValuePattern = "^[A-Za-z0-9 _.:/+=@-]{0,256}$";

    [GeneratedRegex(Rfc1123LabelPattern)]
    private static partial Regex Rfc1123Label();

    [GeneratedRegex(ImagePattern)]
    private static partial Regex Image();

    [GeneratedRegex(TagKeyPattern)]
    private static partial Regex TagKey();

    [GeneratedRegex(TagValuePattern)]
    private static partial Regex TagValue();

    /// <summary>
    /// Whether the pattern matches all of the value. .NET's '$' also matches before a final line
    /// break ("web\n" would pass "^[a-z]+$"), so the match must cover the whole string.
    /// </summary>
    public static bool IsWhole(Regex pattern, string value)
    {
        var match = pattern.Match(value);
        return match.Success && match.Index == 0 && match.Length == value.Length;
    }

    /// <summary>IsWhole for a pattern given as text (YAML field patterns).</summary>
    public static bool IsWhole(string pattern, string value) => IsWhole(new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), value);

    public static bool IsRfc1123Label(string? value) => value is not null && IsWhole(Rfc1123Label(), value);

    /// <summary>Roles share the server-name rule (web, db, bastion, container-host).</summary>
    public static bool IsRole(string? value) => IsRfc1123Label(value);

    public static bool IsImage(string? value) => value is { Length: > 0 and <= 255 } && IsWhole(Image(), value);

    public static bool IsTagKey(string? value) => value is not null && IsWhole(TagKey(), value);

    public static bool IsTagValue(string? value) => value is not null && IsWhole(TagValue(), value);

    /// <summary>
    /// A tag value from a hashtable: a string, a number or a Boolean, as invariant text; anything
    /// else (a nested hashtable, an array, a script block) is not a tag value and returns null.
    /// </summary>
    public static string? TagValueText(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        sbyte or byte or short or ushort or int or uint or long or ulong or decimal => Convert.ToString(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The first problem with a server's image, role and tags, as a sentence naming the parameter; null when they are fine.</summary>
    public static string? ServerInputProblem(string? image, string? role, IReadOnlyDictionary<string, string>? tags)
    {
        if (image is not null && !IsImage(image))
        {
            return $"-Image '{Printable(image)}' is not a valid image: use an image reference such as localhost/devopstools/debian12:tag or registry.example:5000/team/app@sha256:<digest>, or an AMI id or alias such as ami-0123456789abcdef0 or debian-12 (lower-case path, no spaces, not starting with '-').";
        }

        if (role is not null && !IsRole(role))
        {
            return $"-Role '{Printable(role)}' is not valid: use an RFC 1123 label such as web, db or bastion (lower-case letters, digits and '-', 1-63 characters).";
        }

        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            if (!IsTagKey(key))
            {
                return $"-Tag key '{Printable(key)}' is not valid: start with a letter or digit, then letters, digits and _ . : / + @ - (at most 128; keys starting with aws: or devopstools. are reserved).";
            }

            if (!IsTagValue(value))
            {
                return $"-Tag '{Printable(key)}' has a value that is not valid ('{Printable(value)}'): use at most 256 letters, digits, spaces and _ . : / + = @ -.";
            }
        }

        return null;
    }

    /// <summary>A value for an error message: control characters shown escaped, long values cut.</summary>
    public static string Printable(string value)
    {
        var text = string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length > 80 ? text[..77] + "..." : text;
    }
}
