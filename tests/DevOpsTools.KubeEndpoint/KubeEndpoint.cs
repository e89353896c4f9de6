using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DevOpsTools.KubeEndpoint.Api;
using DevOpsTools.KubeEndpoint.Controllers;
using DevOpsTools.KubeEndpoint.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DevOpsTools.KubeEndpoint;

/// <summary>
/// The endpoint: Kestrel on 127.0.0.1, bearer-token authentication, discovery, the resource verbs,
/// and the simulated controllers that make deployments roll out. Host it in-process or through the
/// console program.
/// </summary>
public sealed class KubeEndpoint : IAsyncDisposable
{
    private readonly KubeEndpointOptions _options;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ResourceApi _api;
    private readonly TestHooks _hooks;
    private readonly ControllerLoop _controllers;
    private WebApplication? _app;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    public KubeEndpoint(KubeEndpointOptions options, TimeProvider? time = null)
    {
        _options = options;
        Store = new ObjectStore(options.WatchHistory, time ?? TimeProvider.System);
        Logs = new LogBook();
        var writes = new Writes(Store);
        _api = new ResourceApi(Store, writes, new WatchStreamer(Store, options, _shutdown.Token), new PodLogStreamer(Store, Logs, _shutdown.Token));
        _hooks = new TestHooks(Store);
        _controllers = new ControllerLoop(Store, Logs, options);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } };
            Defaults.Apply(ResourceCatalog.Namespaces, obj, () => 0);
            obj["status"] = new JsonObject { ["phase"] = "Active" };
            Store.Create(ResourceCatalog.Namespaces, obj);
        }
    }

    public Uri BaseUri { get; private set; } = null!;

    public ObjectStore Store { get; }

    public LogBook Logs { get; }

    public KubeEndpointOptions Options => _options;

    /// <summary>The serving certificate (self-signed, for 127.0.0.1 and localhost) in PEM; null with <see cref="KubeEndpointOptions.PlainHttp"/>.</summary>
    public string? CertificatePem => _certificate?.ExportCertificatePem();

    /// <summary>
    /// A kubeconfig for this endpoint: the server URL, its certificate as certificate-authority-data
    /// and the token, with one context named <c>kube-endpoint</c>.
    /// </summary>
    public string Kubeconfig(string defaultNamespace = "default")
    {
        var ca = CertificatePem is { } pem ? $"\n    certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(pem))}" : string.Empty;
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-endpoint
              cluster:
                server: {BaseUri.GetLeftPart(UriPartial.Authority)}{ca}
            users:
            - name: kube-endpoint
              user:
                token: {_options.Token}
            contexts:
            - name: kube-endpoint
              context:
                cluster: kube-endpoint
                user: kube-endpoint
                namespace: {defaultNamespace}
            current-context: kube-endpoint

            """;
    }

    public async Task StartAsync()
    {
        if (!_options.PlainHttp)
        {
            _certificate = SelfSigned.Create();
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, _options.Port, listen =>
            {
                if (!_options.PlainHttp)
                {
                    listen.UseHttps(_certificate!);
                }
            });
            k.AllowSynchronousIO = false;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(new Uri(address).GetLeftPart(UriPartial.Authority) + "/");
        _controllers.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _controllers.StopAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _shutdown.Dispose();
        _certificate?.Dispose();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (ctx.Request.Headers.Authorization.ToString() != $"Bearer {_options.Token}")
            {
                throw new ApiException(401, "Unauthorized", "Unauthorized");
            }

            await RouteAsync(ctx).ConfigureAwait(false);
        }
        catch (ApiException ex) when (!ctx.Response.HasStarted)
        {
            await Http.WriteJsonAsync(ctx, ex.Code, ex.ToStatus()).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested || _shutdown.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not ApiException && !ctx.Response.HasStarted)
        {
            await Console.Error.WriteLineAsync($"kube-endpoint: {ctx.Request.Method} {ctx.Request.Path}: {ex}").ConfigureAwait(false);
            await Http.WriteJsonAsync(ctx, 500, ApiException.StatusObject(500, "InternalError", $"Internal error occurred: {ex.Message}")).ConfigureAwait(false);
        }
        finally
        {
            if (_options.Verbose)
            {
                await Console.Error.WriteLineAsync($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString} {ctx.Request.ContentType} -> {ctx.Response.StatusCode} ({clock.ElapsedMilliseconds} ms)").ConfigureAwait(false);
            }
        }
    }

    private async Task RouteAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value?.TrimEnd('/') ?? string.Empty;
        var parts = path.Trim('/').Split('/');
        JsonNode? doc = path switch
        {
            "/version" => Discovery.Version(_options),
            "/api" => Discovery.CoreVersions(),
            "/apis" => Discovery.Groups(),
            _ when parts.Length == 2 && parts[0] == "api" => Discovery.Resources("", parts[1]),
            _ when parts.Length == 2 && parts[0] == "apis" => Discovery.GroupOnly(parts[1]),
            _ when parts.Length == 3 && parts[0] == "apis" => Discovery.Resources(parts[1], parts[2]),
            _ => null,
        };
        if (doc is not null && ctx.Request.Method == "GET")
        {
            await Http.WriteJsonAsync(ctx, 200, doc).ConfigureAwait(false);
            return;
        }

        if (path == "/openapi/v2" && ctx.Request.Method == "GET")
        {
            if (ctx.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal))
            {
                ctx.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
                await ctx.Response.Body.WriteAsync(OpenApi.V2Protobuf()).ConfigureAwait(false);
                return;
            }

            await Http.WriteJsonAsync(ctx, 200, OpenApi.V2Json()).ConfigureAwait(false);
            return;
        }

        if (path.StartsWith("/openapi/v3", StringComparison.Ordinal) && ctx.Request.Method == "GET")
        {
            var rest = path["/openapi/v3".Length..].Trim('/');
            var openapi = rest.Length == 0 ? OpenApi.V3Index() : OpenApi.V3GroupVersion(rest);
            if (openapi is not null)
            {
                await Http.WriteJsonAsync(ctx, 200, openapi).ConfigureAwait(false);
                return;
            }
        }

        if (path is "/healthz" or "/readyz" or "/livez")
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("ok").ConfigureAwait(false);
            return;
        }

        if (path.StartsWith("/_test/", StringComparison.Ordinal))
        {
            await _hooks.HandleAsync(ctx, path["/_test/".Length..]).ConfigureAwait(false);
            return;
        }

        if (ResourcePath.Parse(path) is { } rp)
        {
            _hooks.CheckAllowed(ctx, rp);
            await _api.HandleAsync(ctx, rp).ConfigureAwait(false);
            return;
        }

        throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
    }
}
