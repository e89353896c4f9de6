using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DevOpsTools.StatsEndpoint;

/// <summary>
/// A Kestrel server on 127.0.0.1 whose latency and error mix is known exactly, so tests can
/// assert percentiles and error rates:
///   GET /mix?key=K&amp;fail=F&amp;slow=S&amp;fastMs=A&amp;slowMs=B
///     request n (counted per key, from 0) answers 503 when n % 100 &lt; F, after B ms when
///     n % 100 &gt;= 100 - S, else 200 after A ms. Over a multiple of 100 requests: exactly F % errors, S % slow.
///   GET /status/{code}: that status, body "status {code}".
///   GET /healthz: 200 "ok".
///   GET /metrics: the server's own request counter and latency histogram (RequestMetrics).
///   POST /hook/{name}?answer=C: a webhook receiver; records the body and answers C (200 by default).
///   POST /switch/{name}?fail=F, then GET /switch/{name}: like /mix, F % of each 100 requests
///     answer 503, counted afresh after every POST (a service that turns unhealthy and back).
///   GET /hook/{name}: what was posted there, as a JSON array of {answer, body}.
/// Over HTTPS too, with a self-signed certificate of a known lifetime (TLS expiry tests).
/// </summary>
public static partial class StatsEndpointServer
{
    /// <summary>Starts the server; with <paramref name="certificateDays"/> it serves HTTPS with a self-signed certificate valid that many days.</summary>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(int port = 0, int? certificateDays = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, listen =>
        {
            if (certificateDays is { } days)
            {
                listen.UseHttps(SelfSignedCertificate(days));
            }
        }));
        var app = builder.Build();
        new RequestMetrics().Instrument(app);
        var counters = new ConcurrentDictionary<string, StrongBox>();

        app.MapGet("/healthz", () => "ok");
        app.MapGet("/status/{code:int}", (int code) => Results.Text($"status {code}", statusCode: code));
        var hooks = new ConcurrentDictionary<string, ConcurrentQueue<HookPost>>();
        app.MapPost("/hook/{name}", async (HttpContext http, string name, int? answer) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            hooks.GetOrAdd(name, _ => new ConcurrentQueue<HookPost>()).Enqueue(new HookPost(answer ?? 200, body));
            return Results.Text("recorded", statusCode: answer ?? 200);
        });
        app.MapGet("/hook/{name}", (string name) =>
            Results.Json(hooks.TryGetValue(name, out var posts) ? posts.ToArray() : [], HookJson.Default.HookPostArray));
        var switches = new ConcurrentDictionary<string, StrongBox>();
        var switchFail = new ConcurrentDictionary<string, int>();
        app.MapPost("/switch/{name}", (string name, int? fail) =>
        {
            switchFail[name] = fail ?? 0;
            switches[name] = new StrongBox();
            return Results.Text("set");
        });
        app.MapGet("/switch/{name}", (string name) =>
        {
            var n = Interlocked.Increment(ref switches.GetOrAdd(name, _ => new StrongBox()).Value) - 1;
            return n % 100 < switchFail.GetValueOrDefault(name) ? Results.Text("failed on purpose", statusCode: 503) : Results.Text("ok");
        });
        app.MapGet("/mix", async (HttpContext http, string? key, int? fail, int? slow, int? fastMs, int? slowMs) =>
        {
            var box = counters.GetOrAdd(key ?? "", _ => new StrongBox());
            var n = Interlocked.Increment(ref box.Value) - 1;
            var slot = (int)(n % 100);
            if (slot < (fail ?? 0))
            {
                return Results.Text("failed on purpose", statusCode: 503);
            }

            var delay = slot >= 100 - (slow ?? 0) ? slowMs ?? 0 : fastMs ?? 0;
            if (delay > 0)
            {
                // Timers run on a coarse clock and may fire up to a millisecond early: wait out
                // the rest, so that an answer is never faster than asked (the tests bound
                // percentiles from below by the delay).
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await Task.Delay(delay, http.RequestAborted);
                while (System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds < delay)
                {
                    await Task.Delay(1, http.RequestAborted);
                }
            }

            return Results.Text("ok");
        });

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.TrimEnd('/'));
    }

    private static X509Certificate2 SelfSignedCertificate(int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(days));
        // Kestrel needs the private key in a form the platform's TLS can use: a PKCS#12 round trip.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    internal sealed record HookPost(int Answer, string Body);

    [System.Text.Json.Serialization.JsonSerializable(typeof(HookPost[]))]
    internal sealed partial class HookJson : System.Text.Json.Serialization.JsonSerializerContext
    {
    }

    private sealed class StrongBox
    {
        public long Value;
    }
}
