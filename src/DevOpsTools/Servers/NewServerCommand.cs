using System.Collections;
using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;

namespace DevOpsTools.Commands.Servers;

/// <summary>Creates servers (Podman containers or EC2 instances) and waits until they answer SSH.</summary>
[Cmdlet(VerbsCommon.New, "Server", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Server))]
public sealed class NewServerCommand : ServerProviderCmdlet
{
    private readonly List<(NewServerRequest Request, AwsSettings? Settings)> _requests = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServerEnvironmentCompleter))]
    [ValidateNotNullOrEmpty]
    public string Environment { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProviderNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Provider { get; set; } = ServerProviderRegistry.DefaultProvider;

    protected override string ProviderForParameters => Provider;

    protected override AwsConnectionParameters NewAwsParameters() => new NewServerAwsParameters();

    private NewServerAwsParameters? AwsLaunch => Aws as NewServerAwsParameters;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SizeCompleter))]
    [ValidateNotNullOrEmpty]
    public string Size { get; set; } = "small";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Image { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Role { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Tags")]
    public IDictionary? Tag { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Ports")]
    public int[]? Port { get; set; }

    /// <summary>The servers host containers (Deploy-App): Podman adds SYS_ADMIN and /dev/fuse for them only.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter ContainerHost { get; set; }

    [Parameter]
    [ValidateRange(1, 100)]
    public int ThrottleLimit { get; set; } = 10;

    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>Pin the key a server presents on first connection when its provider cannot attest one (risk: a machine in the middle is trusted for good).</summary>
    [Parameter]
    public SwitchParameter TrustFirstHostKey { get; set; }

    /// <summary>Time-out of the SSH readiness stage, per server.</summary>
    [Parameter]
    [ValidateRange(5, 3600)]
    public int TimeoutSec { get; set; } = 180;

    /// <summary>An environment file's provider.aws section (ServerSpec.AwsSettings); the parameters above override its fields.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public AwsSettings? AwsSettings { get; set; }

    protected override void ProcessRecordCore()
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Tag is not null)
        {
            foreach (DictionaryEntry entry in Tag)
            {
                var key = entry.Key as string ?? string.Empty;
                var value = Validation.TagValueText(entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value);
                if (entry.Key is not string || value is null)
                {
                    // Like the engine's per-server checks: an error for this input, the pipeline goes on.
                    WriteEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                        $"-Tag '{entry.Key}' is not valid: keys are strings and values are strings, numbers or Booleans (found {entry.Key?.GetType().Name ?? "null"} = {entry.Value?.GetType().Name ?? "null"}).", Tag));
                    return;
                }

                tags[key] = value;
            }
        }

        var userData = AwsLaunch?.UserData;
        if (AwsLaunch?.UserDataFile is { } userDataFile)
        {
            if (userData is not null)
            {
                ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument, "Pass -UserData or -UserDataFile, not both.", userDataFile));
            }

            var path = GetUnresolvedProviderPathFromPSPath(userDataFile);
            if (!File.Exists(path))
            {
                ThrowEngineError(new DevOpsToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"User data file '{path}' does not exist.", path));
            }

            userData = File.ReadAllText(path);
        }

        var settings = AwsConnection(AwsSettings, AwsLaunch?.AllowSshFrom);
        foreach (var name in Name)
        {
            var request = new ServerCreateRequest(name, Environment, Size, Image, Role, tags)
            {
                Ports = Port ?? [],
                UserData = userData,
                ContainerHost = ContainerHost.IsPresent,
            };
            if (ShouldProcess($"{Environment}/{name}", $"Create server ({Provider}, {Size}{(Role is null ? string.Empty : ", role " + Role)}{(ContainerHost.IsPresent ? ", container host" : string.Empty)})"))
            {
                _requests.Add((new NewServerRequest(Provider, request), settings));
            }
        }
    }

    protected override void EndProcessingCore()
    {
        if (_requests.Count == 0)
        {
            return;
        }

        // Requests with the same provider settings (usually all of them) are created together.
        foreach (var group in _requests.GroupBy(r => r.Settings?.SettingsKey() ?? string.Empty))
        {
            var settings = group.First().Settings;
            var options = new CreateOptions
            {
                ThrottleLimit = ThrottleLimit,
                NoWait = NoWait.IsPresent,
                TrustFirstHostKey = TrustFirstHostKey.IsPresent,
                ReadyTimeout = TimeSpan.FromSeconds(TimeoutSec),
                Settings = settings,
            };
            var requests = group.Select(r => r.Request).ToList();
            RunEngine(context =>
            {
                var manager = new ServerManager(ModuleData.Default, settings);
                return manager.CreateAsync(requests, options, context);
            });
        }
    }
}

/// <summary>New-Server's parameters for -Provider Aws: the connection, the SSH sources and cloud-init user data.</summary>
public sealed class NewServerAwsParameters : AwsConnectionParameters
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? AllowSshFrom { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? UserData { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? UserDataFile { get; set; }
}
