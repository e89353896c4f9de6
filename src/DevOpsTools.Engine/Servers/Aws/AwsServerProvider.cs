using System.Security.Cryptography;
using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;
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

    private readonly AwsSettings _settings;
    private readonly Lazy<IAmazonEC2> _ec2;
    private readonly SemaphoreSlim _imageLock = new(1, 1);
    private readonly Dictionary<string, Image> _images = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Used by the provider registry: settings come from parameters or the environment file.</summary>
    public AwsServerProvider(ProviderOptions options)
        : this(options.Settings as AwsSettings ?? new AwsSettings())
    {
    }

    public AwsServerProvider(AwsSettings settings, Func<AwsSettings, IAmazonEC2>? clientFactory = null)
    {
        _settings = settings;
        _ec2 = new Lazy<IAmazonEC2>(() => (clientFactory ?? AwsClientFactory.Create)(settings), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name => ProviderName;

    /// <summary>How often instance state is polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Until running and status checks pass (Terraform's create default).</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Until terminated (Terraform's delete default).</summary>
    public TimeSpan DeleteTimeout { get; init; } = TimeSpan.FromMinutes(20);

    private IAmazonEC2 Ec2 => _ec2.Value;

    public static string EnvironmentResourceName(string environment) => $"devopstools-{environment}";

    public Task EnsureAvailableAsync(IOutputSink output, CancellationToken cancellationToken)
    {
        _ = Ec2; // resolves region and credentials, or fails naming the chain it looked at
        return Task.CompletedTask;
    }

    public async Task PrepareEnvironmentAsync(EnvironmentContext environment, IOutputSink output, CancellationToken cancellationToken)
    {
        var retry = new AwsRetry(output);
        await EnsureKeyPairAsync(environment, retry, output, cancellationToken).ConfigureAwait(false);
        await EnsureSecurityGroupAsync(environment, [], retry, output, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Server> CreateAsync(ServerCreateRequest request, EnvironmentContext environment, IOutputSink output, CancellationToken cancellationToken)
    {
        var retry = new AwsRetry(output);
        var instanceType = AwsSizes.ToInstanceType(request.Size);
        var image = await ResolveImageAsync(request.Image ?? _settings.Image ?? "debian-12", retry, cancellationToken).ConfigureAwait(false);
        var groupId = await EnsureSecurityGroupAsync(environment, request.Ports, retry, output, cancellationToken).ConfigureAwait(false);

        var tags = Labels(request.Environment, request.Name, request.Role, request.Size, request.Tags);
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
            BlockDeviceMappings =
            [
                new BlockDeviceMapping
                {
                    DeviceName = image.RootDeviceName ?? "/dev/xvda",
                    Ebs = new EbsBlockDevice { Encrypted = true, VolumeType = VolumeType.Gp3, DeleteOnTermination = true },
                },
            ],
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

        if (request.UserData is not null)
        {
            run.UserData = Convert.ToBase64String(Encoding.UTF8.GetBytes(request.UserData));
        }

        var response = await retry.RunAsync("RunInstances", ct => Ec2.RunInstancesAsync(run, ct), cancellationToken).ConfigureAwait(false);
        var instanceId = response.Reservation.Instances[0].InstanceId;
        output.WriteVerbose($"{request.Environment}/{request.Name}: launched {instanceId} ({instanceType}, {image.ImageId}).");

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
            output.WriteVerbose($"{request.Environment}/{request.Name}: creation failed ({ex.Message}); terminating {instanceId}.");
            try
            {
                using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await Ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instanceId] }, cleanup.Token).ConfigureAwait(false);
                output.WriteWarning($"{request.Environment}/{request.Name}: creation did not finish; instance {instanceId} was terminated.");
            }
            catch (Exception cleanupError)
            {
                throw new DevOpsToolsException(ErrorIds.LeftoverResources, ErrorKind.ResourceUnavailable,
                    $"Creating {request.Environment}/{request.Name} failed ({ex.Message}) and instance {instanceId} could not be terminated ({cleanupError.Message}); terminate it by hand.",
                    instanceId, ex);
            }

            throw;
        }
    }

    public async Task<IReadOnlyList<Server>> ListAsync(string? environment, CancellationToken cancellationToken)
    {
        var filters = new List<Filter>
        {
            new($"tag:{ResourceLabels.Managed}", ["true"]),
            new("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"]),
        };
        if (environment is not null)
        {
            filters.Add(new Filter($"tag:{ResourceLabels.Environment}", [environment]));
        }

        var retry = new AwsRetry(NullOutputSink.Instance);
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

    public async Task RemoveAsync(Server server, IOutputSink output, CancellationToken cancellationToken)
    {
        if (server.Id is null)
        {
            return;
        }

        var retry = new AwsRetry(output);
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

    public async Task RemoveEnvironmentResourcesAsync(EnvironmentContext environment, IOutputSink output, CancellationToken cancellationToken)
    {
        var retry = new AwsRetry(output);
        var name = EnvironmentResourceName(environment.Name);
        var group = await FindSecurityGroupAsync(name, retry, cancellationToken).ConfigureAwait(false);
        if (group is not null)
        {
            // A terminated instance's network interface lingers briefly: DependencyViolation until it goes.
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(3);
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
            }
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

    private async Task EnsureKeyPairAsync(EnvironmentContext environment, AwsRetry retry, IOutputSink output, CancellationToken cancellationToken)
    {
        var name = EnvironmentResourceName(environment.Name);
        var ours = Sha256Base64(environment.PublicKey.Trim());
        try
        {
            var existing = await retry.RunAsync("DescribeKeyPairs", ct => Ec2.DescribeKeyPairsAsync(new DescribeKeyPairsRequest { KeyNames = [name] }, ct), cancellationToken).ConfigureAwait(false);
            var pair = existing.KeyPairs?.FirstOrDefault();
            var marker = pair?.Tags?.FirstOrDefault(t => t.Key == PublicKeyTag)?.Value;
            if (pair is not null && marker != ours)
            {
                throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceExists,
                    $"EC2 key pair '{name}' exists but does not hold this environment's DevOpsTools key; rename or delete it, or use another environment name.", name);
            }

            return;
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
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidKeyPair.Duplicate")
        {
            // Another server of the same environment, created in parallel, imported it first.
        }
    }

    private async Task<SecurityGroup?> FindSecurityGroupAsync(string name, AwsRetry retry, CancellationToken cancellationToken)
    {
        var filters = new List<Filter> { new("group-name", [name]) };
        if (_settings.VpcId is not null)
        {
            filters.Add(new Filter("vpc-id", [_settings.VpcId]));
        }

        var groups = await retry.RunAsync("DescribeSecurityGroups", ct => Ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = filters }, ct), cancellationToken).ConfigureAwait(false);
        return groups.SecurityGroups?.FirstOrDefault();
    }

    private readonly SemaphoreSlim _groupLock = new(1, 1);

    private async Task<string> EnsureSecurityGroupAsync(EnvironmentContext environment, IReadOnlyList<int> ports, AwsRetry retry, IOutputSink output, CancellationToken cancellationToken)
    {
        var cidrs = _settings.AllowSshFrom;
        if (cidrs.Count == 0)
        {
            throw new DevOpsToolsException(ErrorIds.SshIngressRequired, ErrorKind.InvalidArgument,
                $"Environment '{environment.Name}' on AWS needs the CIDR blocks allowed to reach SSH: pass -AllowSshFrom 203.0.113.0/24 or set provider.aws.allowSshFrom in the environment file. " +
                "DevOpsTools never opens SSH to 0.0.0.0/0 unless you write exactly that.", environment.Name);
        }

        foreach (var cidr in cidrs)
        {
            if (!System.Net.IPNetwork.TryParse(cidr, out _))
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"-AllowSshFrom: '{cidr}' is not a CIDR block such as 203.0.113.0/24.", cidr);
            }
        }

        if (cidrs.Contains(OpenToWorld))
        {
            output.WriteWarning($"Environment '{environment.Name}': SSH is open to the whole internet (0.0.0.0/0), as asked.");
        }

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
                    VpcId = _settings.VpcId,
                    TagSpecifications =
                    [
                        new TagSpecification
                        {
                            ResourceType = ResourceType.SecurityGroup,
                            Tags = [new Ec2Tag(ResourceLabels.Managed, "true"), new Ec2Tag(ResourceLabels.Environment, environment.Name), new Ec2Tag("Name", name)],
                        },
                    ],
                };
                groupId = (await retry.RunAsync("CreateSecurityGroup", ct => Ec2.CreateSecurityGroupAsync(create, ct), cancellationToken).ConfigureAwait(false)).GroupId;
                output.WriteVerbose($"Created security group {name} ({groupId}).");
            }
            else
            {
                groupId = group.GroupId;
            }

            // SSH and the declared application ports, from the declared ranges only.
            var wanted = new[] { 22 }.Concat(ports).Distinct().ToList();
            var existing = group?.IpPermissions ?? [];
            var missing = new List<IpPermission>();
            foreach (var port in wanted)
            {
                var have = existing.Where(p => p.IpProtocol == "tcp" && p.FromPort == port && p.ToPort == port)
                    .SelectMany(p => p.Ipv4Ranges ?? []).Select(r => r.CidrIp).ToHashSet(StringComparer.Ordinal);
                var ranges = cidrs.Where(c => !have.Contains(c)).Select(c => new IpRange { CidrIp = c, Description = port == 22 ? "SSH (DevOpsTools)" : "App (DevOpsTools)" }).ToList();
                if (ranges.Count > 0)
                {
                    missing.Add(new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = ranges });
                }
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

                    if (wanted == "running" && state is "terminated" or "shutting-down")
                    {
                        var reason = instance?.StateReason?.Message ?? instance?.StateTransitionReason ?? "no reason given";
                        throw new DevOpsToolsException(ErrorIds.ServerCreateFailed, ErrorKind.ResourceUnavailable, $"Instance {instanceId} went to {state} while starting: {reason}.", instanceId);
                    }
                }
                catch (AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidInstanceID.NotFound" && wanted == "running")
                {
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
    /// not through the network. Null when the console has none in time (ServerManager then pins
    /// the key presented on first contact, with a warning).
    /// </summary>
    public async Task<string?> GetHostKeyAsync(Server server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (server.Id is null)
        {
            return null;
        }

        var retry = new AwsRetry(NullOutputSink.Instance);
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var console = await retry.RunAsync("GetConsoleOutput", ct => Ec2.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = server.Id, Latest = true }, ct), cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(console.Output))
            {
                var key = ConsoleHostKeys.Ed25519Key(Encoding.UTF8.GetString(Convert.FromBase64String(console.Output)));
                if (key is not null)
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

    private static Server ToServer(Instance instance)
    {
        var tags = (instance.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
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
            Role = role,
            Size = size ?? instance.InstanceType?.Value,
            Image = instance.ImageId,
            Tags = tags,
            CreatedAt = instance.LaunchTime is { } launched ? new DateTimeOffset(DateTime.SpecifyKind(launched, DateTimeKind.Utc)) : null,
        };
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

    private static List<Ec2Tag> Labels(string environment, string name, string? role, string size, IReadOnlyDictionary<string, string> extra)
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
        if (role is not null)
        {
            tags[ResourceLabels.Role] = role;
        }

        return tags.Select(t => new Ec2Tag(t.Key, t.Value)).ToList();
    }

    private static string Sha256Base64(string text) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
