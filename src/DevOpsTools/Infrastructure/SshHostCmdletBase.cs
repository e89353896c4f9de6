using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Infrastructure;

/// <summary>
/// The cmdlets that reach machines over SSH either as module servers (the Server parameter set,
/// declared by each family) or as machines the module did not create (-HostName and the ways
/// to log in to them): Set-/Test-Hardening and the deploy cmdlets share these parameters.
/// </summary>
public abstract class SshHostCmdletBase : DevOpsToolsCmdlet
{
    protected const string ServerSet = "Server";
    protected const string HostSet = "HostName";

    /// <summary>Machines the module did not create, by name or address.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string[] HostName { get; set; } = [];

    [Parameter(ParameterSetName = HostSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string User { get; set; } = "admin";

    /// <summary>A private key file; without it the ssh-agent's keys are tried.</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? IdentityFile { get; set; }

    /// <summary>The passphrase of a protected -IdentityFile, as the password of a credential (the user name is ignored).</summary>
    [Parameter(ParameterSetName = HostSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>A bastion, "[user@]host[:port]", to reach the -HostName machines through; its host key is trusted like theirs.</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? ProxyJump { get; set; }

    /// <summary>OpenSSH known_hosts files that vouch for -HostName machines (default: the user's, the system's, the module's).</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string[]? KnownHostsFile { get; set; }

    protected bool ByHostName => ParameterSetName == HostSet;

    /// <summary>The -HostName machines as servers of the External provider (they belong to no environment).</summary>
    protected IEnumerable<Server> HostNameServers()
    {
        if (!ByHostName)
        {
            yield break;
        }

        if (ProxyJump is not null)
        {
            _ = SshJumpHost.Parse(ProxyJump, User);
        }

        foreach (var host in HostName)
        {
            yield return new Server
            {
                Name = host, Environment = string.Empty, Provider = SshConnectionPool.ExternalProvider, Address = host, SshPort = Port, User = User,
                IdentityFile = IdentityFile is null ? null : GetUnresolvedProviderPathFromPSPath(IdentityFile), State = "Running", ProxyJump = ProxyJump,
            };
        }
    }

    /// <summary>How the SSH pool logs in to -HostName machines; resolved on the pipeline thread (paths need session state).</summary>
    protected SshLoginSettings LoginSettings() =>
        new(KnownHostsFile?.Select(GetUnresolvedProviderPathFromPSPath).ToList(), Credential?.GetNetworkCredential().Password);
}

/// <summary>Known-hosts files and key passphrase for a <see cref="SshConnectionPool"/>; the passphrase never appears in ToString.</summary>
public sealed record SshLoginSettings(IReadOnlyList<string>? KnownHostsFiles, string? KeyPassphrase)
{
    public SshConnectionPool NewPool(ModuleData data) => NewPool(data, TimeSpan.Zero);

    /// <param name="persist">How long connections to module-created servers stay open for the next cmdlet (<see cref="SshConnectionPool.Persist"/>).</param>
    public SshConnectionPool NewPool(ModuleData data, TimeSpan persist) => new(data) { ExternalKnownHostsFiles = KnownHostsFiles, KeyPassphrase = KeyPassphrase, Persist = persist };

    public override string ToString() => $"SshLoginSettings {{ KnownHostsFiles = {KnownHostsFiles?.Count ?? 0}, KeyPassphrase = {(KeyPassphrase is null ? "none" : "(set)")} }}";
}
