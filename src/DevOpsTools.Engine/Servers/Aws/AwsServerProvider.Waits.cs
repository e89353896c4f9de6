using Amazon.EC2;
using Amazon.EC2.Model;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Servers.Aws;

/// <summary>Waiting for an instance state and for its status checks, under the caller's deadline.</summary>
public sealed partial class AwsServerProvider
{
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
}
