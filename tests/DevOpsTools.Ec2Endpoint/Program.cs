using System.Globalization;
using System.Runtime.InteropServices;
using DevOpsTools.Ec2Endpoint;
using DevOpsTools.Ec2Endpoint.Backing;

return await EndpointProgram.RunAsync(args).ConfigureAwait(false);

internal static class EndpointProgram
{
    private const string Usage = """
        usage: DevOpsTools.Ec2Endpoint [options]

          --port N                       TCP port on 127.0.0.1 (0 = pick a free one; default 0)
          --pending-seconds S            pending -> running after S seconds (default 2)
          --status-ok-seconds S          status checks initializing -> ok S seconds after running (default 3)
          --terminate-seconds S          shutting-down -> terminated after S seconds (default 1)
          --terminated-visible-seconds S terminated instances stay visible S seconds (default 3600)
          --max-instances N              instances allowed at once (default 20)
          --auth presence|signature      require a SigV4 header (default), or also verify its signature
          --access-key AKID              access key accepted with --auth signature (default AKIDEXAMPLE)
          --secret-key SECRET            secret used with --auth signature (default "secret")
          --account-id ID                owner account of created resources (default 111122223333)
          --region REGION                region (default us-east-1)
          --backing simulated|podman     what stands behind instances (default simulated)
          --backing-image IMAGE          container image for --backing podman
          --podman PATH                  podman executable (default podman)
          --accept-raw-key-material      ImportKeyPair also takes a raw key line (EC2 wants base64)
          --no-stdin-watch               do not exit when standard input closes
          --verbose                      log each request to stderr

        Prints "LISTENING http://127.0.0.1:PORT/" on stdout when ready; exits on SIGTERM, SIGINT or
        when standard input closes.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Ec2EndpointOptions();
        var watchStdin = true;
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
                    case "--pending-seconds":
                        options.PendingDuration = ParseSeconds(Next(), "--pending-seconds");
                        break;
                    case "--status-ok-seconds":
                        options.StatusOkDuration = ParseSeconds(Next(), "--status-ok-seconds");
                        break;
                    case "--terminate-seconds":
                        options.TerminateDuration = ParseSeconds(Next(), "--terminate-seconds");
                        break;
                    case "--terminated-visible-seconds":
                        options.TerminatedVisibleDuration = ParseSeconds(Next(), "--terminated-visible-seconds");
                        break;
                    case "--max-instances":
                        options.MaxInstances = ParseInt(Next(), 1, 1000, "--max-instances");
                        break;
                    case "--auth":
                        options.Auth = Next() switch
                        {
                            "presence" => AuthMode.Presence,
                            "signature" => AuthMode.Signature,
                            var other => throw new ArgumentException($"--auth must be presence or signature, not '{other}'"),
                        };
                        break;
                    case "--access-key":
                        options.AccessKeyId = Next();
                        break;
                    case "--secret-key":
                        options.SecretAccessKey = Next();
                        break;
                    case "--account-id":
                        options.AccountId = Next();
                        break;
                    case "--region":
                        options.Region = Next();
                        break;
                    case "--backing":
                        options.Backing = Next() switch
                        {
                            "simulated" => BackingMode.Simulated,
                            "podman" => BackingMode.Podman,
                            var other => throw new ArgumentException($"--backing must be simulated or podman, not '{other}'"),
                        };
                        break;
                    case "--backing-image":
                        options.BackingImage = Next();
                        break;
                    case "--podman":
                        options.PodmanPath = Next();
                        break;
                    case "--accept-raw-key-material":
                        options.AcceptRawPublicKeyMaterial = true;
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

            if (options.Backing == BackingMode.Podman && string.IsNullOrWhiteSpace(options.BackingImage))
            {
                throw new ArgumentException("--backing podman needs --backing-image IMAGE");
            }
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"ec2-endpoint: {ex.Message}\n\n{Usage}").ConfigureAwait(false);
            return 2;
        }

        if (options.Backing == BackingMode.Podman && await PodmanBacking.ProbeAsync(options.PodmanPath, options.BackingImage!).ConfigureAwait(false) is { } problem)
        {
            await Console.Error.WriteLineAsync($"ec2-endpoint: {problem}").ConfigureAwait(false);
            return 3;
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

        await using var endpoint = new Ec2Endpoint(options);
        try
        {
            await endpoint.StartAsync().ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await Console.Error.WriteLineAsync($"ec2-endpoint: cannot listen on 127.0.0.1:{options.Port}: {ex.Message}").ConfigureAwait(false);
            return 1;
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
        if (options.Verbose)
        {
            await Console.Error.WriteLineAsync("ec2-endpoint: shutting down").ConfigureAwait(false);
        }

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
