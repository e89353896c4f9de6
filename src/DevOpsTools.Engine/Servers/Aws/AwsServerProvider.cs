using System.Security.Cryptography;
using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>
/// Servers on AWS EC2. Per environment: an imported ed25519 key pair and a security group
/// that admits SSH only from the declared CIDR blocks. Instances require IMDSv2, get an
/// encrypted root volume and carry the module's tags on the instance and its volumes.
/// </summary>
public sealed class AwsServerProvider : IServerProvider, IDisposable
{
    public const string ProviderName = "Aws";
    private const string PublicKeyTag = "devopstools.public-key-sha256";
    private const string OpenToWorld = "0.0.0.0/0";
    private const string OpenToWorldV6 = "::/0";

    /// <summary>EC2 takes at most 16 KiB of user data (before base64).</summary>
    public const int MaxUserDataBytes = 16 * 1024;

    private readonly AwsSettings _settings;
    private readonly SshKeyStore? _keys;
    private readonly SemaphoreSlim _groupLock = new(1, 1);
    private readonly Lazy<IAmazonEC2> _ec2;
    private readonly SemaphoreSlim _imageLock = new(1, 1);
    private readonly Dictionary<string, Image> _images = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Used by the provider registry: settings come from parameters or the environment file.</summary>
    public AwsServerProvider(ProviderOptions options)
        : this(options.Settings as AwsSettings ?? new AwsSettings(), null, options.Data)
    {
    }

    public AwsServerProvider(AwsSettings settings, Func<AwsSettings, IAmazonEC2>? clientFactory = null, ModuleData? data = null)
    {
        _settings = settings;
        _keys = data is null ? null : new SshKeyStore(data);
        _ec2 = new Lazy<IAmazonEC2>(() => (clientFactory ?? AwsClientFactory.Create)(settings), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name => ProviderName;

    /// <summary>How often instance state is polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Until running and status checks pass (Terraform's create default).</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Until terminated (Terraform's delete default).</summary>
    public TimeSpan DeleteTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>How throttled calls are retried (tests shorten it).</summary>
    public AwsRetryPolicy RetryPolicy { get; init; } = AwsRetryPolicy.Default;

    private IAmazonEC2 Ec2 => _ec2.Value;

    private AwsRetry NewRetry(IOutputSink output) => new(output, RetryPolicy);

    public static string EnvironmentResourceName(string environment) => $"devopstools-{environment}";

    public Task EnsureAvailableAsync(EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        _ = Ec2; // resolves region and credentials, or fails naming the chain it looked at
        return Task.CompletedTask;
    }

    public async Task PrepareEnvironmentAsync(EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var retry = NewRetry(output);
        // Bad input fails before anything is created.
        CheckSshSources(_settings.AllowSshFrom, environment.Name, NullOutputSink.Instance);
        var imported = await EnsureKeyPairAsync(environment, retry, output, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSecurityGroupAsync(environment, [], retry, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (imported)
        {
            // Nothing of this environment is left half-made: the key pair this call imported goes.
            try
            {
                using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                var name = EnvironmentResourceName(environment.Name);
                await NewRetry(output).RunAsync("DeleteKeyPair", ct => Ec2.DeleteKeyPairAsync(new DeleteKeyPairRequest { KeyName = name }, ct), cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception cleanupError) when (cleanupError is AmazonServiceException or OperationCanceledException or HttpRequestException)
            {
                output.WriteWarning($"Key pair {EnvironmentResourceName(environment.Name)} could not be removed after the environment's security group failed: {cleanupError.Message}");
            }

            throw;
        }
    }

    public async Task<Server> CreateAsync(ServerCreateRequest request, EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var retry = NewRetry(output);
        var label = $"{request.Environment}/{request.Name}";
        var instanceType = AwsSizes.ToInstanceType(request.Size);
        byte[]? userData = null;
        if (request.UserData is not null)
        {
            userData = Encoding.UTF8.GetBytes(request.UserData);
            if (userData.Length > MaxUserDataBytes)
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"User data for {label} is {userData.Length} bytes; EC2 takes at most {MaxUserDataBytes} bytes (before base64). Put large files on the server another way (e.g. Invoke-ServerCommand).", label);
            }
        }

        var image = await ResolveImageAsync(request.Image ?? _settings.Image ?? "debian-12", retry, cancellationToken).ConfigureAwait(false);
        var groupId = await EnsureSecurityGroupAsync(environment, request.Ports, retry, output, cancellationToken).ConfigureAwait(false);

        var tags = Labels(request.Environment, request.Name, request.Role, request.Size, request.Ports, request.Tags);
        var run = new RunInstancesRequest
        {
            ImageId = image.ImageId,
            InstanceType = InstanceType.FindValue(instanceType),
            MinCount = 1,
            MaxCount = 1,
            KeyName = EnvironmentResourceName(request.Environment),
            // Makes a retried RunInstances (throttling, lost response) launch at most one instance.
            ClientToken = Guid.NewGuid().ToString("N"),
            MetadataOptions = new InstanceMetadataOptionsRequest
            {
                HttpTokens = HttpTokensState.Required,
                HttpEndpoint = InstanceMetadataEndpointState.Enabled,
                HttpPutResponseHopLimit = 1,
            },
            BlockDeviceMappings = [RootDevice(image, _settings.RootVolumeSize, label)],
            TagSpecifications =
            [
                new TagSpecification { ResourceType = ResourceType.Instance, Tags = tags },
                new TagSpecification { ResourceType = ResourceType.Volume, Tags = tags },
            ],
        };

        if (_settings.SubnetId is not null || _settings.AssociatePublicIp is not null)
        {
            run.NetworkInterfaces =
            [
                new InstanceNetworkInterfaceSpecification
                {
                    DeviceIndex = 0,
                    SubnetId = _settings.SubnetId,
                    Groups = [groupId],
                    AssociatePublicIpAddress = _settings.AssociatePublicIp ?? true,
                },
            ];
        }
        else
        {
            run.SecurityGroupIds = [groupId];
        }

        if (userData is not null)
        {
            run.UserData = Convert.ToBase64String(userData);
        }

        Instance launched;
        try
        {
            var response = await retry.RunAsync("RunInstances", ct => Ec2.RunInstancesAsync(run, ct), cancellationToken).ConfigureAwait(false);
            launched = response.Reservation.Instances[0];
        }
        catch (Exception ex) when (ex is not AmazonServiceException { StatusCode: < System.Net.HttpStatusCode.InternalServerError })
        {
            // No answer (cancelled, timed out, connection lost, server error): EC2 may have launched
            // the instance anyway. The client token finds it.
            await TerminateLaunchedByTokenAsync(run.ClientToken, label, ex, output).ConfigureAwait(false);
            throw;
        }

        var instanceId = launched.InstanceId;
        output.WriteVerbose($"{label}: launched {instanceId} ({instanceType}, {image.ImageId}).");
        if (request.NoWait)
        {
            // Accepted: what RunInstances answered (pending; addresses as far as EC2 knows them).
            if (launched.Tags is not { Count: > 0 })
            {
                launched.Tags = tags;
            }

            return ToServer(launched);
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(CreateTimeout);
            var instance = await WaitForStateAsync(instanceId, "running", retry, deadline.Token, cancellationToken, "waiting for the instance to run").ConfigureAwait(false);
            await WaitForStatusChecksAsync(instanceId, retry, deadline.Token, cancellationToken).ConfigureAwait(false);
            return ToServer(instance);
        }
        catch (Exception ex)
        {
            // Half-way: remove what was created, or say exactly what is left.
            output.WriteVerbose($"{label}: creation failed ({ex.Message}); terminating {instanceId}.");
            await TerminateAfterFailureAsync(instanceId, label, ex, output).ConfigureAwait(false);
            throw;
        }
    }

    private async Task TerminateAfterFailureAsync(string instanceId, string label, Exception failure, IOutputSink output)
    {
        try
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await NewRetry(output).RunAsync("TerminateInstances", ct => Ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instanceId] }, ct), cleanup.Token).ConfigureAwait(false);
            output.WriteWarning($"{label}: creation did not finish; instance {instanceId} was terminated.");
        }
        catch (AmazonEC2Exception gone) when (gone.ErrorCode == "InvalidInstanceID.NotFound")
        {
        }
        catch (Exception cleanupError)
        {
            throw new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.ResourceUnavailable,
                $"Creating {label} failed ({failure.Message}) and instance {instanceId} could not be terminated ({cleanupError.Message}); terminate it by hand (aws ec2 terminate-instances --instance-ids {instanceId}).",
                instanceId, failure);
        }
    }

    private async Task TerminateLaunchedByTokenAsync(string clientToken, string label, Exception failure, IOutputSink output)
    {
        try
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var found = await NewRetry(output).RunAsync("DescribeInstances", ct => Ec2.DescribeInstancesAsync(
                new DescribeInstancesRequest { Filters = [new Filter("client-token", [clientToken])] }, ct), cleanup.Token).ConfigureAwait(false);
            var ids = (found.Reservations ?? []).SelectMany(r => r.Instances ?? []).Where(i => i.State?.Name?.Value != "terminated").Select(i => i.InstanceId).ToList();
            foreach (var id in ids)
            {
                await TerminateAfterFailureAsync(id, label, failure, output).ConfigureAwait(false);
            }
        }
        catch (DevOpsToolsException)
        {
            throw;
        }
        catch (Exception lookupError)
        {
            throw new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.ResourceUnavailable,
                $"Launching {label} got no answer ({failure.Message}) and the check for an instance launched anyway failed ({lookupError.Message}): look for an instance tagged {ResourceLabels.Name}={label.Split('/')[1]} (client token {clientToken}) and terminate it.",
                label, failure);
        }
    }

    public async Task<IReadOnlyList<Server>> ListAsync(string? environment, EngineContext context)
    {
        var cancellationToken = context.CancellationToken;
        var filters = new List<Filter>
        {
            new($"tag:{ResourceLabels.Managed}", ["true"]),
            new("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"]),
        };
        if (environment is not null)
        {
            filters.Add(new Filter($"tag:{ResourceLabels.Environment}", [environment]));
        }

        var retry = NewRetry(NullOutputSink.Instance);
        var servers = new List<Server>();
        string? next = null;
        do
        {
            var request = new DescribeInstancesRequest { Filters = filters, NextToken = next };
            var page = await retry.RunAsync("DescribeInstances", ct => Ec2.DescribeInstancesAsync(request, ct), cancellationToken).ConfigureAwait(false);
            foreach (var reservation in page.Reservations ?? [])
            {
                foreach (var instance in reservation.Instances ?? [])
                {
                    servers.Add(ToServer(instance));
                }
            }

            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));

        return servers;
    }

    public async Task RemoveAsync(Server server, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        if (server.Id is null)
        {
            return;
        }

        var retry = NewRetry(output);
        try
        {
            await retry.RunAsync("TerminateInstances", ct => Ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [server.Id] }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidInstanceID.NotFound")
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(DeleteTimeout);
        await WaitForStateAsync(server.Id, "terminated", retry, deadline.Token, cancellationToken, "waiting for the instance to terminate").ConfigureAwait(false);
        server.State = "Terminated";
    }

    public async Task RemoveEnvironmentResourcesAsync(EnvironmentContext environment, EngineContext context)
    {
        var output = context.Output;
        var cancellationToken = context.CancellationToken;
        var retry = NewRetry(output);
        var name = EnvironmentResourceName(environment.Name);
        var group = await FindSecurityGroupAsync(name, retry, cancellationToken).ConfigureAwait(false);
        if (group is not null && !IsOurs(group.Tags, environment.Name))
        {
            output.WriteWarning($"Security group {name} ({group.GroupId}) was not created by DevOpsTools for environment '{environment.Name}'; left as it is.");
        }
        else if (group is not null)
        {
            // A terminated instance's network interface lingers briefly: DependencyViolation until it goes.
            var until = DateTime.UtcNow + EnvironmentRemovalTimeout;
            while (true)
            {
                try
                {
                    await retry.RunAsync("DeleteSecurityGroup", ct => Ec2.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = group.GroupId }, ct), cancellationToken).ConfigureAwait(false);
                    output.WriteVerbose($"Deleted security group {name} ({group.GroupId}).");
                    break;
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "DependencyViolation" && DateTime.UtcNow < until)
                {
                    await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidGroup.NotFound")
                {
                    break;
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "DependencyViolation")
                {
                    throw new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.InvalidOperation,
                        $"Security group {name} ({group.GroupId}) of environment '{environment.Name}' is still in use after {EnvironmentRemovalTimeout.TotalSeconds:0} s and was left behind; delete it once nothing uses it.",
                        group.GroupId, ex);
                }
            }
        }

        KeyPairInfo? pair = null;
        try
        {
            var pairs = await retry.RunAsync("DescribeKeyPairs", ct => Ec2.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = [name] }, ct), cancellationToken).ConfigureAwait(false);
            pair = pairs.KeyPairs?.FirstOrDefault();
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.NotFound")
        {
        }

        if (pair is null)
        {
            return;
        }

        if (!IsOurs(pair.Tags, environment.Name))
        {
            output.WriteWarning($"Key pair {name} was not created by DevOpsTools for environment '{environment.Name}'; left as it is.");
            return;
        }

        try
        {
            await retry.RunAsync("DeleteKeyPair", ct => Ec2.DeleteKeyPairAsync(new DeleteKeyPairRequest { KeyName = name }, ct), cancellationToken).ConfigureAwait(false);
            output.WriteVerbose($"Deleted key pair {name}.");
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.NotFound")
        {
        }
    }

    /// <summary>How long removing the environment's security group waits for terminated instances to let go of it.</summary>
    public TimeSpan EnvironmentRemovalTimeout { get; init; } = TimeSpan.FromMinutes(3);

    private static bool IsOurs(IEnumerable<Ec2Tag>? tags, string environment)
    {
        var map = (tags ?? []).GroupBy(t => t.Key).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        return map.GetValueOrDefault(ResourceLabels.Managed) == "true" && map.GetValueOrDefault(ResourceLabels.Environment) == environment;
    }

    public void Dispose()
    {
        if (_ec2.IsValueCreated)
        {
            _ec2.Value.Dispose();
        }

        _imageLock.Dispose();
    }

    private async Task<Image> ResolveImageAsync(string image, AwsRetry retry, CancellationToken cancellationToken)
    {
        await _imageLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_images.TryGetValue(image, out var resolved))
            {
                resolved = await retry.RunAsync("DescribeImages", ct => AwsImageResolver.ResolveAsync(Ec2, image, ct), cancellationToken).ConfigureAwait(false);
                _images[image] = resolved;
            }

            return resolved;
        }
        finally
        {
            _imageLock.Release();
        }
    }

    /// <summary>True when this call imported the key pair (false: it was there already).</summary>
    private async Task<bool> EnsureKeyPairAsync(EnvironmentContext environment, AwsRetry retry, IOutputSink output, CancellationToken cancellationToken)
    {
        var name = EnvironmentResourceName(environment.Name);
        var ours = Sha256Base64(environment.PublicKey.Trim());
        try
        {
            var existing = await retry.RunAsync("DescribeKeyPairs", ct => Ec2.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = [name] }, ct), cancellationToken).ConfigureAwait(false);
            var pair = existing.KeyPairs?.FirstOrDefault();
            if (pair is not null)
            {
                var marker = pair.Tags?.FirstOrDefault(t => t.Key == PublicKeyTag)?.Value;
                if (marker == ours)
                {
                    return false;
                }

                var why = marker is null
                    ? "was not imported by DevOpsTools (it has no devopstools tag)"
                    : "holds another DevOpsTools key for this environment (created from another machine or another DEVOPSTOOLS_HOME, or the local key was regenerated)";
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceExists,
                    $"EC2 key pair '{name}' already exists and {why}; nothing was created. Delete or rename that key pair, or use another environment name.", name);
            }
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.NotFound")
        {
        }

        var import = new ImportKeyPairRequest
        {
            KeyName = name,
            // The .NET SDK sends this string as is; the Query API wants the blob base64-encoded.
            PublicKeyMaterial = Convert.ToBase64String(Encoding.ASCII.GetBytes(environment.PublicKey.Trim())),
            TagSpecifications =
            [
                new TagSpecification
                {
                    ResourceType = ResourceType.KeyPair,
                    Tags = [new Ec2Tag(ResourceLabels.Managed, "true"), new Ec2Tag(ResourceLabels.Environment, environment.Name), new Ec2Tag(PublicKeyTag, ours)],
                },
            ],
        };
        try
        {
            await retry.RunAsync("ImportKeyPair", ct => Ec2.ImportKeyPairAsync(import, ct), cancellationToken).ConfigureAwait(false);
            output.WriteVerbose($"Imported key pair {name}.");
            return true;
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.Duplicate")
        {
            // Another process, creating servers of the same environment, imported it first.
            return false;
        }
    }

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

    private async Task<Instance> WaitForStateAsync(string instanceId, string wanted, AwsRetry retry, CancellationToken deadline, CancellationToken userToken, string stage)
    {
        try
        {
            while (true)
            {
                try
                {
                    var response = await retry.RunAsync("DescribeInstances", ct => Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] }, ct), deadline).ConfigureAwait(false);
                    var instance = response.Reservations?.SelectMany(r => r.Instances ?? []).FirstOrDefault();
                    var state = instance?.State?.Name?.Value;
                    if (instance is not null && state == wanted)
                    {
                        return instance;
                    }

                    if (wanted == "terminated" && instance is null)
                    {
                        // Terminated instances eventually vanish from Describe results.
                        return new Instance { InstanceId = instanceId, State = new InstanceState { Name = InstanceStateName.Terminated } };
                    }

                    if (wanted == "running" && state is "terminated" or "shutting-down")
                    {
                        var reason = instance?.StateReason?.Message ?? instance?.StateTransitionReason ?? "no reason given";
                        throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceUnavailable, $"Instance {instanceId} went to {state} while starting: {reason}.", instanceId);
                    }
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidInstanceID.NotFound")
                {
                    if (wanted == "terminated")
                    {
                        return new Instance { InstanceId = instanceId, State = new InstanceState { Name = InstanceStateName.Terminated } };
                    }

                    // Eventual consistency: a just-launched id may not be visible yet.
                }

                await Task.Delay(PollInterval, deadline).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
        {
            throw new DevOpsToolsException(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout, $"Instance {instanceId}: timed out {stage}.", instanceId);
        }
    }

    private async Task WaitForStatusChecksAsync(string instanceId, AwsRetry retry, CancellationToken deadline, CancellationToken userToken)
    {
        try
        {
            while (true)
            {
                var response = await retry.RunAsync("DescribeInstanceStatus", ct => Ec2.DescribeInstanceStatusAsync(
                    new DescribeInstanceStatusRequest { InstanceIds = [instanceId], IncludeAllInstances = true }, ct), deadline).ConfigureAwait(false);
                var status = response.InstanceStatuses?.FirstOrDefault();
                var instanceOk = status?.Status?.Status?.Value;
                var systemOk = status?.SystemStatus?.Status?.Value;
                // Endpoints that do not report checks ("not-applicable" or nothing) do not hold us up.
                if (status is null || (IsPassing(instanceOk) && IsPassing(systemOk)))
                {
                    return;
                }

                if (instanceOk == "impaired" || systemOk == "impaired")
                {
                    throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceUnavailable, $"Instance {instanceId} failed its status checks (instance {instanceOk}, system {systemOk}).", instanceId);
                }

                await Task.Delay(PollInterval, deadline).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
        {
            throw new DevOpsToolsException(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout, $"Instance {instanceId}: timed out waiting for the status checks.", instanceId);
        }

        static bool IsPassing(string? value) => value is null or "ok" or "not-applicable";
    }

    public bool SupportsSize(string size) => AwsSizes.IsInstanceType(size);

    /// <summary>
    /// cloud-init prints the host's public keys between "-----BEGIN SSH HOST KEY KEYS-----" and
    /// "-----END SSH HOST KEY KEYS-----" on the console: trust on first use through the provider,
    /// not through the network. Null when the console has none in time (ServerManager then fails
    /// with HostKeyUnattested unless -TrustFirstHostKey is given).
    /// </summary>
    public async Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, EngineContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (server.Id is null)
        {
            return null;
        }

        var retry = NewRetry(NullOutputSink.Instance);
        var until = DateTime.UtcNow + timeout;
        // Latest=true gives the live console on Nitro instances; older types refuse it (UnsupportedOperation).
        var latest = true;
        while (true)
        {
            GetConsoleOutputResponse? console = null;
            try
            {
                console = await retry.RunAsync("GetConsoleOutput", ct => Ec2.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = server.Id, Latest = latest ? true : null }, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonEC2Exception ex) when (latest && ex.ErrorCode is "UnsupportedOperation" or "InvalidParameterValue" or "InvalidParameterCombination")
            {
                latest = false;
                continue;
            }

            if (!string.IsNullOrEmpty(console.Output))
            {
                string? text = null;
                try
                {
                    text = Encoding.UTF8.GetString(Convert.FromBase64String(console.Output));
                }
                catch (FormatException)
                {
                }

                if (text is not null && ConsoleHostKeys.Ed25519Key(text) is { } key)
                {
                    return key;
                }
            }

            if (DateTime.UtcNow >= until)
            {
                return null;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public string MissingHostKeyReason(Server server, TimeSpan timeout) =>
        $"the EC2 console output of {server.Id} showed no SSH host keys within {timeout.TotalSeconds:0} s (cloud-init prints them between -----BEGIN SSH HOST KEY KEYS----- and -----END SSH HOST KEY KEYS-----; the image may not run cloud-init, or EC2 has not published the console yet)";

    private Server ToServer(Instance instance)
    {
        var tags = (instance.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        tags.TryGetValue(ResourceLabels.Name, out var name);
        tags.TryGetValue(ResourceLabels.Environment, out var environment);
        tags.TryGetValue(ResourceLabels.Role, out var role);
        tags.TryGetValue(ResourceLabels.Size, out var size);
        return new Server
        {
            Name = name ?? instance.InstanceId,
            Environment = environment ?? string.Empty,
            Provider = ProviderName,
            Id = instance.InstanceId,
            State = MapState(instance.State?.Name?.Value),
            Address = instance.PublicIpAddress ?? instance.PrivateIpAddress,
            SshPort = 22,
            User = "admin",
            IdentityFile = environment is null || _keys is null || !Validation.IsRfc1123Label(environment) ? null : _keys.PrivateKeyPath(environment),
            Role = role,
            Size = size ?? instance.InstanceType?.Value,
            Image = instance.ImageId,
            Tags = tags,
            Ports = ResourceLabels.ParsePorts(tags.GetValueOrDefault(ResourceLabels.Ports)),
            CreatedAt = instance.LaunchTime is { } launched ? new DateTimeOffset(DateTime.SpecifyKind(launched, DateTimeKind.Utc)) : null,
            AwsSettings = ConnectionSettings,
        };
    }

    /// <summary>Where this provider reaches EC2, with the region it resolved to.</summary>
    private AwsSettings ConnectionSettings
    {
        get
        {
            var connection = _settings.ConnectionOnly();
            connection.Region ??= _settings.EndpointUrl is null ? AwsClientFactory.ResolveRegion(_settings) : null;
            return connection;
        }
    }

    private static string MapState(string? state) => state switch
    {
        "pending" => "Pending",
        "running" => "Running",
        "stopping" or "shutting-down" => "Stopping",
        "stopped" => "Stopped",
        "terminated" => "Terminated",
        _ => "Unknown",
    };

    private static List<Ec2Tag> Labels(string environment, string name, string? role, string size, IReadOnlyList<int> ports, IReadOnlyDictionary<string, string> extra)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in extra)
        {
            tags[k] = v;
        }

        tags["Name"] = $"{environment}-{name}";
        tags[ResourceLabels.Managed] = "true";
        tags[ResourceLabels.Environment] = environment;
        tags[ResourceLabels.Name] = name;
        tags[ResourceLabels.Size] = size;
        if (ports.Count > 0)
        {
            tags[ResourceLabels.Ports] = ResourceLabels.FormatPorts(ports);
        }

        if (role is not null)
        {
            tags[ResourceLabels.Role] = role;
        }

        return tags.Select(t => new Ec2Tag(t.Key, t.Value)).ToList();
    }

    /// <summary>
    /// The root volume, complete for any EC2-compatible endpoint: the image's root device name and
    /// size (from its own block device mapping, DescribeImages), or rootVolumeSize when set, never
    /// smaller than the image's; encrypted gp3, deleted with the instance.
    /// </summary>
    internal static BlockDeviceMapping RootDevice(Image image, int? rootVolumeSize, string label)
    {
        var deviceName = image.RootDeviceName;
        var imageRoot = (image.BlockDeviceMappings ?? []).FirstOrDefault(m => m.DeviceName == deviceName && m.Ebs is not null)
            ?? (image.BlockDeviceMappings ?? []).FirstOrDefault(m => m.Ebs is not null);
        deviceName ??= imageRoot?.DeviceName;
        if (deviceName is null)
        {
            throw new DevOpsToolsException(ErrorIds.UnknownImage, ErrorKind.InvalidData,
                $"AMI {image.ImageId} names no root device (rootDeviceName and its block device mapping are empty); use an EBS-backed image.", image.ImageId);
        }

        var imageSize = imageRoot?.Ebs?.VolumeSize;
        if (rootVolumeSize is { } wanted && imageSize is { } minimum && wanted < minimum)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"rootVolumeSize {wanted} GiB for {label} is smaller than the root volume of AMI {image.ImageId} ({minimum} GiB).", wanted);
        }

        var size = rootVolumeSize ?? imageSize
            ?? throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"AMI {image.ImageId} does not say how large its root volume is; set provider.aws.rootVolumeSize (GiB) for {label}.", image.ImageId);
        return new BlockDeviceMapping
        {
            DeviceName = deviceName,
            Ebs = new EbsBlockDevice { VolumeSize = size, Encrypted = true, VolumeType = VolumeType.Gp3, DeleteOnTermination = true },
        };
    }

    private static string Sha256Base64(string text) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
