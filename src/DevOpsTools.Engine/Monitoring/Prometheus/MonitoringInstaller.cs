using System.Text;
using DevOpsTools.Engine.Core;

namespace DevOpsTools.Engine.Monitoring.Prometheus;

/// <summary>
/// Install-Monitoring and Remove-Monitoring on this machine: the Debian programs (prometheus,
/// prometheus-alertmanager, prometheus-blackbox-exporter, prometheus-node-exporter) as detached
/// processes on 127.0.0.1, with configuration, data and logs under the module's data directory,
/// monitoring/&lt;environment&gt;. Every generated file passes promtool (and amtool, and the
/// exporter's own check) in a scratch directory before anything is written or started.
/// </summary>
public sealed class MonitoringInstaller
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ModuleData _data;

    public MonitoringInstaller(ModuleData data)
    {
        _data = data;
    }

    public string StackDirectory(string environment) => Path.Combine(_data.Root, "monitoring", environment);

    /// <summary>The environments with a stack directory on this machine.</summary>
    public IReadOnlyList<string> InstalledEnvironments()
    {
        var root = Path.Combine(_data.Root, "monitoring");
        return System.IO.Directory.Exists(root)
            ? System.IO.Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
    }

    public async Task<MonitoringStack> InstallAsync(MonitoringRequest request, bool apply, EngineContext context)
    {
        var tools = MonitoringTools.Locate();
        var dir = StackDirectory(request.Environment);
        var files = PrometheusConfigFiles.All(request);
        await ValidateAsync(tools, files, context).ConfigureAwait(false);

        var changes = new List<string>();
        var diff = new StringBuilder();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(dir, "config", name);
            var old = File.Exists(path) ? await File.ReadAllTextAsync(path, context.CancellationToken).ConfigureAwait(false) : null;
            if (old != content)
            {
                changed.Add(name);
                changes.Add($"{(old is null ? "create" : "change")} {name}");
                diff.Append(ConfigDiff.Of(name, old, content, HideUrls));
            }
        }

        var processes = Processes(tools, request, dir);
        var plan = processes.Select(p => (Process: p, Pid: p.RunningPid())).ToList();
        foreach (var (process, pid) in plan)
        {
            if (pid is null)
            {
                changes.Add($"start {process.Name}");
            }
            else if (StackProcess.CommandLineOf(pid.Value) != process.CommandLine)
            {
                changes.Add($"restart {process.Name} (its command line changed)");
            }
            else if (ReloadsOn(process.Name).Any(changed.Contains))
            {
                changes.Add($"reload {process.Name}");
            }
        }

        if (!apply || changes.Count == 0)
        {
            if (changes.Count == 0)
            {
                context.Output.WriteVerbose($"Monitoring of {request.Environment} is already as asked and running: nothing to do.");
            }

            return Describe(request, dir, apply ? MonitoringStackStatus.Unchanged : MonitoringStackStatus.Planned, changes, diff.ToString());
        }

        var firstInstall = plan.TrueForAll(p => p.Pid is null) && changed.Count == files.Count;
        foreach (var name in changed)
        {
            SecureFiles.WritePrivateFile(Path.Combine(dir, "config", name), files[name]);
        }

        SecureFiles.EnsurePrivateDirectory(Path.Combine(dir, "data", "prometheus"));
        SecureFiles.EnsurePrivateDirectory(Path.Combine(dir, "data", "alertmanager"));
        SecureFiles.EnsurePrivateDirectory(Path.Combine(dir, "textfile"));
        var started = new List<(StackProcess Process, int Pid)>();
        foreach (var (process, pid) in plan)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (pid is not null && StackProcess.CommandLineOf(pid.Value) != process.CommandLine)
            {
                await process.StopAsync(context).ConfigureAwait(false);
                started.Add((process, await process.StartAsync(context).ConfigureAwait(false)));
            }
            else if (pid is null)
            {
                started.Add((process, await process.StartAsync(context).ConfigureAwait(false)));
            }
            else if (ReloadsOn(process.Name).Any(changed.Contains))
            {
                await ReloadAsync(process, PortOf(request.Ports, process.Name), context).ConfigureAwait(false);
            }
        }

        foreach (var (process, pid) in started)
        {
            await WaitReadyAsync(process, pid, PortOf(request.Ports, process.Name), context).ConfigureAwait(false);
        }

        return Describe(request, dir, firstInstall ? MonitoringStackStatus.Installed : MonitoringStackStatus.Updated, changes, diff.ToString());
    }

    /// <summary>Stops every program of the environment's stack and deletes its directory; null when there is none.</summary>
    public async Task<IReadOnlyList<string>?> RemoveAsync(string environment, bool apply, EngineContext context)
    {
        var dir = StackDirectory(environment);
        if (!System.IO.Directory.Exists(dir))
        {
            return null;
        }

        var run = Path.Combine(dir, "run");
        var names = System.IO.Directory.Exists(run)
            ? System.IO.Directory.GetFiles(run, "*.pid").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order().ToList()
            : [];
        var changes = names.Select(n => $"stop {n}").Append($"delete {dir}").ToList();
        if (apply)
        {
            foreach (var name in names)
            {
                await new StackProcess(name, name, [], dir).StopAsync(context).ConfigureAwait(false);
            }

            System.IO.Directory.Delete(dir, recursive: true);
        }

        return changes;
    }

    private static IReadOnlyList<StackProcess> Processes(MonitoringTools tools, MonitoringRequest request, string dir)
    {
        var p = request.Ports;
        var config = Path.Combine(dir, "config");
        return
        [
            new("prometheus", tools.Prometheus,
            [
                $"--config.file={Path.Combine(config, PrometheusConfigFiles.PrometheusFile)}",
                $"--storage.tsdb.path={Path.Combine(dir, "data", "prometheus")}",
                $"--web.listen-address=127.0.0.1:{p.Prometheus}", "--web.enable-lifecycle",
            ], dir),
            new("alertmanager", tools.Alertmanager,
            [
                $"--config.file={Path.Combine(config, PrometheusConfigFiles.AlertmanagerFile)}",
                $"--storage.path={Path.Combine(dir, "data", "alertmanager")}",
                $"--web.listen-address=127.0.0.1:{p.Alertmanager}", "--cluster.listen-address=",
            ], dir),
            new("blackbox-exporter", tools.Blackbox,
                [$"--config.file={Path.Combine(config, PrometheusConfigFiles.BlackboxFile)}", $"--web.listen-address=127.0.0.1:{p.Blackbox}"], dir),
            new("node-exporter", tools.NodeExporter,
                [$"--web.listen-address=127.0.0.1:{p.NodeExporter}", $"--collector.textfile.directory={Path.Combine(dir, "textfile")}"], dir),
        ];
    }

    private static string[] ReloadsOn(string process) => process switch
    {
        "prometheus" => [PrometheusConfigFiles.PrometheusFile, PrometheusConfigFiles.RulesFile],
        "alertmanager" => [PrometheusConfigFiles.AlertmanagerFile],
        "blackbox-exporter" => [PrometheusConfigFiles.BlackboxFile],
        _ => [],
    };

    private static int PortOf(MonitoringPorts ports, string process) => process switch
    {
        "prometheus" => ports.Prometheus,
        "alertmanager" => ports.Alertmanager,
        "blackbox-exporter" => ports.Blackbox,
        _ => ports.NodeExporter,
    };

    // The webhook's URL may carry a token (Slack, Teams): diffs show that it changed, never what it is.
    internal static string HideUrls(string line) =>
        line.TrimStart().StartsWith("url:", StringComparison.Ordinal) ? line[..(line.IndexOf("url:", StringComparison.Ordinal) + 4)] + " (hidden)" : line;

    private static async Task ValidateAsync(MonitoringTools tools, IReadOnlyDictionary<string, string> files, EngineContext context)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "devopstools-monitoring-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (var (name, content) in files)
            {
                SecureFiles.WritePrivateFile(Path.Combine(scratch, name), content);
            }

            string F(string name) => Path.Combine(scratch, name);
            await Check(tools.Promtool, ["check", "config", F(PrometheusConfigFiles.PrometheusFile)], PrometheusConfigFiles.PrometheusFile).ConfigureAwait(false);
            await Check(tools.Promtool, ["check", "rules", F(PrometheusConfigFiles.RulesFile)], PrometheusConfigFiles.RulesFile).ConfigureAwait(false);
            await Check(tools.Amtool, ["check-config", F(PrometheusConfigFiles.AlertmanagerFile)], PrometheusConfigFiles.AlertmanagerFile).ConfigureAwait(false);
            await Check(tools.Blackbox, ["--config.check", $"--config.file={F(PrometheusConfigFiles.BlackboxFile)}"], PrometheusConfigFiles.BlackboxFile).ConfigureAwait(false);
        }
        finally
        {
            if (System.IO.Directory.Exists(scratch))
            {
                System.IO.Directory.Delete(scratch, recursive: true);
            }
        }

        async Task Check(string tool, string[] arguments, string file)
        {
            var result = await ExternalProcess.RunAsync(tool, arguments, context.CancellationToken, timeout: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new DevOpsToolsException(ErrorIds.MonitoringConfigInvalid, ErrorKind.InvalidData,
                    $"{Path.GetFileName(tool)} refused the generated {file}: {ExternalProcess.Tail(HideUrls(result.StdErr + "\n" + result.StdOut))}. Nothing was changed.", file);
            }

            context.Output.WriteVerbose($"{Path.GetFileName(tool)} accepts {file}.");
        }
    }

    private static async Task ReloadAsync(StackProcess process, int port, EngineContext context)
    {
        using var response = await Http.PostAsync(new Uri($"http://127.0.0.1:{port}/-/reload"), null, context.CancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(context.CancellationToken).ConfigureAwait(false);
            throw new DevOpsToolsException(ErrorIds.MonitoringStartFailed, ErrorKind.InvalidOperation,
                $"{process.Name} did not reload its configuration ({(int)response.StatusCode}): {ExternalProcess.Tail(body)}", process.Name);
        }

        context.Output.WriteVerbose($"Reloaded {process.Name}.");
    }

    private static async Task WaitReadyAsync(StackProcess process, int pid, int port, EngineContext context)
    {
        var path = process.Name is "prometheus" or "alertmanager" ? "/-/ready" : "/metrics";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (StackProcess.CommandLineOf(pid) is null)
            {
                throw new DevOpsToolsException(ErrorIds.MonitoringStartFailed, ErrorKind.InvalidOperation,
                    $"{process.Name} exited right after it started (is 127.0.0.1:{port} in use?): {process.LogTail()}", process.Name)
                { RecommendedAction = $"See {process.LogFile}; pick free ports with -Port." };
            }

            try
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), context.CancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new DevOpsToolsException(ErrorIds.MonitoringStartFailed, ErrorKind.OperationTimeout,
                    $"{process.Name} did not answer on 127.0.0.1:{port}{path} within 60 s: {process.LogTail()}", process.Name);
            }

            await Task.Delay(200, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private static MonitoringStack Describe(MonitoringRequest request, string dir, MonitoringStackStatus status, IReadOnlyList<string> changes, string diff) => new()
    {
        Environment = request.Environment,
        Status = status,
        PrometheusUrl = $"http://127.0.0.1:{request.Ports.Prometheus}/",
        AlertmanagerUrl = $"http://127.0.0.1:{request.Ports.Alertmanager}/",
        BlackboxUrl = $"http://127.0.0.1:{request.Ports.Blackbox}/",
        NodeExporterUrl = $"http://127.0.0.1:{request.Ports.NodeExporter}/",
        Targets = request.Probes.Select(p => $"{(p.Protocol == "tcp" ? PrometheusConfigFiles.TcpProbeJob : PrometheusConfigFiles.HttpProbeJob)}: {p.Address}")
            .Concat(request.MetricsTargets.Select(m => $"{PrometheusConfigFiles.AppMetricsJob}: {m.Address}")).ToList(),
        Slos = request.Slos.Select(s => s.Name).ToList(),
        Changes = changes,
        Diff = diff,
        Directory = dir,
    };
}

/// <summary>The Debian programs of the stack, found on PATH; a clear error naming the packages otherwise.</summary>
public sealed record MonitoringTools(string Prometheus, string Promtool, string Alertmanager, string Amtool, string Blackbox, string NodeExporter)
{
    public static MonitoringTools Locate()
    {
        var missing = new List<string>();
        string Find(string program, string package)
        {
            var found = ExternalProcess.FindOnPath(program);
            if (found is null && !missing.Contains(package))
            {
                missing.Add(package);
            }

            return found ?? program;
        }

        var tools = new MonitoringTools(
            Find("prometheus", "prometheus"), Find("promtool", "prometheus"),
            Find("prometheus-alertmanager", "prometheus-alertmanager"), Find("amtool", "prometheus-alertmanager"),
            Find("prometheus-blackbox-exporter", "prometheus-blackbox-exporter"), Find("prometheus-node-exporter", "prometheus-node-exporter"));
        if (missing.Count > 0)
        {
            throw new DevOpsToolsException(ErrorIds.ToolNotInstalled, ErrorKind.NotInstalled,
                $"Install-Monitoring needs {string.Join(", ", missing)} on this machine.", missing[0])
            { RecommendedAction = $"apt-get install {string.Join(' ', missing)}" };
        }

        return tools;
    }
}
