using System.Management.Automation;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Data.Backups;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Commands.Deploy;

/// <summary>Rolls an app out to container hosts, this machine or a Kubernetes namespace: health-checked, zero-downtime, rolled back on failure.</summary>
// "Deploy" is an approved verb (Lifecycle) since PowerShell 6; PowerShellStandard 5.1 has no constant for it.
[Cmdlet("Deploy", "App", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(Deployment))]
public sealed class DeployAppCommand : DeployCommandBase
{
    /// <summary>The app spec (app.yaml) or an environment file with an apps section.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Which app of an environment file's apps section (default: the only one).</summary>
    [Parameter]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string? Name { get; set; }

    /// <summary>Deploy this image instead of the spec's (a tag or a digest).</summary>
    [Parameter]
    [ValidatePattern(Validation.ImagePattern)]
    public string? Image { get; set; }

    /// <summary>Promote: deploy exactly the image digest that runs, healthy, in this environment.</summary>
    [Parameter]
    [ValidatePattern(Validation.Rfc1123LabelPattern)]
    public string? FromEnvironment { get; set; }

    /// <summary>Where -FromEnvironment runs (default: this machine when deploying here, else that environment's servers of the same provider).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Server[]? FromServer { get; set; }

    /// <summary>On Kubernetes: the kubeconfig of the cluster -FromEnvironment runs on (default: -KubeConfig's).</summary>
    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    public string? FromKubeConfig { get; set; }

    /// <summary>On Kubernetes: the context of the cluster -FromEnvironment runs on (default: -FromKubeConfig's current one, else -Context).</summary>
    [Parameter(ParameterSetName = KubernetesSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? FromContext { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxUnavailable { get; set; } = 1;

    /// <summary>Leave a failed revision in place instead of restoring the previous one.</summary>
    [Parameter]
    public SwitchParameter NoRollback { get; set; }

    /// <summary>The data services of the app's environment (Import-DevOpsEnvironment's Data), for a standalone app.yaml whose migration names a dataService; an environment file brings its own.</summary>
    [Parameter]
    [ValidateNotNull]
    public DataServiceDefinition[]? DataService { get; set; }

    /// <summary>A failed migration restores the backup taken just before it by itself.</summary>
    [Parameter]
    public SwitchParameter RestoreOnFailure { get; set; }

    protected override void EndProcessingCore()
    {
        if (Image is not null && FromEnvironment is not null)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                "-Image and -FromEnvironment exclude each other: promotion deploys the digest that runs in the source environment.", "FromEnvironment"));
        }

        if (ByKubernetes && FromServer is not null)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                "-FromServer names container hosts; on Kubernetes -FromEnvironment reads the source environment's namespace of the same cluster.", "FromServer"));
        }

        if (FromEnvironment is null && (FromKubeConfig is not null || FromContext is not null))
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.InvalidParameter, ErrorKind.InvalidArgument,
                "-FromKubeConfig and -FromContext say which cluster -FromEnvironment runs on; give -FromEnvironment too.", FromKubeConfig is null ? "FromContext" : "FromKubeConfig"));
        }

        var environment = ResolveEnvironment();
        // The spec is read and validated before anything is asked or touched: bad input changes nothing.
        var spec = AppSpecSource.Load(GetUnresolvedProviderPathFromPSPath(Path), Name, out var fileData);
        var migrationService = MigrationDataService(spec, environment, fileData);
        var what = FromEnvironment is null ? Image ?? spec.Image : "the digest running in " + FromEnvironment;
        var action = $"Deploy {spec.Name} ({what}) to {environment}";

        // ShouldProcess on the pipeline thread, one target at a time, as Set-Hardening does:
        // -WhatIf plans those targets instead, -Confirm asks for each.
        var approved = new List<Server>();
        var planned = new List<Server>();
        // A cluster is one target, asked about like this machine.
        var local = Servers.Count == 0;
        foreach (var (server, label) in Servers.Count == 0 ? [(null, TargetLabel(environment))] : Servers.Select(s => ((Server?)s, s.Label)))
        {
            if (ShouldProcess($"Performing the operation \"{action}\" on target \"{label}\".", $"{action} on {label}?", "Deploy-App", out var reason))
            {
                if (server is not null)
                {
                    approved.Add(server);
                }
            }
            else if (reason == ShouldProcessReason.WhatIf)
            {
                if (server is not null)
                {
                    planned.Add(server);
                }
            }
            else if (server is null)
            {
                return;
            }
        }

        var whatIf = planned.Count > 0 || (local && IsWhatIf());
        var servers = whatIf ? planned : approved;
        if (!local && servers.Count == 0)
        {
            return;
        }

        var options = new DeployOptions
        {
            Timeout = TimeSpan.FromSeconds(TimeoutSec), MaxUnavailable = MaxUnavailable, NoRollback = NoRollback, RestoreOnFailure = RestoreOnFailure,
            // -WhatIf takes no backup: the plan only says one would be taken.
            MigrationBackup = migrationService is null || whatIf ? null : new MigrationBackup(migrationService, new DataBackups(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default)),
        };
        var fromServers = FromServer;
        // Another cluster only when asked for; otherwise the source namespace is on the target's cluster.
        // -FromContext alone is another context of -KubeConfig's file; -FromKubeConfig alone is its current context.
        var fromPath = FromKubeConfig ?? KubeConfig;
        var fromCluster = FromKubeConfig is not null || FromContext is not null
            ? new PromotionSources.KubernetesSource(fromPath is null ? null : GetUnresolvedProviderPathFromPSPath(fromPath), FromContext)
            : null;
        var fromEnvironment = FromEnvironment;
        var image = Image;
        var (plans, deployments) = RunWithTargets(async (factory, context) =>
        {
            PromotedImage? promoted = null;
            if (fromEnvironment is not null)
            {
                if (fromCluster is not null)
                {
                    promoted = await PromotionSources.FromClusterAsync(spec.Name, fromEnvironment, fromCluster, context).ConfigureAwait(false);
                }
                else
                {
                    var sources = ByKubernetes
                        ? TargetsOf(factory, environment: fromEnvironment)
                        : TargetsOf(factory, fromServers ?? await PromotionSources.ServersAsync(servers, fromEnvironment, ModuleData.Default, context).ConfigureAwait(false));
                    promoted = await Rollout.PromotedImageAsync(spec.Name, fromEnvironment, sources, context).ConfigureAwait(false);
                }

                context.Output.WriteVerbose($"Promoting {spec.Name} from {fromEnvironment}: {promoted}");
            }

            var app = AppSpecLoader.Resolve(spec, environment, promoted?.Image ?? image);
            if (promoted is not null)
            {
                app = app with { ImageDigest = promoted.Digest };
            }

            var targets = TargetsOf(factory, servers);
            if (!whatIf)
            {
                return ((IReadOnlyList<DeployPlan>)[], await Rollout.RunAsync(app, targets, options, context).ConfigureAwait(false));
            }

            var plans = new List<DeployPlan>();
            foreach (var target in targets)
            {
                plans.Add(await target.PlanAsync(app, context).ConfigureAwait(false));
            }

            return (plans, (IReadOnlyList<Deployment>)[]);
        });

        if (whatIf && migrationService is not null && spec.Migration is not null)
        {
            Say($"What if: the migration ({string.Join(' ', spec.Migration.Command)}) would run after a backup of {migrationService.Environment}/{migrationService.Name} ({string.Join(", ", migrationService.Databases.Select(d => d.Name))}), unless it ran with this image before.");
        }

        foreach (var plan in plans)
        {
            Say($"What if: {plan.Target}: {plan.Summary}");
            foreach (var line in plan.Diff.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Say("  " + line);
            }
        }

        foreach (var deployment in deployments)
        {
            if (deployment.Status is DeploymentStatus.RolledBack or DeploymentStatus.Failed)
            {
                var rolledBack = deployment.Status is DeploymentStatus.RolledBack;
                WriteEngineError(new DevOpsToolsException(
                    rolledBack ? ErrorIds.DeployRolledBack : ErrorIds.DeployFailed,
                    ErrorKind.InvalidOperation,
                    $"{deployment.Target}: {deployment.App} {deployment.Image} {(rolledBack ? "was rolled back" : "failed (no earlier revision to go back to, or -NoRollback)")}: {deployment.RollbackReason}",
                    deployment));
            }

            WriteObject(deployment);
        }
    }

    /// <summary>The data service the app's migration names (migration.dataService): from -DataService, else the environment file's data section; an error before anything changes when neither has it.</summary>
    private DataServiceDefinition? MigrationDataService(AppSpec spec, string environment, IReadOnlyList<DataServiceDefinition> fileData)
    {
        if (spec.Migration?.DataService is not { } name)
        {
            return null;
        }

        var candidates = (DataService ?? []).Concat(fileData).Where(d => d.Name == name).ToList();
        var found = candidates.FirstOrDefault(d => d.Environment == environment) ?? candidates.FirstOrDefault();
        if (found is null)
        {
            ThrowEngineError(new DevOpsToolsException(ErrorIds.DataServiceNotFound, ErrorKind.ObjectNotFound,
                $"App '{spec.Name}': its migration names data service '{name}' (migration.dataService), which Deploy-App was not given; nothing was changed.", name)
            {
                RecommendedAction = $"Give the environment's data services: Deploy-App -Path <app.yaml> -DataService (Import-DevOpsEnvironment <environment file>).Data, or deploy from the environment file.",
            });
        }

        return found;
    }
}
