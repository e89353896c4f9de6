using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy.ContainerHost;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Servers.Podman;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Deploy;

public class ContainerHostTests
{
    [Fact]
    public void A_server_group_with_containerHost_true_gives_specs_that_host_containers_and_others_do_not()
    {
        const string yaml = "name: test\nservers:\n  - name: apps\n    containerHost: true\n  - name: web\n";
        var env = Assert.Single(EnvironmentLoader.Load("t.yaml", yaml));
        Assert.True(env.Servers.Single(s => s.Name == "apps").ContainerHost);
        Assert.False(env.Servers.Single(s => s.Name == "web").ContainerHost);
    }

    [Fact]
    public void Podman_listing_reads_the_container_host_label_back()
    {
        const string json = """
            [
              { "Id": "a1", "State": "running", "Labels": { "devopstools.managed": "true", "devopstools.environment": "t", "devopstools.name": "apps", "devopstools.container-host": "true" }, "Ports": [] },
              { "Id": "b2", "State": "running", "Labels": { "devopstools.managed": "true", "devopstools.environment": "t", "devopstools.name": "web" }, "Ports": [] }
            ]
            """;
        var servers = PodmanServerProvider.ParseContainers(json, null, null);
        Assert.True(servers.Single(s => s.Name == "apps").ContainerHost);
        Assert.False(servers.Single(s => s.Name == "web").ContainerHost);
    }

    [Fact]
    public void Script_values_are_quoted_assignments_and_bad_names_or_control_characters_are_refused()
    {
        var script = ContainerHostScript.Build(new Dictionary<string, string> { ["CH_ACTION"] = "image-id", ["CH_IMAGE"] = "x'; rm -rf / #" });
        Assert.StartsWith("CH_ACTION='image-id'; export CH_ACTION\nCH_IMAGE='x'\\''; rm -rf / #'; export CH_IMAGE\n#!/bin/sh", script, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ContainerHostScript.Build(new Dictionary<string, string> { ["PATH"] = "/tmp" }));
        Assert.Throws<ArgumentException>(() => ContainerHostScript.Build(new Dictionary<string, string> { ["CH_IMAGE"] = "a\nreboot" }));
    }

    [Fact]
    public void The_not_a_container_host_error_is_stable_and_says_what_to_change()
    {
        var server = new Server { Name = "web", Environment = "test", Provider = "Podman" };
        var error = ContainerHostScript.NotContainerHost(server, new RemoteResult(10, string.Empty, "missing: /dev/fuse CAP_SYS_ADMIN\n", TimeSpan.Zero));
        Assert.Equal(ErrorIds.ServerNotContainerHost, error.ErrorId);
        Assert.Contains("test/web", error.Message, StringComparison.Ordinal);
        Assert.Contains("/dev/fuse CAP_SYS_ADMIN", error.Message, StringComparison.Ordinal);
        Assert.Contains("New-Server -ContainerHost", error.Message, StringComparison.Ordinal);
        Assert.Contains("containerHost: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_ids_are_read_from_the_script_protocol()
    {
        var id = new string('a', 64);
        Assert.Equal(id, ContainerHostScript.ReadId(new RemoteResult(0, $"noise\nid {id}\n", string.Empty, TimeSpan.Zero)));
        Assert.Equal(string.Empty, ContainerHostScript.ReadId(new RemoteResult(0, "id \n", string.Empty, TimeSpan.Zero)));
    }
}
