using System.Net.Http.Headers;
using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Reports;

/// <summary>
/// Pushes a Prometheus text rendering to a Pushgateway, for scheduled jobs that end before any
/// Prometheus could scrape them. PUT replaces the job's whole group, so a service that is no
/// longer probed stops being reported instead of lingering with its last figures.
/// </summary>
public static class Pushgateway
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A job name the Pushgateway takes as one path segment.</summary>
    public const string JobPattern = "^[A-Za-z0-9_.:-]+$";

    /// <summary>The group URL: the gateway's base URL, then /metrics/job/&lt;job&gt;.</summary>
    public static Uri GroupUrl(Uri gateway, string job)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (gateway.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(gateway.Query))
        {
            throw new DevOpsToolsException(ErrorIds.ExportSettingsInvalid, ErrorKind.InvalidArgument,
                $"-PushgatewayUrl must be an http or https URL without a query (got {gateway.Scheme}://{gateway.Authority}).", "PushgatewayUrl");
        }

        if (!Validation.IsWhole(JobPattern, job))
        {
            throw new DevOpsToolsException(ErrorIds.ExportSettingsInvalid, ErrorKind.InvalidArgument,
                $"-Job '{job}' is not a job name (letters, digits, '_', '.', ':', '-').", "Job");
        }

        return new Uri(gateway.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/metrics/job/" + job);
    }

    public static async Task PushAsync(Uri gateway, string job, string metrics, CancellationToken cancellationToken)
    {
        var url = GroupUrl(gateway, job);
        using var content = new StringContent(metrics, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { Parameters = { new NameValueHeaderValue("version", "0.0.4") } };
        HttpResponseMessage response;
        try
        {
            response = await Client.PutAsync(url, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DevOpsToolsException(ErrorIds.ExportPushFailed, ErrorKind.ConnectionError,
                $"Could not reach the Pushgateway at {gateway.Authority}: {ex.Message}", gateway.Authority, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DevOpsToolsException(ErrorIds.ExportPushFailed, ErrorKind.OperationTimeout,
                $"The Pushgateway at {gateway.Authority} did not answer within {Client.Timeout.TotalSeconds:0} s.", gateway.Authority, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                // The gateway says what it refused (a malformed line, a name clash): its own words help most.
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var said = body.Length > 500 ? body[..500] + "..." : body;
                throw new DevOpsToolsException(ErrorIds.ExportPushFailed, ErrorKind.InvalidData,
                    $"The Pushgateway at {gateway.Authority} refused the push to job '{job}': HTTP {(int)response.StatusCode} {said.Trim()}", gateway.Authority);
            }
        }
    }
}
