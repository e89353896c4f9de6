using System.Collections.Concurrent;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers;

/// <summary>
/// Orchestration common to every provider: validation, idempotence, bounded concurrency with one
/// progress bar, host-key recording, waiting for SSH, per-stage time-outs, rollback on failure or
/// Ctrl+C, the per-environment SSH key, and removal of environment resources with the last server.
/// Providers only create, list and destroy.
/// </summary>
/// <remarks>
/// Split by seam: this file holds construction, validation, listing and error wrapping;
/// ServerManager.Create.cs creates, ServerManager.Remove.cs removes, ServerManager.Keys.cs holds the
/// SSH key and host-key bookkeeping, ServerManager.EnvironmentState.cs one environment during a create.
/// </remarks>
public sealed partial class ServerManager
{
    public const string StageCreating = "creating";
    public const string StageHostKey = "reading the SSH host key";
    private const int ProgressId = 1;
    private const string CreateActivity = "Creating servers";

    private readonly ModuleData _data;
    private readonly SshKeyStore _keys;
    private readonly KnownHostsStore _knownHosts;
    private readonly ConcurrentDictionary<string, IServerProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ServerProviderSettings? _settings;

    public ServerManager(ModuleData data, ServerProviderSettings? settings = null, Func<string, IServerProvider>? providerFactory = null)
    {
        _data = data;
        _settings = settings;
        _keys = new SshKeyStore(data);
        _knownHosts = new KnownHostsStore(data);
        ProviderFactory = providerFactory ?? (name => ServerProviderRegistry.Create(name, new ProviderOptions { Data = data, Settings = settings }));
    }

    private Func<string, IServerProvider> ProviderFactory { get; }

    public IServerProvider GetProvider(string name)
    {
        var canonical = ServerProviderRegistry.IsKnown(name) ? ServerProviderRegistry.Canonical(name) : name;
        return _providers.GetOrAdd(canonical, ProviderFactory);
    }

    /// <summary>Checks names, environment, provider and size; throws the first problem as an InvalidArgument error.</summary>
    public void Validate(NewServerRequest item)
    {
        var request = item.Request;
        if (!Validation.IsRfc1123Label(request.Name))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidServerName, ErrorKind.InvalidArgument,
                $"Server name '{request.Name}' is not valid: use an RFC 1123 label (lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit).", request.Name);
        }

        if (!Validation.IsRfc1123Label(request.Environment))
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                $"Environment name '{request.Environment}' is not valid: use an RFC 1123 label such as test, preprod or prod.", request.Environment);
        }

        if (Validation.ServerInputProblem(request.Image, request.Role, request.Tags) is { } problem)
        {
            throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"Server '{request.Environment}/{request.Name}': {problem}", request.Name);
        }

        var provider = GetProvider(item.Provider);
        if (!ServerSizes.IsPortable(request.Size) && !provider.SupportsSize(request.Size))
        {
            throw new DevOpsToolsException(ErrorIds.UnknownSize, ErrorKind.InvalidArgument,
                $"Unknown size '{request.Size}' for provider {provider.Name}: use {provider.SizeChoices}.", request.Size);
        }

        foreach (var port in request.Ports)
        {
            if (port is < 1 or > 65535)
            {
                throw new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, $"Port {port} of server '{request.Name}' is not between 1 and 65535.", port);
            }
        }
    }

    /// <summary>Servers carrying the module's labels, from the provider (no local state).</summary>
    public async Task<IReadOnlyList<Server>> ListAsync(string providerName, string? environment, EngineContext context)
    {
        var provider = GetProvider(providerName);
        await provider.EnsureAvailableAsync(context.WithOutput(NullOutputSink.Instance)).ConfigureAwait(false);
        return await provider.ListAsync(environment, context).ConfigureAwait(false);
    }

    private static DevOpsToolsException StageTimeout(string label, string stage, TimeSpan timeout, Exception inner) =>
        new(ErrorIds.ServerNotReady, ErrorKind.OperationTimeout, $"Server '{label}' timed out after {timeout.TotalSeconds:0} s: stuck {stage}.", label, inner);

    private static DevOpsToolsException Wrap(Exception ex, string errorId, object target, string stage)
    {
        var classified = ErrorClassifier.Classify(ex, target);
        if (classified.ErrorId != ErrorIds.UnexpectedError)
        {
            return classified;
        }

        var name = target is Server s ? $"{s.Environment}/{s.Name}" : target.ToString();
        return new DevOpsToolsException(errorId, classified.Kind, $"Server {name} failed while {stage}: {ex.Message}", target, ex);
    }
}
