using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Monitoring.Slo;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>-FailOn's check: which results fail each gate, and the error naming them.</summary>
public sealed class HealthGateTests
{
    private static ServiceStats Stats(string service, ServiceStatus status, string? reason = null, SloResult? slo = null) => new()
    {
        Service = service,
        Environment = "prod",
        Target = $"http://127.0.0.1:8080/{service}",
        Status = status,
        Reason = reason,
        SloBreached = slo?.Breached ?? false,
        Slos = slo is null ? [] : [slo],
    };

    private static readonly SloResult Breach = SloResult.Evaluate(
        ServiceLevelObjective.From(new SloSettings { Name = "api-availability", App = "api", Objective = 99.9 }), 200, 10);

    [Fact]
    public void Every_gate_passes_healthy_services()
    {
        var results = new[] { Stats("api", ServiceStatus.Healthy), Stats("web", ServiceStatus.Healthy) };
        Assert.All(Enum.GetValues<HealthGate>(), gate => Assert.Null(HealthGates.Check(results, gate)));
    }

    [Fact]
    public void Degraded_fails_degraded_and_down_services_and_Down_only_down_ones()
    {
        var results = new[] { Stats("api", ServiceStatus.Degraded, "error rate 5.00 % is above 1.00 %"), Stats("web", ServiceStatus.Down, "all 3 requests failed") };

        var degraded = HealthGates.Check(results, HealthGate.Degraded)!;
        Assert.Equal(ErrorIds.ServiceDegraded, degraded.ErrorId);
        Assert.Contains("prod/api (http://127.0.0.1:8080/api) is Degraded: error rate 5.00 % is above 1.00 %", degraded.Message);
        Assert.Contains("prod/web", degraded.Message);
        Assert.StartsWith("2 of 2 services are not healthy", degraded.Message);

        var down = HealthGates.Check(results, HealthGate.Down)!;
        Assert.Equal(ErrorIds.ServiceDown, down.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, down.Kind);
        Assert.DoesNotContain("prod/api", down.Message);
        Assert.Contains("prod/web", down.Message);
    }

    [Fact]
    public void SloBreach_names_the_slo_its_figure_and_its_objective()
    {
        var results = new[] { Stats("api", ServiceStatus.Degraded, Breach.Describe(), Breach), Stats("web", ServiceStatus.Degraded, "p99 above") };

        var error = HealthGates.Check(results, HealthGate.SloBreach)!;
        Assert.Equal(ErrorIds.SloBreached, error.ErrorId);
        Assert.Equal(ErrorKind.LimitsExceeded, error.Kind);
        Assert.Contains("SLO 'api-availability' breached: 95.00 % good (10 of 200 failed), objective 99.9 %, burn rate 50.0x", error.Message);
        Assert.DoesNotContain("prod/web", error.Message);
    }
}
