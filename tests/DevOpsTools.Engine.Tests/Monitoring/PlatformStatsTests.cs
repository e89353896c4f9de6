using System.Text.Json;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Monitoring.Platform;

namespace DevOpsTools.Engine.Tests.Monitoring;

/// <summary>
/// The stats step's output as podman 4.3 prints it (the shapes of podman container inspect and
/// podman stats --no-stream --format json), the /proc fallback, and how replicas weigh on the status.
/// </summary>
public sealed class PlatformStatsTests
{
    [Theory]
    [InlineData("593.9kB", 593_900L)]
    [InlineData("18.67MB", 18_670_000L)]
    [InlineData("25.28GB", 25_280_000_000L)]
    [InlineData("0B", 0L)]
    [InlineData("512B", 512L)]
    [InlineData("1.5MiB", 1_572_864L)]
    [InlineData(" 2kB ", 2_000L)]
    public void Sizes_read_as_podman_prints_them(string text, long bytes) => Assert.Equal(bytes, PodmanStatsOutput.Size(text));

    [Theory]
    [InlineData("--")]
    [InlineData("")]
    [InlineData("12 parsecs")]
    [InlineData(null)]
    public void A_size_that_is_not_one_is_null(string? text) => Assert.Null(PodmanStatsOutput.Size(text));

    [Theory]
    [InlineData("3.72%", 3.72)]
    [InlineData("0.00%", 0.0)]
    [InlineData("150.5%", 150.5)]
    public void Cpu_percent_reads_podman_s_figure(string text, double percent) => Assert.Equal(percent, PodmanStatsOutput.Percent(text));

    [Fact]
    public void Two_replicas_one_running_count_restarts_of_both_and_usage_of_the_running_one()
    {
        var output = Output(State(2, "dot-t-hello-r3-0", "dot-t-hello-r3-1"),
            Inspect(("dot-t-hello-r3-0", true, 2), ("dot-t-hello-r3-1", false, 5), ("dot-t-hello-r2-0", true, 9)),
            Stats(("dot-t-hello-r3-0", "3.72%", "18.67MB / 134.2MB"), ("dot-t-hello-r2-0", "1.00%", "1GB / 2GB")));

        var figures = PodmanStatsOutput.Figures(output, "podman");

        // r2-0 is an old revision's container still draining: not this revision's.
        Assert.Equal((1, 2, 7L), (figures.ReplicasReady, figures.ReplicasDesired, figures.Restarts));
        Assert.Equal(3.72, figures.CpuPercent);
        Assert.Equal(18_670_000L, figures.MemoryBytes);
        Assert.Null(figures.UsageSource);
        Assert.Empty(figures.Unavailable);
        Assert.Equal(PlatformRules.Names.Order(), PlatformRules.Sources(figures).Select(s => s.Key).Order());
        Assert.All(PlatformRules.Sources(figures), s => Assert.Equal("podman", s.Value));
    }

    [Fact]
    public void Without_podman_stats_memory_comes_from_proc_and_cpu_is_null_with_the_reason()
    {
        var output = Output(State(1, "dot-t-api-r1-0"), Inspect(("dot-t-api-r1-0", true, 0)), stats: null, proc: "dot-t-api-r1-0 19228\n");

        var figures = PodmanStatsOutput.Figures(output, "ssh");

        Assert.Equal((1, 1, 0L), (figures.ReplicasReady, figures.ReplicasDesired, figures.Restarts));
        Assert.Equal(19228L * 1024, figures.MemoryBytes);
        Assert.Equal("proc", figures.UsageSource);
        Assert.Null(figures.CpuPercent);
        Assert.Contains("cgroups", figures.Unavailable["CpuPercent"], StringComparison.Ordinal);
        Assert.Equal("proc", PlatformRules.Sources(figures).Single(s => s.Key == "MemoryBytes").Value);
        Assert.Equal("ssh", PlatformRules.Sources(figures).Single(s => s.Key == "Restarts").Value);
    }

    [Fact]
    public void Podman_stats_memory_wins_over_proc_s_one_process_figure()
    {
        var output = Output(State(1, "dot-t-api-r1-0"), Inspect(("dot-t-api-r1-0", true, 0)),
            Stats(("dot-t-api-r1-0", "0.50%", "20MB / 1GB")), proc: "dot-t-api-r1-0 1000\n");

        var figures = PodmanStatsOutput.Figures(output, "podman");

        Assert.Equal((0.5, 20_000_000L), (figures.CpuPercent, figures.MemoryBytes));
        Assert.Null(figures.UsageSource);
    }

    [Fact]
    public void No_container_left_is_zero_ready_and_no_usage()
    {
        var figures = PodmanStatsOutput.Figures(Output(State(2, "dot-t-w-r1-0", "dot-t-w-r1-1"), inspect: null, stats: null), "podman");

        Assert.Equal((0, 2, 0L), (figures.ReplicasReady, figures.ReplicasDesired, figures.Restarts));
        Assert.Null(figures.MemoryBytes);
        Assert.Equal("no instance is running", figures.Unavailable["MemoryBytes"]);
        Assert.Equal(ServiceStatus.Down, PlatformRules.Judge(figures).Status);
    }

    [Fact]
    public void An_app_without_state_has_no_figures_and_says_why()
    {
        var figures = PodmanStatsOutput.Figures("--- state\n--- inspect\n--- stats\n", "podman");

        Assert.All(PlatformRules.Names, n => Assert.Contains("no current revision", figures.Unavailable[n], StringComparison.Ordinal));
        Assert.Null(figures.ReplicasReady);
        Assert.Equal(ServiceStatus.Healthy, PlatformRules.Judge(figures).Status);
    }

    [Theory]
    [InlineData(2, 2, ServiceStatus.Healthy)]
    [InlineData(1, 2, ServiceStatus.Degraded)]
    [InlineData(0, 2, ServiceStatus.Down)]
    [InlineData(3, 2, ServiceStatus.Healthy)]
    public void Fewer_ready_than_desired_is_Degraded_and_none_is_Down_whatever_the_probe_saw(int ready, int desired, ServiceStatus expected)
    {
        var figures = new PlatformFigures { Source = "kubernetes", ReplicasReady = ready, ReplicasDesired = desired };

        var (status, reason) = PlatformRules.Combine((ServiceStatus.Healthy, null), figures);

        Assert.Equal(expected, status);
        if (expected == ServiceStatus.Healthy)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Equal($"{ready} of {desired} replicas ready (kubernetes)", reason);
        }
    }

    [Fact]
    public void The_worse_of_probe_and_platform_wins_with_both_reasons()
    {
        var figures = new PlatformFigures { Source = "podman", ReplicasReady = 1, ReplicasDesired = 2 };

        Assert.Equal((ServiceStatus.Down, "1 of 2 replicas ready (podman); all 5 requests failed"),
            PlatformRules.Combine((ServiceStatus.Down, "all 5 requests failed"), figures));
        Assert.Equal((ServiceStatus.Degraded, "error rate 5.00 %"), PlatformRules.Combine((ServiceStatus.Degraded, "error rate 5.00 %"), null));
    }

    [Fact]
    public void Pod_metrics_sum_cpu_and_memory_of_the_deployment_s_pods_only()
    {
        var list = JsonDocument.Parse("""
            {"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[
              {"metadata":{"name":"hello-abc"},"containers":[{"name":"hello","usage":{"cpu":"250m","memory":"64Mi"}}]},
              {"metadata":{"name":"hello-def"},"containers":[{"name":"hello","usage":{"cpu":"1500000n","memory":"1Gi"}}]},
              {"metadata":{"name":"other-xyz"},"containers":[{"name":"other","usage":{"cpu":"2","memory":"1Gi"}}]}]}
            """).RootElement;

        var (cpu, memory, why) = KubernetesPlatformStats.ParsePodMetrics(list, new HashSet<string> { "hello-abc", "hello-def" });

        Assert.Equal(25.15, cpu);
        Assert.Equal((64L << 20) + (1L << 30), memory);
        Assert.Null(why);
        Assert.NotNull(KubernetesPlatformStats.ParsePodMetrics(list, new HashSet<string> { "gone" }).Why);
    }

    private static string State(int replicas, params string[] containers)
    {
        var revision = new HostRevision { Revision = 3, Spec = new RevisionSpec { Image = "localhost/hello:1", Replicas = replicas } };
        revision.Containers.AddRange(containers);
        return new HostState { App = "hello", Environment = "t", Current = 3, Revisions = [revision] }.ToJson();
    }

    /// <summary>podman container inspect's array, with the fields the parser reads among others it ignores.</summary>
    private static string Inspect(params (string Name, bool Running, int Restarts)[] containers) =>
        JsonSerializer.Serialize(containers.Select(c => new Dictionary<string, object>
        {
            ["Id"] = Guid.NewGuid().ToString("N"),
            ["Name"] = c.Name,
            ["RestartCount"] = c.Restarts,
            ["State"] = new Dictionary<string, object> { ["Status"] = c.Running ? "running" : "exited", ["Running"] = c.Running, ["Pid"] = c.Running ? 4242 : 0 },
            ["Config"] = new Dictionary<string, object> { ["Labels"] = new Dictionary<string, string> { ["devopstools.role"] = "app" } },
        }), new JsonSerializerOptions { WriteIndented = true });

    /// <summary>podman stats --no-stream --format json's array (every figure a string, as podman 4.3 prints it).</summary>
    private static string Stats(params (string Name, string Cpu, string Memory)[] containers) =>
        JsonSerializer.Serialize(containers.Select(c => new Dictionary<string, string>
        {
            ["id"] = "3cc0edac3b6e", ["name"] = c.Name, ["cpu_time"] = "38.856095ms", ["cpu_percent"] = c.Cpu, ["avg_cpu"] = c.Cpu,
            ["mem_usage"] = c.Memory, ["mem_percent"] = "0.00%", ["net_io"] = "266B / 860B", ["block_io"] = "0B / 0B", ["pids"] = "1",
        }), new JsonSerializerOptions { WriteIndented = true });

    private static string Output(string state, string? inspect, string? stats, string? proc = null) =>
        $"--- state\n{state}\n--- inspect\n{inspect}\n--- stats\n{stats}\n" + (proc is null ? string.Empty : $"--- proc\n{proc}");
}
