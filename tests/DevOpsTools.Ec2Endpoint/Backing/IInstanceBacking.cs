using System.Net;
using System.Net.Sockets;
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

/// <summary>Instances exist only in memory; with a connection log, each guest's SSH address listens and records who connects.</summary>
internal sealed class SimulatedBacking(Ec2State state, GuestConnectionLog? connections = null) : IInstanceBacking
{
    private readonly Dictionary<string, TcpListener> _listeners = new(StringComparer.Ordinal);

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
        if (connections is not null)
        {
            var listener = new TcpListener(IPAddress.Parse(instance.SshHost), instance.SshPort);
            listener.Start();
            lock (_listeners)
            {
                _listeners[instance.Id] = listener;
            }

            _ = AcceptAsync(listener, instance.Id, connections);
        }
    }

    private static async Task AcceptAsync(TcpListener listener, string instanceId, GuestConnectionLog log)
    {
        while (true)
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
                log.Add(instanceId);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
        }
    }

    public void Terminate(Instance instance) => Stop(instance.Id);

    private void Stop(string instanceId)
    {
        lock (_listeners)
        {
            if (_listeners.Remove(instanceId, out var listener))
            {
                listener.Stop();
            }
        }
    }

    public Task RemoveAllAsync()
    {
        List<string> ids;
        lock (_listeners)
        {
            ids = [.. _listeners.Keys];
        }

        ids.ForEach(Stop);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await RemoveAllAsync().ConfigureAwait(false);
}

/// <summary>Connections made to simulated guests, one instance id per connection, oldest first.</summary>
internal sealed class GuestConnectionLog
{
    private readonly List<string> _ids = [];

    internal void Add(string instanceId)
    {
        lock (_ids)
        {
            _ids.Add(instanceId);
        }
    }

    internal IReadOnlyList<string> Snapshot()
    {
        lock (_ids)
        {
            return [.. _ids];
        }
    }
}
