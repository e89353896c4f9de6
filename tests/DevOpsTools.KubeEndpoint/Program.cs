using System.Globalization;
using System.Runtime.InteropServices;
using DevOpsTools.KubeEndpoint;

return await EndpointProgram.RunAsync(args).ConfigureAwait(false);

internal static class EndpointProgram
{
    private const string Usage = """
        usage: DevOpsTools.KubeEndpoint [options]

          --port N                  TCP port on 127.0.0.1 (0 = pick a free one; default 0)
          --token TOKEN             bearer token every request must carry (default devopstools-test-token)
          --pod-ready-seconds S     a started container becomes ready after S seconds (default 1)
          --crash-backoff-seconds S time between restarts of a crashing container (default 1)
          --job-run-seconds S       a Job's pod runs S seconds before it completes (default 1)
          --bookmark-seconds S      interval of BOOKMARK events on watches that allow them (default 1)
          --watch-history N         changes kept for watches resuming from a resourceVersion (default 10000)
          --kubeconfig-out PATH     write a kubeconfig for this endpoint (URL, certificate, token) to PATH
          --plain-http              serve HTTP, not HTTPS (kubectl then sends no token)
          --version vX.Y.Z          gitVersion reported by /version (default v1.35.0)
          --no-stdin-watch          do not exit when standard input closes
          --verbose                 log each request to stderr

        Prints "LISTENING http://127.0.0.1:PORT/" on stdout when ready; exits on SIGTERM, SIGINT or
        when standard input closes.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new KubeEndpointOptions();
        var watchStdin = true;
        string? kubeconfigOut = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--port":
                        options.Port = ParseInt(Next(), 0, 65535, "--port");
                        break;
                    case "--token":
                        options.Token = Next();
                        break;
                    case "--pod-ready-seconds":
                        options.PodReadyDelay = ParseSeconds(Next(), "--pod-ready-seconds");
                        break;
                    case "--crash-backoff-seconds":
                        options.CrashBackoff = ParseSeconds(Next(), "--crash-backoff-seconds");
                        break;
                    case "--job-run-seconds":
                        options.JobRunDuration = ParseSeconds(Next(), "--job-run-seconds");
                        break;
                    case "--bookmark-seconds":
                        options.BookmarkInterval = ParseSeconds(Next(), "--bookmark-seconds");
                        break;
                    case "--watch-history":
                        options.WatchHistory = ParseInt(Next(), 1, 10_000_000, "--watch-history");
                        break;
                    case "--kubeconfig-out":
                        kubeconfigOut = Next();
                        break;
                    case "--plain-http":
                        options.PlainHttp = true;
                        break;
                    case "--version":
                        options.GitVersion = Next();
                        break;
                    case "--no-stdin-watch":
                        watchStdin = false;
                        break;
                    case "--verbose":
                        options.Verbose = true;
                        break;
                    case "--help" or "-h":
                        Console.Out.WriteLine(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }

            if (options.Token.Length == 0)
            {
                throw new ArgumentException("--token must not be empty");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"kube-endpoint: {ex.Message}\n\n{Usage}").ConfigureAwait(false);
            return 2;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.TrySetResult();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            stop.TrySetResult();
        });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true;
            stop.TrySetResult();
        });

        await using var endpoint = new KubeEndpoint(options);
        try
        {
            await endpoint.StartAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"kube-endpoint: cannot listen on 127.0.0.1:{options.Port}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        if (kubeconfigOut is not null)
        {
            await File.WriteAllTextAsync(kubeconfigOut, endpoint.Kubeconfig()).ConfigureAwait(false);
        }

        Console.Out.WriteLine($"LISTENING {endpoint.BaseUri}");
        Console.Out.Flush();

        if (watchStdin)
        {
            var reader = new Thread(() =>
            {
                try
                {
                    using var stdin = Console.OpenStandardInput();
                    var buffer = new byte[4096];
                    while (stdin.Read(buffer, 0, buffer.Length) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                }

                stop.TrySetResult();
            })
            {
                IsBackground = true,
                Name = "stdin-watch",
            };
            reader.Start();
        }

        await stop.Task.ConfigureAwait(false);
        return 0;
    }

    private static int ParseInt(string s, int min, int max, string name) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be an integer in {min}..{max}, not '{s}'");

    private static TimeSpan ParseSeconds(string s, string name) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && v < 86400 * 365
            ? TimeSpan.FromSeconds(v)
            : throw new ArgumentException($"{name} must be a number of seconds, not '{s}'");
}
