using System.Text.RegularExpressions;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data.Backups.S3;

/// <summary>
/// s3://bucket/prefix: a bucket (S3's naming rules) and an optional key prefix. Backups sit under
/// &lt;prefix&gt;/&lt;environment&gt;/&lt;service&gt;/, as under the module data directory.
/// </summary>
public sealed partial record S3Location(string Bucket, string Prefix)
{
    /// <summary>Lower-case letters, digits, dots and hyphens, 3 to 63, starting and ending with a letter or digit.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();

    /// <summary>S3's safe key characters only, so a key needs no escaping anywhere it is shown or sent.</summary>
    [GeneratedRegex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")]
    private static partial Regex PrefixPattern();

    public static S3Location Parse(string location, string parameter) =>
        Check(location) is { } wrong
            ? throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"{parameter} '{location}' {wrong}", location)
            {
                RecommendedAction = "Give an S3 location such as s3://my-backups or s3://my-backups/devopstools.",
            }
            : Split(location);

    /// <summary>Null when the location is a valid s3://bucket[/prefix]; otherwise what is wrong with it.</summary>
    public static string? Check(string location)
    {
        if (!BackupStores.IsS3(location))
        {
            return "is not an S3 location (s3://bucket/prefix).";
        }

        var (bucket, prefix) = Split(location);
        if (!BucketPattern().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            return $"names bucket '{bucket}', which is not a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit).";
        }

        if (prefix.Length > 0 && (!PrefixPattern().IsMatch(prefix) || prefix.Split('/').Any(p => p is "." or "..") || prefix.Length > 512))
        {
            return $"has key prefix '{prefix}', which may hold only letters, digits and !_.*'()- between single slashes (no . or .. segments, at most 512 characters).";
        }

        return null;
    }

    /// <summary>The key prefix of one service's backups, ending in a slash.</summary>
    public string ServicePrefix(string environment, string service) => $"{(Prefix.Length > 0 ? Prefix + "/" : string.Empty)}{environment}/{service}/";

    /// <summary>The key prefix of everything in this location ("" or "prefix/").</summary>
    public string RootPrefix => Prefix.Length > 0 ? Prefix + "/" : string.Empty;

    public string Url(string key) => $"s3://{Bucket}/{key}";

    public override string ToString() => Prefix.Length > 0 ? $"s3://{Bucket}/{Prefix}" : $"s3://{Bucket}";

    private static S3Location Split(string location)
    {
        var rest = location[BackupStores.S3Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new S3Location(rest, string.Empty) : new S3Location(rest[..slash], rest[(slash + 1)..].TrimEnd('/'));
    }
}
