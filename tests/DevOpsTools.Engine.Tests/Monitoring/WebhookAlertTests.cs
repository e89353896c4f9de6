using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Alerts;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>-NotifyWebhook: the once-per-change state machine, its stored state, the body shapes and a failed post.</summary>
public sealed class WebhookAlertTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "slw-alerts-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static ServiceStats Stats(ServiceStatus status, string? reason = null, SloResult? slo = null, string target = "http://127.0.0.1:8080/healthz") => new()
    {
        Service = "api",
        Environment = "prod",
        Target = target,
        Status = status,
        Reason = reason,
        Availability = status == ServiceStatus.Down ? 0 : 0.95,
        ErrorRate = status == ServiceStatus.Down ? 1 : 0.05,
        Requests = 200,
        LatencyP99 = 12.5,
        Slo = slo?.Name,
        BurnRate = slo?.BurnRate,
        ErrorBudgetRemaining = slo?.ErrorBudgetRemaining,
        SloBreached = slo?.Breached ?? false,
        Slos = slo is null ? [] : [slo],
    };

    private static readonly SloResult Breach = SloResult.Evaluate(
        ServiceLevelObjective.From(new SloSettings { Name = "api-availability", App = "api", Objective = 99 }), 200, 10);

    [Theory]
    [InlineData(null, ServiceStatus.Healthy, false, AlertTransition.None)]
    [InlineData(null, ServiceStatus.Degraded, false, AlertTransition.Fired)]
    [InlineData(null, ServiceStatus.Down, false, AlertTransition.Fired)]
    [InlineData(null, ServiceStatus.Healthy, true, AlertTransition.Fired)]
    [InlineData(false, ServiceStatus.Degraded, false, AlertTransition.Fired)]
    [InlineData(true, ServiceStatus.Degraded, false, AlertTransition.None)]
    [InlineData(true, ServiceStatus.Down, false, AlertTransition.None)]
    [InlineData(true, ServiceStatus.Healthy, false, AlertTransition.Resolved)]
    [InlineData(false, ServiceStatus.Healthy, false, AlertTransition.None)]
    public void Fires_once_per_change_and_resolves_when_healthy(bool? last, ServiceStatus status, bool breached, AlertTransition expected)
    {
        var stats = Stats(status, slo: breached ? Breach : null);
        Assert.Equal(expected, AlertRules.Decide(last, stats));
    }

    [Fact]
    public void The_store_remembers_delivered_alerts_per_target_across_loads()
    {
        var data = new ModuleData(_root);
        var store = AlertStateStore.Load(data);
        var degraded = new[] { Stats(ServiceStatus.Degraded, "error rate 5.00 %"), Stats(ServiceStatus.Degraded, "error rate 5.00 %", target: "http://127.0.0.1:8081/") };
        var pending = AlertRules.Pending(degraded, store);
        Assert.Equal(2, pending.Count);
        Assert.All(pending, n => Assert.Equal(AlertTransition.Fired, n.Transition));

        // Only the first was delivered: the second stays pending for the next run.
        store.Record(pending[0]);
        store.Save();
        var again = AlertStateStore.Load(data);
        var next = AlertRules.Pending(degraded, again);
        Assert.Equal(degraded[1].Target, Assert.Single(next).Stats.Target);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(again.Path));
        }

        var healthy = AlertRules.Pending([Stats(ServiceStatus.Healthy)], again);
        Assert.Equal(AlertTransition.Resolved, Assert.Single(healthy).Transition);
    }

    [Fact]
    public void A_corrupt_state_file_is_an_error_naming_it()
    {
        var path = Path.Combine(_root, "monitoring", "alert-state.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{not json");
        var error = Assert.Throws<DevOpsToolsException>(() => AlertStateStore.Load(new ModuleData(_root)));
        Assert.Equal(ErrorIds.WebhookStateInvalid, error.ErrorId);
    }

    [Fact]
    public void The_generic_body_carries_status_names_figures_and_reason()
    {
        var notice = new AlertNotice(AlertTransition.Fired, Stats(ServiceStatus.Degraded, "error rate 5.00 %", Breach), "k");
        var body = JsonNode.Parse(WebhookBodies.Build(notice, WebhookFormat.Generic, DateTimeOffset.UnixEpoch).ToJsonString())!;
        Assert.Equal("fired", (string?)body["status"]);
        Assert.Equal("Degraded", (string?)body["state"]);
        Assert.Equal("api", (string?)body["service"]);
        Assert.Equal("prod", (string?)body["environment"]);
        Assert.Equal("http://127.0.0.1:8080/healthz", (string?)body["target"]);
        Assert.Equal(0.95, (double?)body["figures"]!["availability"]);
        Assert.Equal(0.05, (double?)body["figures"]!["errorRate"]);
        Assert.Equal(12.5, (double?)body["figures"]!["latencyP99Ms"]);
        Assert.Equal(Breach.BurnRate!.Value, (double)body["figures"]!["burnRate"]!, 6);
        Assert.Equal(Breach.ErrorBudgetRemaining!.Value, (double)body["figures"]!["errorBudgetRemaining"]!, 6);
        Assert.Equal("error rate 5.00 %", (string?)body["reason"]);
        Assert.Equal("1970-01-01T00:00:00.0000000+00:00", (string?)body["time"]);
    }

    [Fact]
    public void Slack_and_Teams_bodies_have_their_receivers_shapes()
    {
        var notice = new AlertNotice(AlertTransition.Resolved, Stats(ServiceStatus.Healthy), "k");
        var slack = JsonNode.Parse(WebhookBodies.Build(notice, WebhookFormat.Slack, DateTimeOffset.UtcNow).ToJsonString())!;
        Assert.Equal("[RESOLVED] prod/api is Healthy", (string?)slack["text"]);
        var blocks = slack["blocks"]!.AsArray();
        Assert.Equal(["header", "section", "context"], blocks.Select(b => (string?)b!["type"]));
        Assert.Contains(blocks[1]!["fields"]!.AsArray(), f => ((string?)f!["text"])!.StartsWith("*Availability*\n95.00 %", StringComparison.Ordinal));

        var teams = JsonNode.Parse(WebhookBodies.Build(notice, WebhookFormat.Teams, DateTimeOffset.UtcNow).ToJsonString())!;
        Assert.Equal("MessageCard", (string?)teams["@type"]);
        Assert.Equal("https://schema.org/extensions", (string?)teams["@context"]);
        Assert.Equal("[RESOLVED] prod/api is Healthy", (string?)teams["summary"]);
        Assert.Contains(teams["sections"]![0]!["facts"]!.AsArray(), f => (string?)f!["name"] == "Error rate" && (string?)f["value"] == "5.00 %");
    }

    [Theory]
    [InlineData("https://hooks.example.test/services/T/B/x", true)]
    [InlineData("http://127.0.0.1:9/hook", true)]
    [InlineData("ftp://127.0.0.1/hook", false)]
    [InlineData("file:///etc/passwd", false)]
    [InlineData("/relative/hook", false)]
    public void Only_http_and_https_urls_are_webhooks(string url, bool valid) =>
        Assert.Equal(valid, WebhookNotifier.ParseUrl(url) is not null);

    [Fact]
    public async Task A_failed_post_names_the_host_never_the_token()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = new Uri($"http://127.0.0.1:{port}/services/secret-token?sig=also-secret");
        var notice = new AlertNotice(AlertTransition.Fired, Stats(ServiceStatus.Down, "connection refused"), "k");
        var error = await WebhookNotifier.PostAsync(url, notice, WebhookFormat.Generic, EngineContext.Silent());
        Assert.NotNull(error);
        Assert.Equal(ErrorIds.WebhookPostFailed, error.ErrorId);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }
}
