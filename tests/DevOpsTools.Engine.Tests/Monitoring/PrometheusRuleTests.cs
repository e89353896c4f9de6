using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Prometheus;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>
/// The files Install-Monitoring generates, checked by the real promtool (Debian's prometheus
/// package): accepted as configuration and rules, and the burn-rate alerts fire on a known series
/// (promtool test rules) and stay quiet on a healthy one.
/// </summary>
public sealed class PrometheusRuleTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "devopstools-promrules-" + Guid.NewGuid().ToString("N")[..8]);

    private static MonitoringRequest Request(params ServiceLevelObjective[] slos) => new()
    {
        Environment = "test",
        Probes = [new ProbeTargetSpec("shop", "http", "http://127.0.0.1:8080/healthz"), new ProbeTargetSpec("shop", "tcp", "127.0.0.1:5432")],
        MetricsTargets = [("shop", "127.0.0.1:8080")],
        Slos = slos,
        WebhookUrl = new Uri("https://hooks.example.com/T0/secret-token"),
    };

    private static ServiceLevelObjective Slo(string name, double objective, string window, int? latencyMs = null) =>
        ServiceLevelObjective.From(new SloSettings { Name = name, App = "shop", Objective = objective, Window = window, LatencyMs = latencyMs });

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void A_30_day_slo_records_every_window_of_the_burn_rate_table()
    {
        var slo = Slo("shop-availability", 99.9, "30d");
        Assert.Equal(["5m", "30m", "1h", "2h", "6h", "1d", "3d"], SloRuleFiles.Windows(slo));
        var rules = SloRuleFiles.Rules(Request(slo));
        Assert.Contains("slo:sli_error:ratio_rate1h{slo=\\\"shop-availability\\\"} > (14.4 * 0.001) and slo:sli_error:ratio_rate5m{slo=\\\"shop-availability\\\"} > (14.4 * 0.001)", rules, StringComparison.Ordinal);
        Assert.Contains("slo:sli_error:ratio_rate3d{slo=\\\"shop-availability\\\"} > (1 * 0.001) and slo:sli_error:ratio_rate6h{slo=\\\"shop-availability\\\"} > (1 * 0.001)", rules, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Promtool_accepts_the_generated_configuration_and_rules()
    {
        var promtool = Promtool();
        var files = PrometheusConfigFiles.All(Request(Slo("shop-availability", 99.9, "30d"), Slo("shop-latency", 99, "7d", 300)));
        foreach (var (name, content) in files)
        {
            SecureFiles.WritePrivateFile(Path.Combine(_dir, name), content);
        }

        var config = await ExternalProcess.RunAsync(promtool, ["check", "config", Path.Combine(_dir, PrometheusConfigFiles.PrometheusFile)], CancellationToken.None);
        Assert.True(config.Succeeded, config.StdOut + config.StdErr);
        var rules = await ExternalProcess.RunAsync(promtool, ["check", "rules", Path.Combine(_dir, PrometheusConfigFiles.RulesFile)], CancellationToken.None);
        Assert.True(rules.Succeeded, rules.StdOut + rules.StdErr);
        Assert.Matches(@"SUCCESS: \d+ rules found", rules.StdOut);
    }

    [SkippableFact]
    public async Task The_page_and_ticket_alerts_fire_on_a_failing_series_and_not_on_a_healthy_one()
    {
        var promtool = Promtool();
        SecureFiles.WritePrivateFile(Path.Combine(_dir, "slo.yml"), SloRuleFiles.Rules(Request(Slo("shop-availability", 99.9, "30d"))));
        // Every probe fails from minute 0: after 65 minutes the 1h/5m pair (14.4x) pages and the 1d/2h
        // pair (3x) tickets, since a ratio of 1 is a burn rate of 1,000. A healthy series fires nothing.
        const string Summary = "shop: SLO shop-availability (99.9% over 30d) burns its error budget too fast";
        var test = $$"""
            rule_files: [slo.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'probe_success{job="blackbox-http",app="shop",environment="test",instance="http://127.0.0.1:8080/healthz"}'
                    values: '0x70'
                alert_rule_test:
                  - eval_time: 65m
                    alertname: SloErrorBudgetBurn
                    exp_alerts:
                      - exp_labels: {severity: page, slo: shop-availability, app: shop, environment: test}
                        exp_annotations: {summary: "{{Summary}} (page)", description: "Error ratio 100% over the alert's windows."}
                      - exp_labels: {severity: ticket, slo: shop-availability, app: shop, environment: test}
                        exp_annotations: {summary: "{{Summary}} (ticket)", description: "Error ratio 100% over the alert's windows."}
              - interval: 1m
                input_series:
                  - series: 'probe_success{job="blackbox-http",app="shop",environment="test",instance="http://127.0.0.1:8080/healthz"}'
                    values: '1x70'
                alert_rule_test:
                  - eval_time: 65m
                    alertname: SloErrorBudgetBurn
                    exp_alerts: []
            """;
        File.WriteAllText(Path.Combine(_dir, "slo.test.yml"), test);
        var result = await ExternalProcess.RunAsync(promtool, ["test", "rules", Path.Combine(_dir, "slo.test.yml")], CancellationToken.None);
        Assert.True(result.Succeeded, result.StdOut + result.StdErr);
    }

    [Fact]
    public void The_webhook_url_is_in_alertmanager_yml_and_the_diff_hides_it()
    {
        var text = PrometheusConfigFiles.Alertmanager(Request());
        Assert.Contains("url: \"https://hooks.example.com/T0/secret-token\"", text, StringComparison.Ordinal);
        var diff = ConfigDiff.Of("alertmanager.yml", "route:\n  receiver: \"none\"\n", text, MonitoringInstaller.HideUrls);
        Assert.DoesNotContain("secret-token", diff, StringComparison.Ordinal);
        Assert.Contains("+        url: (hidden)", diff, StringComparison.Ordinal);
        Assert.Contains("-  receiver: \"none\"", diff, StringComparison.Ordinal);
        Assert.Contains("+  receiver: \"webhook\"", diff, StringComparison.Ordinal);
    }

    private static string Promtool()
    {
        var path = ExternalProcess.FindOnPath("promtool");
        Skip.If(path is null, "promtool (Debian package prometheus) is not installed");
        return path!;
    }
}
