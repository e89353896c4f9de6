using System.Diagnostics;
using System.Globalization;
using System.Text;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;
using Xunit.Abstractions;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>
/// Engine-only fleet benchmark (run with DEVOPSTOOLS_BENCH=1, optional DEVOPSTOOLS_BENCH_N=1,5,10):
/// N fresh Podman servers, Set-Hardening's engine first run, idempotent re-run and Test, over
/// podman exec; then Debian's Ansible with bench/ansible/hardening.yml against N other fresh
/// servers over real SSH. Writes out/bench/hardening-engine.md. bench/hardening.ps1 measures
/// the cmdlets over SSH once New-Server exists.
/// </summary>
[Collection("Podman hardening")]
[Trait("Category", "Bench")]
public class HardeningBenchmark(PodmanServerFixture fixture, ITestOutputHelper log)
{
    [SkippableFact]
    public async Task Fleet_timings_engine_versus_ansible()
    {
        Skip.If(Environment.GetEnvironmentVariable("DEVOPSTOOLS_BENCH") is null, "set DEVOPSTOOLS_BENCH=1 to run the benchmark");
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var sizes = (Environment.GetEnvironmentVariable("DEVOPSTOOLS_BENCH_N") ?? "1,5,10").Split(',').Select(int.Parse).ToList();
        var root = FindRoot();
        var rows = new StringBuilder();
        rows.AppendLine("| N | engine first run | engine re-run | engine re-run per server | engine Test | ansible first run | ansible re-run | speed-up first run | speed-up re-run |");
        rows.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var n in sizes)
        {
            var servers = await CreateManyAsync(n);
            var factory = new Routing(servers.ToDictionary(s => s.Server.Name, s => (IRemoteShellFactory)s));
            var engine = new HardeningEngine(factory, new TestSink(log), new HardeningRunOptions { ThrottleLimit = 16 });
            var profile = HardeningProfile.BuiltIn("Baseline");
            var list = servers.Select(s => s.Server).ToList();
            var first = await Time(() => engine.RunAsync(list, profile, HardeningMode.Apply, default));
            var again = await Time(() => engine.RunAsync(list, profile, HardeningMode.Apply, default));
            var test = await Time(() => engine.RunAsync(list, profile, HardeningMode.Test, default));
            Assert.All(first.Result.Reports, r => Assert.Equal(0, r.Failed));
            Assert.All(again.Result.Reports, r => Assert.Equal(0, r.Changed));
            Assert.Equal(n, test.Result.Reports.Count(r => r.Score == 100));
            await fixture.RemoveAsync(servers);

            var targets = await CreateManyAsync(n);
            var inventory = Path.Combine(Path.GetTempPath(), $"hardening-bench-{n}.ini");
            await File.WriteAllLinesAsync(inventory, ["[servers]", .. targets.Select(t =>
                $"{t.Server.Name} ansible_host=127.0.0.1 ansible_port={t.Server.SshPort} ansible_user=admin ansible_ssh_private_key_file={fixture.KeyPath}")]);
            var a1 = await Ansible(root, inventory);
            var a2 = await Ansible(root, inventory);
            Assert.True(a1.ExitCode == 0, "ansible failed: " + Tail(a1.StdOut));
            Assert.True(a2.ExitCode == 0, "ansible re-run failed: " + Tail(a2.StdOut));
            log.WriteLine(Tail(a2.StdOut));
            await fixture.RemoveAsync(targets);

            rows.AppendLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:F1} s | {2:F2} s | {3:F2} s | {4:F2} s | {5:F1} s | {6:F1} s | {7:F1}x | {8:F1}x |",
                n, first.Seconds, again.Seconds, again.Seconds / n, test.Seconds, a1.Duration.TotalSeconds, a2.Duration.TotalSeconds,
                a1.Duration.TotalSeconds / first.Seconds, a2.Duration.TotalSeconds / again.Seconds));
            log.WriteLine(rows.ToString());
        }

        var outDir = Path.Combine(root, "out", "bench");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "hardening-engine.md"), rows.ToString());
    }

    private async Task<List<TestServer>> CreateManyAsync(int n)
    {
        var tasks = Enumerable.Range(0, n).Select(_ => fixture.CreateAsync()).ToList();
        return [.. await Task.WhenAll(tasks)];
    }

    private static async Task<(T Result, double Seconds)> Time<T>(Func<Task<T>> work)
    {
        var clock = Stopwatch.StartNew();
        var result = await work();
        return (result, clock.Elapsed.TotalSeconds);
    }

    private static Task<Podman.Result> Ansible(string root, string inventory)
    {
        var dir = Path.Combine(root, "bench", "ansible");
        return Podman.ExecAsync("env", [$"ANSIBLE_CONFIG={Path.Combine(dir, "ansible.cfg")}", "ansible-playbook", "-i", inventory, Path.Combine(dir, "hardening.yml")], null, TimeSpan.FromMinutes(30), default);
    }

    private static string Tail(string s) => s.Length > 3000 ? s[^3000..] : s;

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DevOpsTools.psd1")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir!;
    }

    private sealed class Routing(Dictionary<string, IRemoteShellFactory> map) : IRemoteShellFactory
    {
        public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken) => map[server.Name].OpenAsync(server, cancellationToken);

        public Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken) => map[server.Name].CanLoginAsync(server, cancellationToken);
    }
}
