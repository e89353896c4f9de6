using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint.Backing;

/// <summary>What stands behind an instance: nothing (simulated) or a real guest (a Podman container).</summary>
internal interface IInstanceBacking : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Whether instances stay pending until the guest starts, and status checks wait for its sshd.</summary>
    bool WaitsForGuest { get; }

    /// <summary>
    /// Called with the state lock held right after the instance is recorded. Sets <see cref="Instance.SshHost"/>
    /// and <see cref="Instance.SshPort"/> at once and starts any slow work in the background.
    /// </summary>
    void Launch(Instance instance, string? authorizedKeyLine);

    /// <summary>Called with the state lock held when TerminateInstances is accepted; returns at once.</summary>
    void Terminate(Instance instance);

    /// <summary>Removes every guest this endpoint started (used by the reset hook and on exit).</summary>
    Task RemoveAllAsync();
}

internal sealed class SimulatedBacking(Ec2State state) : IInstanceBacking
{
    public string Name => "simulated";

    public bool WaitsForGuest => false;

    public void Launch(Instance instance, string? authorizedKeyLine)
    {
        // Simulated public addresses stay on loopback (127.100.x.y) so nothing ever leaves the machine.
        int n;
        do
        {
            n = state.NextSimulatedPublicHost++ & 0xFFFF;
        }
        while ((n & 0xFF) is 0 or 1 or 255);

        instance.SshHost = $"127.100.{n >> 8}.{n & 0xFF}";
        instance.SshPort = 22;
    }

    public void Terminate(Instance instance)
    {
    }

    public Task RemoveAllAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
