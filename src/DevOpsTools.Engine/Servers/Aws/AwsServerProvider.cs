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
/// <remarks>
/// Split by seam: this file holds construction, environment set-up and removal, listing and the
/// Server mapping; AwsServerProvider.Launch.cs launches (RunInstances, root volume, clean-up of a
/// failed launch), .SecurityGroups.cs the environment's group, .KeyPairs.cs its key pair,
/// .Waits.cs the state and status-check waits, .HostKeys.cs host keys from the console output.
/// </remarks>
public sealed partial class AwsServerProvider : IServerProvider, IDisposable
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

    public bool SupportsSize(string size) => AwsSizes.IsInstanceType(size);

    public string SizeChoices => "small, medium, large or an EC2 instance type such as m7i.large";

    private Server ToServer(Instance instance)
    {
        var tags = (instance.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        tags.TryGetValue(ResourceLabels.Name, out var name);
        tags.TryGetValue(ResourceLabels.Environment, out var environment);
        tags.TryGetValue(ResourceLabels.Role, out var role);
        tags.TryGetValue(ResourceLabels.Size, out var size);
        var address = instance.PublicIpAddress ?? instance.PrivateIpAddress;
        var ports = ResourceLabels.ParsePorts(tags.GetValueOrDefault(ResourceLabels.Ports));
        return new Server
        {
            Name = name ?? instance.InstanceId,
            Environment = environment ?? string.Empty,
            Provider = ProviderName,
            Id = instance.InstanceId,
            State = MapState(instance.State?.Name?.Value),
            Address = address,
            SshPort = 22,
            User = "admin",
            IdentityFile = environment is null || _keys is null || !Validation.IsRfc1123Label(environment) ? null : _keys.PrivateKeyPath(environment),
            Role = role,
            Size = size ?? instance.InstanceType?.Value,
            Image = instance.ImageId,
            Tags = tags,
            Ports = ports,
            // EC2 serves a declared port on the instance's own address (the security group opens it).
            Endpoints = address is null ? [] : ports.Select(p => new ServerEndpoint { Port = p, Address = address, HostPort = p }).ToList(),
            CreatedAt = instance.LaunchTime is { } launched ? new DateTimeOffset(DateTime.SpecifyKind(launched, DateTimeKind.Utc)) : null,
            Connection = ConnectionSettings,
            ContainerHost = tags.GetValueOrDefault(ResourceLabels.ContainerHost) == "true",
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

    private static List<Ec2Tag> Labels(string environment, string name, string? role, string size, IReadOnlyList<int> ports, IReadOnlyDictionary<string, string> extra, bool containerHost)
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

        if (containerHost)
        {
            // An EC2 instance runs Debian's podman with its ordinary configuration: the tag only records it.
            tags[ResourceLabels.ContainerHost] = "true";
        }

        return tags.Select(t => new Ec2Tag(t.Key, t.Value)).ToList();
    }
}
