using System.Management.Automation;
using DevOpsTools.Commands.Infrastructure;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Commands.Data;

/// <summary>Sets up an environment's data services (PostgreSQL) as their definitions say; idempotent.</summary>
[Cmdlet("Deploy", "DataService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DataService))]
public sealed class DeployDataServiceCommand : DataServiceCmdletBase
{
    protected override void ProcessRecordCore()
    {
        foreach (var service in SelectedServices())
        {
            var label = $"{service.Environment}/{service.Name}";
            var action = $"Deploy PostgreSQL {service.Version} data service ({service.Placement}, port {service.Port}, {service.Storage})";
            if (ShouldProcess($"Performing the operation \"{action}\" on target \"{label}\".", $"{action} {label}?", "Deploy-DataService", out var reason))
            {
                if (Deploy(service, apply: true) is { } done)
                {
                    WriteObject(done);
                }
            }
            else if (reason == ShouldProcessReason.WhatIf)
            {
                // The plan only looks (podman inspect, read-only queries): nothing is built, created or written.
                if (Deploy(service, apply: false) is not { } plan)
                {
                    continue;
                }

                foreach (var change in plan.Changes)
                {
                    WriteVerbose($"What if: {label}: {change}");
                }

                WriteObject(plan);
            }
        }
    }

    private DataService? Deploy(DataServiceDefinition service, bool apply)
    {
        try
        {
            if (service.Role is null)
            {
                return RunEngine(context => new DataServiceDeployer(new PodmanDataHost(PodmanCli.Locate()), ModuleData.Default).DeployAsync(service, apply, context));
            }

            // On the environment's server with that role, found at its provider; over SSH.
            return RunEngine(async context =>
            {
                var servers = await new ServerManager(ModuleData.Default, service.ProviderSettings).ListAsync(service.Provider, service.Environment, context).ConfigureAwait(false);
                await using var pool = new SshConnectionPool(ModuleData.Default);
                return await new ServerDataDeployer(ModuleData.Default, new SshRemoteShellFactory(pool)).DeployAsync(service, servers, apply, context).ConfigureAwait(false);
            });
        }
        catch (DevOpsToolsException error)
        {
            // One service's failure is that service's error; the environment's other services still run.
            WriteEngineError(error, service);
            return null;
        }
    }
}
