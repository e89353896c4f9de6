using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DevOpsTools.Ec2Endpoint.Api;
using DevOpsTools.Ec2Endpoint.Backing;
using DevOpsTools.Ec2Endpoint.Http;
using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint;

/// <summary>
/// A local stand-in for the AWS EC2 Query API (version 2016-11-15) on 127.0.0.1, for tests. Host it in-process
/// (<see cref="StartAsync"/> then <see cref="BaseUri"/>) or through the console program that wraps it.
/// </summary>
public sealed class Ec2Endpoint : IAsyncDisposable
{
    private const string XmlContentType = "text/xml;charset=UTF-8";
    private const string JsonContentType = "application/json; charset=utf-8";

    private readonly Ec2EndpointOptions _options;
    private readonly Ec2State _state;
    private readonly IInstanceBacking _backing;
    private readonly Ec2Api _api;
    private readonly TestHooks _hooks = new();
    private readonly MiniHttpServer _server;
    private int _disposed;

    public Ec2Endpoint(Ec2EndpointOptions? options = null)
    {
        _options = options ?? new Ec2EndpointOptions();
        _state = new Ec2State(_options.AccountId, _options.Region);
        _backing = _options.Backing switch
        {
            BackingMode.Podman => new PodmanBacking(_state, _options, Verbose, Warn),
            _ => new SimulatedBacking(_state, _options.RecordGuestConnections ? _guestConnections : null),
        };
        _api = new Ec2Api(_state, _options, _backing);
        _server = new MiniHttpServer(IPAddress.Loopback, _options.Port, HandleAsync, Verbose);
    }

    /// <summary>The port the server listens on (valid after <see cref="StartAsync"/>).</summary>
    public int Port => _server.Port;

    /// <summary>http://127.0.0.1:PORT/ — the ServiceURL to give the SDK.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    private readonly GuestConnectionLog _guestConnections = new();

    /// <summary>Instance ids, one per TCP connection made to a simulated guest's SSH address (with <see cref="Ec2EndpointOptions.RecordGuestConnections"/>).</summary>
    public IReadOnlyList<string> GuestConnections => _guestConnections.Snapshot();

    /// <summary>The EC2 requests received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _hooks.Requests;

    public void ClearRequests() => _hooks.ClearRequests();

    /// <summary>Makes the next <paramref name="count"/> calls of <paramref name="action"/> ("*" for any) fail with <paramref name="code"/>.</summary>
    public void InjectFault(string action, string code, int count, string? message = null, int? statusCode = null) =>
        _hooks.AddFault(new Fault
        {
            Action = action,
            Code = code,
            Message = message ?? TestHooks.DefaultMessage(code),
            StatusCode = statusCode ?? Ec2Error.DefaultStatusFor(code),
            Remaining = count,
        });

    /// <summary>Forgets all resources, requests and faults (and removes backing containers).</summary>
    public async Task ResetAsync()
    {
        await _backing.RemoveAllAsync().ConfigureAwait(false);
        lock (_state.Gate)
        {
            _state.Reset();
        }

        _hooks.ClearRequests();
        _hooks.ClearFaults();
    }

    public async Task StartAsync()
    {
        if (_backing is PodmanBacking podman)
        {
            await podman.RemoveOrphansAsync().ConfigureAwait(false);
        }

        _server.Start();
    }

    private void Verbose(string message)
    {
        if (_options.Verbose)
        {
            Warn(message);
        }
    }

    private void Warn(string message)
    {
        lock (_options.Log)
        {
            _options.Log.WriteLine("ec2-endpoint: " + message);
            _options.Log.Flush();
        }
    }

    private async Task<HttpResponseData> HandleAsync(HttpRequestData request, CancellationToken ct)
    {
        if (request.Path.StartsWith("/_test/", StringComparison.Ordinal) || request.Path == "/_test")
        {
            return await HandleTestHookAsync(request).ConfigureAwait(false);
        }

        return HandleEc2(request);
    }

    // ---- the EC2 Query API -------------------------------------------------------------------------

    private HttpResponseData HandleEc2(HttpRequestData request)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        var now = _options.TimeProvider.GetUtcNow();

        if (request.Method is not ("POST" or "GET"))
        {
            return HttpResponseData.Text(405, "Method Not Allowed");
        }

        var pairs = new List<KeyValuePair<string, string>>();
        pairs.AddRange(QueryParameters.Parse(request.Query).All);
        var contentType = request.Header("Content-Type") ?? string.Empty;
        if (request.Method == "POST" && (contentType.Length == 0 || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)))
        {
            pairs.AddRange(QueryParameters.Parse(Encoding.UTF8.GetString(request.Body)).All);
        }

        var parameters = new QueryParameters(pairs);
        var action = parameters.Get("Action") ?? string.Empty;

        string? accessKey = null;
        RecordedRequest? record = null;
        HttpResponseData response;
        try
        {
            try
            {
                var auth = SigV4.Parse(request.Header("Authorization"));
                accessKey = auth.AccessKeyId;
                if (_options.Auth == AuthMode.Signature)
                {
                    if (auth.AccessKeyId != _options.AccessKeyId)
                    {
                        throw Ec2Error.Of("AuthFailure", "AWS was not able to validate the provided access credentials");
                    }

                    SigV4.Verify(request, auth, _options.SecretAccessKey);
                }
            }
            finally
            {
                record = _hooks.Record(action, parameters.All, accessKey, requestId, now);
            }

            if (action.Length == 0)
            {
                throw Ec2Error.Of("MissingAction", "The request must contain the parameter Action");
            }

            if (_hooks.TakeFault(action) is { } fault)
            {
                throw new Ec2Error(fault.Code, fault.Message, fault.StatusCode);
            }

            var body = _api.Execute(action, parameters, new RequestContext(requestId, now));
            response = new HttpResponseData
            {
                StatusCode = 200,
                ContentType = XmlContentType,
                Body = body,
                Headers = [new("x-amzn-RequestId", requestId)],
            };
            record.StatusCode = 200;
        }
        catch (Ec2Error error)
        {
            response = new HttpResponseData
            {
                StatusCode = error.StatusCode,
                ContentType = XmlContentType,
                Body = Xml.Error(error.Code, error.Message, requestId),
                Headers = [new("x-amzn-RequestId", requestId)],
            };
            if (record is not null)
            {
                record.StatusCode = error.StatusCode;
                record.ErrorCode = error.Code;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        Verbose($"{request.Method} {(action.Length == 0 ? "(no action)" : action)} -> {response.StatusCode}{(record?.ErrorCode is { } code ? " " + code : string.Empty)} ({elapsed.TotalMilliseconds:0} ms)");
        return response;
    }

    // ---- test hooks ------------------------------------------------------------------------------

    private static HttpResponseData Json(int status, byte[] body) => new() { StatusCode = status, ContentType = JsonContentType, Body = body };

    private static HttpResponseData JsonError(int status, string message) =>
        Json(status, TestHooks.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteEndObject();
        }));

    private async Task<HttpResponseData> HandleTestHookAsync(HttpRequestData request)
    {
        var path = request.Path.TrimEnd('/');
        var query = QueryParameters.Parse(request.Query);
        switch (request.Method, path)
        {
            case ("GET", "/_test/requests"):
                {
                    var action = query.Get("action");
                    var list = _hooks.Requests.Where(r => action is null || r.Action == action);
                    return Json(200, TestHooks.RequestsJson(list));
                }

            case ("DELETE", "/_test/requests"):
                _hooks.ClearRequests();
                return Json(200, TestHooks.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("cleared", true);
                    w.WriteEndObject();
                }));

            case ("POST", "/_test/faults"):
                {
                    var action = query.Get("action");
                    var code = query.Get("code");
                    if (string.IsNullOrEmpty(action) || string.IsNullOrEmpty(code))
                    {
                        return JsonError(400, "action and code are required, e.g. /_test/faults?action=RunInstances&code=RequestLimitExceeded&count=2");
                    }

                    var count = 1;
                    if (query.Get("count") is { } c && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
                    {
                        return JsonError(400, "count must be a positive integer");
                    }

                    int? status = null;
                    if (query.Get("status") is { } s)
                    {
                        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var st) || st < 400 || st > 599)
                        {
                            return JsonError(400, "status must be an HTTP error status (400-599)");
                        }

                        status = st;
                    }

                    InjectFault(action, code, count, query.Get("message"), status);
                    var added = _hooks.Faults.Last();
                    return Json(200, TestHooks.Json(w => TestHooks.WriteFault(w, added)));
                }

            case ("GET", "/_test/faults"):
                return Json(200, TestHooks.FaultsJson(_hooks.Faults));

            case ("DELETE", "/_test/faults"):
                _hooks.ClearFaults();
                return Json(200, TestHooks.FaultsJson([]));

            case ("POST", "/_test/reset"):
                await ResetAsync().ConfigureAwait(false);
                return Json(200, TestHooks.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("reset", true);
                    w.WriteEndObject();
                }));

            case ("GET", "/_test/health"):
                return Json(200, TestHooks.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("status", "ok");
                    w.WriteString("backing", _backing.Name);
                    w.WriteEndObject();
                }));

            case ("GET", "/_test/instances"):
                return Json(200, TestHooks.Json(w =>
                {
                    w.WriteStartArray();
                    lock (_state.Gate)
                    {
                        var now = _options.TimeProvider.GetUtcNow();
                        foreach (var i in _state.Instances.Values.OrderBy(i => i.CreatedAt).ThenBy(i => i.LaunchIndex))
                        {
                            WriteInstance(w, i, now);
                        }
                    }

                    w.WriteEndArray();
                }));

            case ("POST", "/_test/images"):
                return AddImage(request.Body);
        }

        const string instancesPrefix = "/_test/instances/";
        if (request.Method == "GET" && path.StartsWith(instancesPrefix, StringComparison.Ordinal))
        {
            var rest = path[instancesPrefix.Length..].Split('/');
            lock (_state.Gate)
            {
                if (!_state.Instances.TryGetValue(rest[0], out var instance))
                {
                    return JsonError(404, $"no instance {rest[0]}");
                }

                var now = _options.TimeProvider.GetUtcNow();
                if (rest.Length == 1)
                {
                    return Json(200, TestHooks.Json(w => WriteInstance(w, instance, now)));
                }

                if (rest.Length == 2 && rest[1] == "ssh")
                {
                    return Json(200, TestHooks.Json(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("host", instance.SshHost);
                        w.WriteNumber("port", instance.SshPort);
                        w.WriteString("user", "admin");
                        w.WriteBoolean("ready", _api.StatusOk(instance, now));
                        w.WriteString("backing", _backing.Name);
                        w.WriteEndObject();
                    }));
                }
            }
        }

        return JsonError(404, $"no test hook {request.Method} {request.Path}");
    }

    private void WriteInstance(Utf8JsonWriter w, Instance i, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("instanceId", i.Id);
        w.WriteString("state", _api.StateOf(i, now).Name());
        w.WriteBoolean("statusOk", _api.StatusOk(i, now));
        w.WriteString("publicIp", i.PublicIp);
        w.WriteString("privateIp", i.PrivateIp);
        w.WriteString("sshHost", i.SshHost);
        w.WriteNumber("sshPort", i.SshPort);
        w.WriteString("container", i.ContainerName);
        w.WriteBoolean("consoleOutputReady", i.ConsoleOutput is not null || !i.WaitsForBacking);
        w.WriteEndObject();
    }

    private HttpResponseData AddImage(byte[] body)
    {
        string name;
        string architecture;
        string owner;
        DateTimeOffset created;
        string? description;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            name = root.GetProperty("name").GetString() ?? throw new KeyNotFoundException("name");
            architecture = root.TryGetProperty("architecture", out var a) ? a.GetString() ?? "x86_64" : "x86_64";
            owner = root.TryGetProperty("ownerId", out var o) ? o.GetString() ?? _options.AccountId : _options.AccountId;
            created = root.TryGetProperty("creationDate", out var c) ? c.GetDateTimeOffset() : _options.TimeProvider.GetUtcNow();
            description = root.TryGetProperty("description", out var d) ? d.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return JsonError(400, "expected JSON {\"name\":..,\"architecture\":\"x86_64|arm64\",\"ownerId\":..,\"creationDate\":..,\"description\":..}: " + ex.Message);
        }

        var image = new Image
        {
            Id = Ids.New("ami"),
            Name = name,
            OwnerId = owner,
            Architecture = architecture,
            CreationDate = created,
            Description = description ?? name,
            SnapshotId = Ids.New("snap"),
        };
        lock (_state.Gate)
        {
            _state.Images.Add(image);
        }

        return Json(200, TestHooks.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("imageId", image.Id);
            w.WriteEndObject();
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        await _backing.DisposeAsync().ConfigureAwait(false);
    }
}
