using System.Diagnostics;
using System.Globalization;
using DevOpsTools.Engine.Core;
using k8s;
using k8s.Models;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// The app's migration command as a one-off Job: the new revision's pod template (image, variables,
/// secrets, volumes) with the command instead of the image's own, no retries, run to Complete or
/// Failed, its log read, and the Job deleted afterwards. The Deployment is not touched.
/// </summary>
internal sealed class KubernetesMigration(KubernetesObjects api)
{
    public async Task<(bool Succeeded, IReadOnlyList<string> Output, string? Failure)> RunAsync(V1Deployment rendered, IReadOnlyList<string> command, TimeSpan timeout, EngineContext context)
    {
        var ns = rendered.Metadata.NamespaceProperty;
        var app = rendered.Metadata.Name;
        var ct = context.CancellationToken;
        var name = $"{app}-migrate-{DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        if (name.Length > 63)
        {
            name = name[^63..].TrimStart('-');
        }

        var template = rendered.Spec.Template;
        var container = template.Spec.Containers[0];
        container.Command = command.ToList();
        container.Args = null;
        container.ReadinessProbe = null;
        container.Ports = null;
        template.Spec.RestartPolicy = "Never";
        var job = new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = rendered.Metadata.Labels },
            Spec = new V1JobSpec { BackoffLimit = 0, Template = template },
        };
        await KubernetesErrors.CallAsync(api.Server, $"create the migration Job {name} in namespace {ns}",
            () => api.Client.BatchV1.CreateNamespacedJobAsync(job, ns, fieldManager: KubernetesManifests.FieldManager, cancellationToken: ct)).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            string? failure = null;
            var succeeded = false;
            while (true)
            {
                var live = await KubernetesErrors.CallAsync(api.Server, $"read the migration Job {name}",
                    () => api.Client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
                var conditions = live.Status?.Conditions ?? [];
                if (conditions.Any(c => c.Type == "Complete" && c.Status == "True"))
                {
                    succeeded = true;
                    break;
                }

                if (conditions.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is { } failed)
                {
                    failure = $"{failed.Reason}: {failed.Message}";
                    break;
                }

                // A pod the quota does not allow never comes: the refusal, not the time-out, is the answer.
                if ((live.Status?.Active ?? 0) == 0 && await QuotaRefusalAsync(name, ns, ct).ConfigureAwait(false) is { } refusal)
                {
                    throw KubernetesErrors.QuotaExceeded(refusal, api.Server, $"create the pod of the migration Job {name} in namespace {ns}", "the migration did not run and nothing was rolled out");
                }

                if (clock.Elapsed > timeout)
                {
                    failure = $"the migration did not finish within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s";
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }

            return (succeeded, await OutputAsync(name, ns, ct).ConfigureAwait(false), failure);
        }
        finally
        {
            // The Job and its pod go whatever happened (also on Ctrl+C); its output was read above.
            try
            {
                await api.Client.BatchV1.DeleteNamespacedJobAsync(name, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException or System.Text.Json.JsonException)
            {
                context.Output.WriteWarning($"The migration Job {ns}/{name} could not be deleted: {ex.Message}");
            }
        }
    }

    /// <summary>The API's quota message of the Job's FailedCreate event, if the job controller had one.</summary>
    private async Task<string?> QuotaRefusalAsync(string job, string ns, CancellationToken ct)
    {
        var events = await KubernetesErrors.CallAsync(api.Server, $"list the events of Job {job}",
            () => api.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: $"involvedObject.name={job},reason=FailedCreate", cancellationToken: ct)).ConfigureAwait(false);
        return events.Items.Select(e => e.Message).FirstOrDefault(KubernetesErrors.IsQuota);
    }

    private async Task<IReadOnlyList<string>> OutputAsync(string job, string ns, CancellationToken ct)
    {
        var pods = await KubernetesErrors.CallAsync(api.Server, $"list the pods of Job {job}",
            () => api.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"job-name={job}", cancellationToken: ct)).ConfigureAwait(false);
        var lines = new List<string>();
        foreach (var pod in pods.Items)
        {
            try
            {
                await using var stream = await api.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, tailLines: 20, cancellationToken: ct).ConfigureAwait(false);
                using var reader = new StreamReader(stream);
                lines.AddRange((await reader.ReadToEndAsync(ct).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                // A pod that never started has no log; the Job's condition says why.
            }
        }

        return lines;
    }
}
