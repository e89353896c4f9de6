using System.Text;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>Launching an instance: the RunInstances request, its root volume, and clean-up when a launch fails half-way.</summary>
public sealed partial class AwsServerProvider
{
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

        var tags = Labels(request.Environment, request.Name, request.Role, request.Size, request.Ports, request.Tags, request.ContainerHost);
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
}
