using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.PromQl;

/// <summary>One series of an instant vector: its labels and its value (NaN and ±Inf as Prometheus sends them).</summary>
public sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Instant queries over the Prometheus HTTP API: POST /api/v1/query with the expression as a form
/// field (a long selector of many services fits where a URL might not). Prometheus' own error
/// (bad_data, execution, timeout) becomes PrometheusQueryFailed with its text; no answer at all,
/// PrometheusUnreachable naming the URL.
/// </summary>
public sealed class PrometheusClient : IDisposable
{
    private readonly HttpClient _http;

    public PrometheusClient(Uri baseUrl, TimeSpan timeout)
    {
        BaseUrl = Normalize(baseUrl);
        // Loopback or an internal Prometheus: never through a proxy from the environment.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = timeout, AllowAutoRedirect = false }) { Timeout = timeout };
    }

    public Uri BaseUrl { get; }

    /// <summary>The URL with a trailing slash, so api/v1/query resolves under a path prefix (http://host/prometheus/).</summary>
    public static Uri Normalize(Uri url) => url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

    /// <summary>An http(s) URL of a Prometheus, or null.</summary>
    public static Uri? ParseUrl(string? text) =>
        Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && !string.IsNullOrEmpty(url.Host) && string.IsNullOrEmpty(url.UserInfo)
            ? url : null;

    public async Task<IReadOnlyList<PromSample>> QueryAsync(string expression, CancellationToken cancellationToken)
    {
        var endpoint = new Uri(BaseUrl, "api/v1/query");
        string body;
        HttpStatusCode status;
        try
        {
            using var form = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", expression)]);
            using var response = await _http.PostAsync(endpoint, form, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw Unreachable(BaseUrl, ProbeErrors.Reason(ex, _http.Timeout), ex);
        }

        return ParseResponse(expression, (int)status, body, BaseUrl);
    }

    public static DevOpsToolsException Unreachable(Uri url, string why, Exception? inner = null) =>
        new(ErrorIds.PrometheusUnreachable, ErrorKind.ConnectionError, $"Prometheus at {url} did not answer: {why}.", url.AbsoluteUri, inner)
        { RecommendedAction = "Check -PrometheusUrl (or that Install-Monitoring's Prometheus for the environment runs: Install-Monitoring again)." };

    /// <summary>
    /// The samples of an API answer: a vector's series, or a scalar as one series without labels.
    /// An error answer (status "error", whatever the HTTP code) throws PrometheusQueryFailed with
    /// Prometheus' errorType and error; an answer that is not the API's JSON, PrometheusUnreachable.
    /// </summary>
    public static IReadOnlyList<PromSample> ParseResponse(string expression, int httpStatus, string body, Uri url)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw Unreachable(url, $"HTTP {httpStatus} with a body that is not the Prometheus API's JSON ({ExternalProcess.Tail(body, 2)}); is this a Prometheus?");
        }

        using (document)
        {
            var root = document.RootElement;
            var state = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (state == "error")
            {
                var type = root.TryGetProperty("errorType", out var t) ? t.GetString() : null;
                var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
                throw new DevOpsToolsException(ErrorIds.PrometheusQueryFailed, ErrorKind.InvalidData,
                    $"Prometheus refused the query ({type ?? $"HTTP {httpStatus}"}): {error ?? "no reason given"}. Query: {expression}", expression)
                { RecommendedAction = "Check -Matcher and the metric and label names (-RequestMetric, -LatencyMetric, -ServiceLabel, -CodeLabel)." };
            }

            if (state != "success" || !root.TryGetProperty("data", out var data) || !data.TryGetProperty("resultType", out var kind) || !data.TryGetProperty("result", out var result))
            {
                throw Unreachable(url, $"HTTP {httpStatus} with JSON that is not a query answer; is this a Prometheus?");
            }

            try
            {
                return kind.GetString() switch
                {
                    "vector" => result.EnumerateArray().Select(item => new PromSample(Labels(item), Value(item.GetProperty("value")))).ToList(),
                    "scalar" => [new PromSample(new Dictionary<string, string>(), Value(result))],
                    var other => throw new DevOpsToolsException(ErrorIds.PrometheusQueryFailed, ErrorKind.InvalidData,
                        $"Prometheus answered a {other} where an instant vector or a scalar was asked. Query: {expression}", expression),
                };
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
            {
                throw Unreachable(url, $"HTTP {httpStatus} with a result that is not a vector of [time, \"value\"] samples; is this a Prometheus?", ex);
            }
        }
    }

    private static Dictionary<string, string> Labels(JsonElement item)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetProperty("metric", out var metric))
        {
            foreach (var label in metric.EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? string.Empty;
            }
        }

        return labels;
    }

    /// <summary>A [timestamp, "value"] pair's value: Prometheus sends numbers as strings, NaN and ±Inf included.</summary>
    private static double Value(JsonElement pair)
    {
        var text = pair[1].GetString();
        return text switch
        {
            "NaN" => double.NaN,
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(text ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    public void Dispose() => _http.Dispose();
}
