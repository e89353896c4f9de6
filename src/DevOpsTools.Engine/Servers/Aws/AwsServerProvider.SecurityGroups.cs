using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>The environment's security group: SSH and declared ports from the declared ranges only.</summary>
public sealed partial class AwsServerProvider
{
    private string? _vpcId;
    private int _warnedOpen;

    /// <summary>The VPC of the environment's group: provider.aws.vpcId, else the subnet's, else the default VPC (null).</summary>
    private async Task<string?> VpcIdAsync(AwsRetry retry, CancellationToken cancellationToken)
    {
        if (_settings.VpcId is not null || _settings.SubnetId is null)
        {
            return _settings.VpcId;
        }

        if (_vpcId is null)
        {
            var subnets = await retry.RunAsync("DescribeSubnets", ct => Ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { SubnetIds = [_settings.SubnetId] }, ct), cancellationToken).ConfigureAwait(false);
            _vpcId = subnets.Subnets?.FirstOrDefault()?.VpcId
                ?? throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.ObjectNotFound, $"Subnet '{_settings.SubnetId}' was not found.", _settings.SubnetId);
        }

        return _vpcId;
    }

    private async Task<SecurityGroup?> FindSecurityGroupAsync(string name, AwsRetry retry, CancellationToken cancellationToken)
    {
        var filters = new List<Filter> { new("group-name", [name]) };
        var vpcId = await VpcIdAsync(retry, cancellationToken).ConfigureAwait(false);
        if (vpcId is not null)
        {
            filters.Add(new Filter("vpc-id", [vpcId]));
        }

        var groups = await retry.RunAsync("DescribeSecurityGroups", ct => Ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = filters }, ct), cancellationToken).ConfigureAwait(false);
        return groups.SecurityGroups?.FirstOrDefault();
    }

    /// <summary>
    /// The declared SSH sources, checked: CIDR blocks (IPv4 or IPv6), at least one. 0.0.0.0/0 and
    /// ::/0 only when written exactly so, with a warning.
    /// </summary>
    internal static IReadOnlyList<string> CheckSshSources(IReadOnlyList<string> cidrs, string environment, IOutputSink output)
    {
        if (cidrs.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.SshIngressRequired, ErrorKind.InvalidArgument,
                $"Environment '{environment}' on AWS needs the CIDR blocks allowed to reach SSH: pass -AllowSshFrom 203.0.113.0/24 or set provider.aws.allowSshFrom in the environment file. " +
                "DevOpsTools never opens SSH to 0.0.0.0/0 unless you write exactly that.", environment)
            { RecommendedAction = "Add -AllowSshFrom <your public IP>/32." };
        }

        var checkedCidrs = new List<string>();
        foreach (var raw in cidrs)
        {
            var cidr = raw?.Trim() ?? string.Empty;
            var slash = cidr.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !System.Net.IPNetwork.TryParse(cidr, out var network)
                || !System.Net.IPAddress.TryParse(cidr[..slash], out var address) || !address.Equals(network.BaseAddress))
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"-AllowSshFrom: '{raw}' is not a CIDR block such as 203.0.113.0/24 or 203.0.113.7/32 (host bits must be zero).", raw);
            }

            var text = network.ToString();
            if (!checkedCidrs.Contains(text, StringComparer.Ordinal))
            {
                checkedCidrs.Add(text);
            }
        }

        foreach (var open in checkedCidrs.Where(c => c is OpenToWorld or OpenToWorldV6))
        {
            output.WriteWarning($"Environment '{environment}': SSH (and the servers' application ports) are open to the whole internet ({open}), as asked.");
        }

        return checkedCidrs;
    }

    private async Task<string> EnsureSecurityGroupAsync(EnvironmentContext environment, IReadOnlyList<int> ports, AwsRetry retry, IOutputSink output, CancellationToken cancellationToken)
    {
        var cidrs = CheckSshSources(_settings.AllowSshFrom, environment.Name, Interlocked.Exchange(ref _warnedOpen, 1) == 0 ? output : NullOutputSink.Instance);
        var name = EnvironmentResourceName(environment.Name);
        await _groupLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var group = await FindSecurityGroupAsync(name, retry, cancellationToken).ConfigureAwait(false);
            string groupId;
            if (group is null)
            {
                var create = new CreateSecurityGroupRequest
                {
                    GroupName = name,
                    Description = $"DevOpsTools environment {environment.Name}: SSH from declared ranges only",
                    VpcId = await VpcIdAsync(retry, cancellationToken).ConfigureAwait(false),
                    TagSpecifications =
                    [
                        new TagSpecification
                        {
                            ResourceType = ResourceType.SecurityGroup,
                            Tags = [new Ec2Tag(ResourceLabels.Managed, "true"), new Ec2Tag(ResourceLabels.Environment, environment.Name), new Ec2Tag("Name", name)],
                        },
                    ],
                };
                try
                {
                    groupId = (await retry.RunAsync("CreateSecurityGroup", ct => Ec2.CreateSecurityGroupAsync(create, ct), cancellationToken).ConfigureAwait(false)).GroupId;
                    output.WriteVerbose($"Created security group {name} ({groupId}).");
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidGroup.Duplicate")
                {
                    // Created by another process meanwhile.
                    group = await FindSecurityGroupAsync(name, retry, cancellationToken).ConfigureAwait(false);
                    if (group is null)
                    {
                        throw;
                    }

                    groupId = group.GroupId;
                }
            }
            else if (!IsOurs(group.Tags, environment.Name))
            {
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceExists,
                    $"Security group '{name}' ({group.GroupId}) already exists and was not created by DevOpsTools for environment '{environment.Name}'; nothing was created. Delete or rename it, or use another environment name.", group.GroupId);
            }
            else
            {
                groupId = group.GroupId;
            }

            // SSH and the declared application ports, from the declared ranges only; a range no
            // longer declared is revoked, so the group always says exactly what was asked.
            var wanted = new[] { 22 }.Concat(ports).Distinct().ToList();
            var existing = group?.IpPermissions ?? [];
            var missing = new List<IpPermission>();
            foreach (var port in wanted)
            {
                var have = existing.Where(p => p.IpProtocol == "tcp" && p.FromPort == port && p.ToPort == port)
                    .SelectMany(p => (p.Ipv4Ranges ?? []).Select(r => r.CidrIp).Concat((p.Ipv6Ranges ?? []).Select(r => r.CidrIpv6)))
                    .ToHashSet(StringComparer.Ordinal);
                var description = port == 22 ? "SSH (DevOpsTools)" : "App (DevOpsTools)";
                var add = cidrs.Where(c => !have.Contains(c)).ToList();
                if (add.Count > 0)
                {
                    missing.Add(new IpPermission
                    {
                        IpProtocol = "tcp",
                        FromPort = port,
                        ToPort = port,
                        Ipv4Ranges = add.Where(c => !c.Contains(':', StringComparison.Ordinal)).Select(c => new IpRange { CidrIp = c, Description = description }).ToList(),
                        Ipv6Ranges = add.Where(c => c.Contains(':', StringComparison.Ordinal)).Select(c => new Ipv6Range { CidrIpv6 = c, Description = description }).ToList(),
                    });
                }
            }

            var stale = new List<IpPermission>();
            foreach (var permission in existing.Where(p => p.IpProtocol == "tcp"))
            {
                var v4 = (permission.Ipv4Ranges ?? []).Where(r => !cidrs.Contains(r.CidrIp, StringComparer.Ordinal)).ToList();
                var v6 = (permission.Ipv6Ranges ?? []).Where(r => !cidrs.Contains(r.CidrIpv6, StringComparer.Ordinal)).ToList();
                if (v4.Count + v6.Count > 0)
                {
                    stale.Add(new IpPermission { IpProtocol = "tcp", FromPort = permission.FromPort, ToPort = permission.ToPort, Ipv4Ranges = v4, Ipv6Ranges = v6 });
                }
            }

            if (stale.Count > 0)
            {
                output.WriteWarning($"Security group {name}: revoking access no longer declared in -AllowSshFrom ({string.Join(", ", stale.SelectMany(p => (p.Ipv4Ranges ?? []).Select(r => $"{r.CidrIp} port {p.FromPort}").Concat((p.Ipv6Ranges ?? []).Select(r => $"{r.CidrIpv6} port {p.FromPort}"))))}).");
                await retry.RunAsync("RevokeSecurityGroupIngress", ct => Ec2.RevokeSecurityGroupIngressAsync(
                    new RevokeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = stale }, ct), cancellationToken).ConfigureAwait(false);
            }

            if (missing.Count > 0)
            {
                try
                {
                    await retry.RunAsync("AuthorizeSecurityGroupIngress", ct => Ec2.AuthorizeSecurityGroupIngressAsync(
                        new AuthorizeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = missing }, ct), cancellationToken).ConfigureAwait(false);
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidPermission.Duplicate")
                {
                }
            }

            return groupId;
        }
        finally
        {
            _groupLock.Release();
        }
    }
}
