using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Commands.Servers;

internal static class AwsParameters
{
    /// <summary>
    /// The AWS settings to use: <paramref name="baseline"/> (an environment file's provider.aws, or
    /// a piped server's connection) with the given parameters in its place; null when neither.
    /// </summary>
    public static AwsSettings? ToSettings(AwsSettings? baseline, string? region, string? profileName, string? endpointUrl, string[]? allowSshFrom)
    {
        if (baseline is null && region is null && profileName is null && endpointUrl is null && allowSshFrom is null)
        {
            return null;
        }

        return (baseline ?? new AwsSettings()).WithOverrides(region, profileName, endpointUrl, allowSshFrom);
    }
}

/// <summary>
/// Base of the server cmdlets that reach EC2: the AWS connection parameters, in one place.
/// Podman ignores them.
/// </summary>
public abstract class AwsConnectionCmdlet : DevOpsToolsCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Region { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Profile")]
    public string? ProfileName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? EndpointUrl { get; set; }

    /// <summary><paramref name="baseline"/> (a file's provider.aws or a piped server's connection) with these parameters in its place.</summary>
    protected AwsSettings? AwsConnection(AwsSettings? baseline = null, string[]? allowSshFrom = null) =>
        AwsParameters.ToSettings(baseline, Region, ProfileName, EndpointUrl, allowSshFrom);
}
