using System.Collections;
using System.Management.Automation;
using System.Runtime.InteropServices;
using DevOpsTools.Commands.Deploy;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Monitoring;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Support;

namespace DevOpsTools.Commands.Support;

/// <summary>
/// Writes one Markdown file about an environment that a person can paste into a forum thread or
/// an issue: versions, the environment file, server states, the last hardening reports' failing
/// rules, deployments with their history and the last failure's log tail, current service stats
/// and the module's recent errors. Secrets are always redacted; addresses and host names too
/// unless -NoRedact.
/// </summary>
[Cmdlet(VerbsCommon.New, "SupportReport", SupportsShouldProcess = true, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(FileInfo))]
public sealed class NewSupportReportCommand : DeployCommandBase
{
    /// <summary>The environment file (or an Import-DevOpsEnvironment result): its text goes in the report (redacted), its apps are read.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Definition { get; set; }

    /// <summary>The apps to read (default: the definition's apps).</summary>
    [Parameter]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string[]? App { get; set; }

    /// <summary>Where to write the report (default: support-&lt;environment&gt;-&lt;UTC time&gt;.md here).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Keep IP addresses and host names; secrets are redacted all the same.</summary>
    [Parameter]
    public SwitchParameter NoRedact { get; set; }

    /// <summary>Log lines kept for a deployment whose last rollout failed.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int LogTail { get; set; } = 40;

    /// <summary>Recent module errors kept.</summary>
    [Parameter]
    [ValidateRange(0, ErrorJournal.Capacity)]
    public int ErrorCount { get; set; } = 20;

    /// <summary>How long each deployed endpoint is probed for the stats section.</summary>
    [Parameter]
    public TimeSpan ProbeDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Do not probe the deployments (the stats section says so).</summary>
    [Parameter]
    public SwitchParameter NoProbe { get; set; }

    /// <summary>Overwrite an existing file at -Path.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessingCore()
    {
        var definition = ResolveDefinition();
        if (Environment is null && definition is not null && Servers.Count == 0)
        {
            Environment = definition.Name;
        }

        var environment = ResolveEnvironment();
        var path = GetUnresolvedProviderPathFromPSPath(Path ?? $"support-{environment}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
        if (File.Exists(path) && !Force)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.SupportReportExists, ErrorKind.ResourceExists,
                $"{path} exists; give another -Path, or -Force to overwrite it.", path));
        }

        if (!ShouldProcess(path, $"Write a support report of environment {environment}"))
        {
            return;
        }

        var definitionText = definition?.Path is { } file && File.Exists(file) ? File.ReadAllText(file) : null;
        var versions = Versions();
        var apps = App ?? [];
        var (logTail, errorCount) = (LogTail, ErrorCount);
        var probe = NoProbe || ProbeDuration <= TimeSpan.Zero ? null
            : new ProbeSettings { Duration = ProbeDuration, Concurrency = 2, Timeout = TimeSpan.FromSeconds(5) };
        var given = Servers.ToList();
        var provider = definition?.Provider;
        var byKubernetes = ByKubernetes;
        var collected = RunWithTargets(async (factory, context) =>
        {
            var gaps = new List<string>();
            IReadOnlyList<Server> servers = given;
            if (given.Count == 0)
            {
                try
                {
                    var settings = (ServerProviderSettings?)provider?.Aws ?? provider?.Podman;
                    servers = await new ServerManager(ModuleData.Default, settings)
                        .ListAsync(provider?.Type.ToString() ?? ServerProviderRegistry.DefaultProvider, environment, context).ConfigureAwait(false);
                }
                catch (DevOpsToolsException ex)
                {
                    gaps.Add($"Servers: {ex.ErrorId}: {ex.Message}");
                }
            }

            // Apps run on this machine or on the environment's container hosts; a server that is
            // not one simply has none.
            IReadOnlyList<IDeployTarget> targets = byKubernetes ? TargetsOf(factory, environment: environment)
                : given.Count > 0 ? TargetsOf(factory)
                : [factory.ForThisMachine(), .. servers.Where(s => s.State == "Running").Select(factory.ForServer)];
            return await SupportReportCollector.CollectAsync(new SupportReportRequest
            {
                Environment = environment,
                Definition = definition,
                DefinitionText = definitionText,
                Versions = versions,
                Apps = apps,
                LogTail = logTail,
                ErrorCount = errorCount,
                Probe = probe,
                Servers = servers,
                Targets = targets,
                Gaps = gaps,
            }, ModuleData.Default, context).ConfigureAwait(false);
        });

        var redactor = new SupportRedactor(NoRedact, collected.Secrets, collected.Hosts);
        SecureFiles.WritePrivateFile(path, SupportReportWriter.ToMarkdown(collected.Report, redactor));
        WriteObject(new FileInfo(path));
    }

    private EnvironmentDefinition? ResolveDefinition()
    {
        switch (Definition is PSObject wrapped ? wrapped.BaseObject : Definition)
        {
            case null:
                return null;
            case EnvironmentDefinition definition:
                return definition;
            case string text:
                var environments = EnvironmentLoader.LoadFile(GetUnresolvedProviderPathFromPSPath(text));
                var match = environments.Where(e => Environment is null || e.Name == Environment).ToList();
                if (match.Count != 1)
                {
                    ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                        $"{text} defines {environments.Count} environments ({string.Join(", ", environments.Select(e => e.Name))}); name one with -Environment.", "Definition"));
                }

                return match[0];
            case var other:
                ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                    $"-Definition takes an environment file's path or an Import-DevOpsEnvironment result, not a {other.GetType().Name}.", "Definition"));
                return null;
        }
    }

    private List<KeyValuePair<string, string>> Versions()
    {
        var table = SessionState.PSVariable.GetValue("PSVersionTable") as Hashtable;
        return
        [
            new("DevOpsTools", MyInvocation.MyCommand.Module?.Version.ToString() ?? typeof(NewSupportReportCommand).Assembly.GetName().Version?.ToString() ?? "unknown"),
            new("PowerShell", $"{table?["PSVersion"]} ({table?["PSEdition"]})"),
            new("OS", RuntimeInformation.OSDescription),
            new(".NET", RuntimeInformation.FrameworkDescription),
            new("Architecture", RuntimeInformation.OSArchitecture.ToString()),
        ];
    }
}
