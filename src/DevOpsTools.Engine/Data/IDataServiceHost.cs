using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Data;

/// <summary>A data service's container as the host reports it.</summary>
public sealed record DataContainerState(bool Running, string? ConfigHash, string? Image = null);

/// <summary>What a data service's container is started with; every value is validated before it gets here.</summary>
public sealed record DataContainerSpec(string Name, string Image, string Volume, int Port, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Where a data service runs: the seam between the deploy logic (<see cref="DataServiceDeployer"/>)
/// and the container engine. This machine's Podman implements it (<see cref="PodmanDataHost"/>); tests
/// put a fake behind it. Arguments are data, never shell text.
/// </summary>
public interface IDataServiceHost
{
    /// <summary>For messages and DataService.Target: "this machine".</summary>
    string Label { get; }

    /// <summary>The address services on this host listen on and apps connect to.</summary>
    string Address { get; }

    /// <summary>The module's Debian base image; built when missing only if <paramref name="build"/>.</summary>
    Task<string> BaseImageAsync(bool build, EngineContext context);

    Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken);

    /// <summary>Builds <paramref name="image"/> from a Containerfile and the files beside it, with BASE set to <paramref name="baseImage"/>.</summary>
    Task BuildImageAsync(string image, string baseImage, IReadOnlyDictionary<string, string> files, EngineContext context);

    Task<bool> VolumeExistsAsync(string volume, CancellationToken cancellationToken);

    Task CreateVolumeAsync(string volume, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Free bytes where new volumes are stored; null when the host cannot tell.</summary>
    Task<long?> FreeVolumeBytesAsync(CancellationToken cancellationToken);

    /// <summary>Null when there is no such container.</summary>
    Task<DataContainerState?> InspectContainerAsync(string name, CancellationToken cancellationToken);

    Task RunContainerAsync(DataContainerSpec spec, CancellationToken cancellationToken);

    Task RemoveVolumeAsync(string volume, CancellationToken cancellationToken);

    /// <summary>A port nothing listens on at <see cref="Address"/> now (for throwaway containers).</summary>
    int FindFreePort();

    Task RemoveContainerAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a program in the container. <paramref name="secretEnvironment"/> values reach it through
    /// the environment of the container engine's own process, never through a command line.
    /// </summary>
    Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> secretEnvironment, string? stdin, CancellationToken cancellationToken);

    /// <summary>Runs a program in the container with its standard output written to <paramref name="output"/> (binary-safe).</summary>
    Task<ProcessResult> ExecToStreamAsync(string container, IReadOnlyList<string> command, Stream output, CancellationToken cancellationToken);

    /// <summary>Runs a program in the container with <paramref name="input"/> as its standard input (binary-safe).</summary>
    Task<ProcessResult> ExecFromStreamAsync(string container, IReadOnlyList<string> command, Stream input, CancellationToken cancellationToken);

    Task<string> LogsAsync(string container, int tail, CancellationToken cancellationToken);

    /// <summary>Whether nothing listens on <see cref="Address"/>:<paramref name="port"/>.</summary>
    bool IsPortFree(int port);
}
