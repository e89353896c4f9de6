using System.Text.Json;

namespace DevOpsTools.Ec2Endpoint;

/// <summary>One EC2 API request as received, for test assertions.</summary>
public sealed class RecordedRequest
{
    public required long Sequence { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required string Action { get; init; }

    public string? Version { get; init; }

    /// <summary>The access key ID from the credential scope, when the request was signed.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>Every form (or query string) parameter in the order sent, Action and Version included.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    public required string RequestId { get; init; }

    public int StatusCode { get; set; }

    public string? ErrorCode { get; set; }

    public string? Get(string name) => Parameters.FirstOrDefault(p => p.Key == name) is { Key: not null } kv ? kv.Value : null;
}

/// <summary>A scripted failure: the next <see cref="Remaining"/> calls of <see cref="Action"/> fail with <see cref="Code"/>.</summary>
public sealed class Fault
{
    public required string Action { get; init; }

    public required string Code { get; init; }

    public required string Message { get; init; }

    public required int StatusCode { get; init; }

    public int Remaining { get; set; }
}

/// <summary>The request log and the fault queue behind the /_test/ hooks.</summary>
internal sealed class TestHooks
{
    private readonly object _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Fault> _faults = [];
    private long _sequence;

    public RecordedRequest Record(string action, IReadOnlyList<KeyValuePair<string, string>> parameters, string? accessKeyId, string requestId, DateTimeOffset now)
    {
        lock (_gate)
        {
            var r = new RecordedRequest
            {
                Sequence = ++_sequence,
                Time = now,
                Action = action,
                Version = parameters.FirstOrDefault(p => p.Key == "Version").Value,
                AccessKeyId = accessKeyId,
                Parameters = parameters,
                RequestId = requestId,
            };
            _requests.Add(r);
            return r;
        }
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    public void AddFault(Fault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
        }
    }

    public IReadOnlyList<Fault> Faults
    {
        get
        {
            lock (_gate)
            {
                return [.. _faults];
            }
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    /// <summary>Consumes one use of the first fault matching the action ("*" matches any), if any.</summary>
    public Fault? TakeFault(string action)
    {
        lock (_gate)
        {
            var f = _faults.FirstOrDefault(x => x.Remaining > 0 && (x.Action == action || x.Action == "*"));
            if (f is null)
            {
                return null;
            }

            f.Remaining--;
            if (f.Remaining == 0)
            {
                _faults.Remove(f);
            }

            return f;
        }
    }

    public static byte[] RequestsJson(IEnumerable<RecordedRequest> requests)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in requests)
            {
                w.WriteStartObject();
                w.WriteNumber("sequence", r.Sequence);
                w.WriteString("time", r.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("action", r.Action);
                w.WriteString("version", r.Version);
                w.WriteString("accessKeyId", r.AccessKeyId);
                w.WriteString("requestId", r.RequestId);
                w.WriteNumber("statusCode", r.StatusCode);
                w.WriteString("errorCode", r.ErrorCode);
                w.WriteStartObject("parameters");
                foreach (var (k, v) in r.Parameters)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return ms.ToArray();
    }

    public static byte[] FaultsJson(IEnumerable<Fault> faults)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var f in faults)
            {
                WriteFault(w, f);
            }

            w.WriteEndArray();
        }

        return ms.ToArray();
    }

    public static void WriteFault(Utf8JsonWriter w, Fault f)
    {
        w.WriteStartObject();
        w.WriteString("action", f.Action);
        w.WriteString("code", f.Code);
        w.WriteString("message", f.Message);
        w.WriteNumber("statusCode", f.StatusCode);
        w.WriteNumber("remaining", f.Remaining);
        w.WriteEndObject();
    }

    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            write(w);
        }

        return ms.ToArray();
    }

    public static string DefaultMessage(string code) => code switch
    {
        "RequestLimitExceeded" => "Request limit exceeded.",
        "Unavailable" or "ServiceUnavailable" => "The service is unavailable. Please try again shortly.",
        "InternalError" => "An internal error has occurred",
        "InsufficientInstanceCapacity" => "We currently do not have sufficient capacity in the Availability Zone you requested.",
        _ => $"Injected fault {code}",
    };
}
