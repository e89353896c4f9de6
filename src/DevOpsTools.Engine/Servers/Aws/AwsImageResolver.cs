using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>
/// Turns an image alias (debian-12, debian-12-arm64, debian-11) into the newest matching AMI of
/// its publisher; an AMI id is checked to exist.
/// </summary>
internal static class AwsImageResolver
{
    /// <summary>Debian's official AWS account, which publishes the Debian cloud images.</summary>
    public const string DebianOwner = "136693071363";

    private static readonly Dictionary<string, (string Owner, string NamePattern, string Architecture)> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["debian-12"] = (DebianOwner, "debian-12-amd64-*", "x86_64"),
        ["debian-12-arm64"] = (DebianOwner, "debian-12-arm64-*", "arm64"),
        ["debian-11"] = (DebianOwner, "debian-11-amd64-*", "x86_64"),
    };

    public static IReadOnlyCollection<string> KnownAliases => Aliases.Keys;

    public static async Task<Image> ResolveAsync(IAmazonEC2 ec2, string image, CancellationToken cancellationToken)
    {
        if (image.StartsWith("ami-", StringComparison.Ordinal))
        {
            DescribeImagesResponse byId;
            try
            {
                byId = await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [image] }, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonEC2Exception ex) when (ex.ErrorCode is "InvalidAMIID.NotFound" or "InvalidAMIID.Malformed" or "InvalidAMIID.Unavailable")
            {
                throw new DevOpsToolsException(ErrorIds.UnknownImage, ex.ErrorCode == "InvalidAMIID.Malformed" ? ErrorKind.InvalidArgument : ErrorKind.ObjectNotFound,
                    $"AMI '{image}' was not found in this region ({ex.ErrorCode}). Use an AMI id of this region or one of: {string.Join(", ", Aliases.Keys)}.", image, ex);
            }

            return byId.Images?.FirstOrDefault(i => i.State?.Value is null or "available")
                ?? throw new DevOpsToolsException(ErrorIds.UnknownImage, ErrorKind.ObjectNotFound, $"AMI '{image}' was not found (or is not available) in this region.", image);
        }

        if (!Aliases.TryGetValue(image, out var alias))
        {
            throw new DevOpsToolsException(ErrorIds.UnknownImage, ErrorKind.InvalidArgument,
                $"Unknown image '{image}'. Use an AMI id (ami-...) or one of: {string.Join(", ", Aliases.Keys)}.", image);
        }

        var response = await ec2.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = [alias.Owner],
            Filters =
            [
                new Filter("name", [alias.NamePattern]),
                new Filter("architecture", [alias.Architecture]),
                new Filter("state", ["available"]),
            ],
        }, cancellationToken).ConfigureAwait(false);

        // CreationDate is ISO 8601, so ordinal order is time order.
        return response.Images?.OrderByDescending(i => i.CreationDate, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new DevOpsToolsException(ErrorIds.UnknownImage, ErrorKind.ObjectNotFound,
                $"No AMI matches alias '{image}' ({alias.NamePattern}, owner {alias.Owner}, {alias.Architecture}) in this region.", image);
    }
}
