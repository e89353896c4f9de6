using DevOpsTools.Engine.Servers.Podman;

namespace DevOpsTools.Engine.Tests.Servers;

public class PodmanProviderTests : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-podman", create: false);

    private string _root => _scratch.Path;

    [Fact]
    public void Parses_podman_ps_json_into_servers_and_skips_foreign_containers()
    {
        const string json = """
            [
              { "Id": "abc123", "Names": ["devopstools-test.web-1"], "State": "running", "Image": "localhost/devopstools/debian12:0123456789ab",
                "Created": 1795975254,
                "Labels": { "devopstools.managed": "true", "devopstools.environment": "test", "devopstools.name": "web-1",
                            "devopstools.role": "web", "devopstools.size": "small", "devopstools.tag.owner": "team-a" },
                "Ports": [ { "host_ip": "127.0.0.1", "container_port": 22, "host_port": 40022, "range": 1, "protocol": "tcp" } ] },
              { "Id": "def456", "Names": ["someone-else"], "State": "exited", "Labels": null, "Ports": [] }
            ]
            """;

        var server = Assert.Single(PodmanServerProvider.ParseContainers(json, null, null));
        Assert.Equal("web-1", server.Name);
        Assert.Equal("test", server.Environment);
        Assert.Equal("Podman", server.Provider);
        Assert.Equal("Running", server.State);
        Assert.Equal("127.0.0.1", server.Address);
        Assert.Equal(40022, server.SshPort);
        Assert.Equal("web", server.Role);
        Assert.Equal("small", server.Size);
        Assert.Equal("team-a", server.Tags["owner"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795975254), server.CreatedAt);
    }

    [Fact]
    public void Records_an_endpoint_per_declared_port_from_the_published_loopback_ports()
    {
        const string json = """
            [
              { "Id": "abc123", "State": "running",
                "Labels": { "devopstools.managed": "true", "devopstools.environment": "test", "devopstools.name": "web-1", "devopstools.ports": "8080,9100" },
                "Ports": [ { "host_ip": "127.0.0.1", "container_port": 22, "host_port": 40022, "range": 1, "protocol": "tcp" },
                           { "host_ip": "127.0.0.1", "container_port": 9100, "host_port": 41000, "range": 1, "protocol": "tcp" },
                           { "host_ip": "127.0.0.1", "container_port": 8080, "host_port": 43512, "range": 1, "protocol": "tcp" },
                           { "host_ip": "127.0.0.1", "container_port": 8080, "host_port": 43999, "range": 1, "protocol": "udp" },
                           { "host_ip": "127.0.0.1", "container_port": 7000, "host_port": 44000, "range": 1, "protocol": "tcp" } ] }
            ]
            """;

        var server = Assert.Single(PodmanServerProvider.ParseContainers(json, null, null));
        Assert.Equal([8080, 9100], server.Ports);
        Assert.Equal(
            [new ServerEndpoint { Port = 8080, Address = "127.0.0.1", HostPort = 43512 }, new ServerEndpoint { Port = 9100, Address = "127.0.0.1", HostPort = 41000 }],
            server.Endpoints);
        Assert.Equal("127.0.0.1:43512", server.Endpoints[0].ToString());
        Assert.Equal(40022, server.SshPort);
    }

    [Fact]
    public void Expands_port_ranges_and_reaches_wildcard_bindings_on_loopback()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""
            [ { "host_ip": "", "container_port": 8000, "host_port": 18000, "range": 2, "protocol": "tcp" },
              { "host_ip": "::", "container_port": 9000, "host_port": 19000, "range": 1, "protocol": "tcp" } ]
            """);
        var published = PodmanServerProvider.ParsePublishedPorts(document.RootElement);
        Assert.Equal(["127.0.0.1:18000", "127.0.0.1:18001", "[::1]:19000"], published.Select(e => e.ToString()));
        Assert.Equal([8001], PodmanServerProvider.EndpointsOf([8001, 8002], published).Select(e => e.Port));
    }

    [Fact]
    public void A_server_without_declared_ports_has_no_endpoints()
    {
        const string json = """
            [ { "Id": "abc", "State": "running", "Labels": { "devopstools.environment": "test", "devopstools.name": "db-1" },
                "Ports": [ { "host_ip": "127.0.0.1", "container_port": 22, "host_port": 40023, "range": 1, "protocol": "tcp" } ] } ]
            """;
        Assert.Empty(Assert.Single(PodmanServerProvider.ParseContainers(json, null, null)).Endpoints);
    }

    [Theory]
    [InlineData("running", "Running")]
    [InlineData("created", "Pending")]
    [InlineData("exited", "Stopped")]
    [InlineData("stopping", "Stopping")]
    [InlineData("weird", "Unknown")]
    public void Normalises_states(string podman, string expected) => Assert.Equal(expected, PodmanServerProvider.NormaliseState(podman));

    [Fact]
    public void Image_tag_is_a_stable_hash_of_the_recipe()
    {
        Assert.Matches("^[0-9a-f]{12}$", PodmanImage.Tag);
        Assert.Equal(PodmanImage.Tag, PodmanImage.Tag);
        Assert.StartsWith("localhost/devopstools/debian12:", PodmanImage.Reference, StringComparison.Ordinal);
        Assert.Contains("debootstrap", PodmanImage.Recipe, StringComparison.Ordinal);
        Assert.Contains("deb $security bookworm-security main", PodmanImage.Recipe, StringComparison.Ordinal);
    }

    [Fact]
    public void Mirror_comes_from_deb822_sources_then_list_files_then_the_default()
    {
        var apt = Path.Combine(_root, "apt");
        Directory.CreateDirectory(Path.Combine(apt, "sources.list.d"));
        Assert.Equal(PodmanImage.DefaultMirror, PodmanImage.FindMirror(apt));

        File.WriteAllText(Path.Combine(apt, "sources.list.d", "debian.sources"),
            "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://mirror.example/debian/\nSuites: bookworm\n\nTypes: deb\nURIs: http://security.example/debian-security\n");
        Assert.Equal("http://mirror.example/debian", PodmanImage.FindMirror(apt));

        File.WriteAllText(Path.Combine(apt, "sources.list"), "# comment\ndeb [arch=amd64] http://list.example/debian bookworm main\n");
        Assert.Equal("http://list.example/debian", PodmanImage.FindMirror(apt));
    }

    [Fact]
    public void Security_mirror_comes_from_the_sources_else_beside_the_main_mirror()
    {
        var apt = Path.Combine(_root, "apt-security");
        Directory.CreateDirectory(Path.Combine(apt, "sources.list.d"));
        Assert.Equal(PodmanImage.DefaultSecurityMirror, PodmanImage.FindSecurityMirror(apt));

        File.WriteAllText(Path.Combine(apt, "sources.list"), "deb http://list.example/debian bookworm main\n");
        Assert.Equal("http://list.example/debian-security", PodmanImage.FindSecurityMirror(apt));

        File.WriteAllText(Path.Combine(apt, "sources.list.d", "debian.sources"),
            "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://security.example/debian-security/\nSuites: bookworm-security\n");
        Assert.Equal("http://security.example/debian-security", PodmanImage.FindSecurityMirror(apt));
        Assert.Equal("http://list.example/debian", PodmanImage.FindMirror(apt));
    }

    [Theory]
    [InlineData("http://deb.debian.org/debian-security", true)]
    [InlineData("https://mirror.example:8443/debian", true)]
    [InlineData("http://mirror.example/debian bookworm main\ndeb http://evil.example/debian", false)]
    [InlineData("http://mirror.example/deb ian", false)]
    [InlineData("ftp://mirror.example/debian", false)]
    [InlineData("/srv/debian", false)]
    [InlineData("", false)]
    public void A_mirror_must_be_one_http_uri_before_it_reaches_sources_list(string mirror, bool valid) =>
        Assert.Equal(valid, PodmanImage.IsValidMirror(mirror));

    [Fact]
    public void Names_are_unambiguous_per_environment()
    {
        Assert.NotEqual(PodmanServerProvider.ContainerName("a-b", "c"), PodmanServerProvider.ContainerName("a", "b-c"));
        Assert.Equal("devopstools-test", PodmanServerProvider.NetworkName("test"));
    }

    public void Dispose()
    {
        _scratch.Dispose();
    }
}
