using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;

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

/// <summary>The AWS connection parameters a server cmdlet offers with -Provider Aws (dynamic parameters).</summary>
public class AwsConnectionParameters
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Region { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Profile")]
    public string? ProfileName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? EndpointUrl { get; set; }
}

/// <summary>
/// Base of the server cmdlets: their -Provider, and the provider's own parameters, offered only
/// for that provider (-Provider Aws adds -Region, -ProfileName, -EndpointUrl and what the cmdlet
/// adds to them). Podman has none.
/// </summary>
public abstract class ServerProviderCmdlet : DevOpsToolsCmdlet, IDynamicParameters
{
    private AwsConnectionParameters? _aws;

    /// <summary>The provider named on the command line (the default when none is).</summary>
    protected abstract string ProviderForParameters { get; }

    /// <summary>The AWS parameters, when -Provider Aws was given.</summary>
    protected AwsConnectionParameters? Aws => _aws;

    public object? GetDynamicParameters()
    {
        if (string.Equals(ProviderForParameters, AwsServerProvider.ProviderName, StringComparison.OrdinalIgnoreCase))
        {
            return _aws ??= NewAwsParameters();
        }

        return null;
    }

    /// <summary>The cmdlet's AWS parameters (New-Server adds -AllowSshFrom and user data).</summary>
    protected virtual AwsConnectionParameters NewAwsParameters() => new();

    /// <summary><paramref name="baseline"/> (a file's provider.aws or a piped server's connection) with the AWS parameters in its place.</summary>
    protected AwsSettings? AwsConnection(AwsSettings? baseline = null, string[]? allowSshFrom = null) =>
        AwsParameters.ToSettings(baseline, _aws?.Region, _aws?.ProfileName, _aws?.EndpointUrl, allowSshFrom);
}
