using System.Net.Http.Headers;
using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Alerts;

/// <summary>
/// Posts alert bodies to a webhook. Errors name the URL's host and the answer, never the URL's
/// path or query (which carry the webhook's token).
/// </summary>
public static class WebhookNotifier
{
    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The webhook URL, or null when it is not an absolute http:// or https:// URL.</summary>
    public static Uri? ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : null;

    /// <summary>Posts one alert; null when the receiver answered 2xx, else the error to report.</summary>
    public static async Task<DevOpsToolsException?> PostAsync(Uri webhook, AlertNotice notice, WebhookFormat format, EngineContext context)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        ArgumentNullException.ThrowIfNull(context);
        var body = WebhookBodies.Build(notice, format, DateTimeOffset.UtcNow).ToJsonString();
        using var client = new HttpClient { Timeout = PostTimeout };
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        string answer;
        try
        {
            using var response = await client.PostAsync(webhook, content, context.CancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            answer = $"answered HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.CancellationToken.IsCancellationRequested)
        {
            answer = $"could not be reached ({ProbeErrors.Reason(ex, PostTimeout)})";
        }

        // No inner exception: its message may quote the whole URL.
        return new DevOpsToolsException(ErrorIds.WebhookPostFailed, ErrorKind.ConnectionError,
            $"The webhook at {webhook.Host} {answer}: the {WebhookBodies.StatusOf(notice)} alert for {notice.Stats.Service} was not delivered and is sent again on the next run.",
            webhook.Host)
        { RecommendedAction = "Check the webhook URL and that its receiver is up; the next Get-ServiceStats -NotifyWebhook run retries." };
    }
}
