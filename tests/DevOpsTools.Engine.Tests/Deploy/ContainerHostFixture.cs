using System.Net;
using System.Net.Sockets;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Tests.Hardening;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>
/// This machine's Podman with the hello sample app's images (examples/apps/hello/build.sh on the
/// module's Debian base image). Each test deploys to its own environment "host-&lt;random&gt;"
/// with a state root under the temp folder, and removes it (containers, proxy, volumes, state)
/// in a finally block.
/// </summary>
public sealed class ContainerHostFixture : IAsyncLifetime
{
    public string? SkipReason { get; private set; }

    public static string RepoRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        var baseImage = PodmanImage.Reference;
        var exists = await Podman.RunAsync(["image", "exists", "--", baseImage], timeout: TimeSpan.FromSeconds(60));
        if (exists.ExitCode != 0)
        {
            SkipReason = $"the module's base image {baseImage} is not built here (New-Server -Provider Podman builds it): {exists.StdErr.Trim()}";
            return;
        }

        var build = await Podman.ExecAsync("sh", [Path.Combine(RepoRoot, "examples/apps/hello/build.sh"), baseImage], null, TimeSpan.FromMinutes(10), default);
        if (build.ExitCode != 0)
        {
            SkipReason = "could not build the hello images: " + build.StdErr.Trim();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static ContainerHostTarget NewTarget(string stateRoot, DevOpsTools.Engine.Deploy.Spec.SecretResolver? secrets = null) => new(
        new LocalHostScriptRunner(new Dictionary<string, string> { ["CONTAINERS_CONF"] = Podman.ContainersConf }),
        new ContainerHostOptions { StateRoot = stateRoot, BaseImage = PodmanImage.Reference, ProxyBind = "127.0.0.1", ProxyImage = "localhost/devopstools/haproxy:1" },
        secrets);

    public static ResolvedApp App(string environment, string image, int publicPort, string volume) => new()
    {
        Name = "hello",
        Environment = environment,
        Image = image,
        Ports = [new AppPort("http", 8080, publicPort)],
        Variables = new Dictionary<string, string> { ["GREETING"] = "hi" },
        HealthCheck = new AppHealthCheck { HttpPath = "/healthz", StartPeriod = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), Threshold = 3 },
        Volumes = [new AppVolume(volume, "/data")],
    };

    /// <summary>A public port with the instance blocks above it free (size 3: public+1, public+2 for one replica).</summary>
    public static int FreePortBlock(int size = 3)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(42000, 48000);
            if (Enumerable.Range(port, size).All(IsFree))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free port block found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DevOpsTools.psd1")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
