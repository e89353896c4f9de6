using DevOpsTools.Engine.Deploy.ContainerHost;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>
/// The container units written for servers. Whether systemd reads them back as written is proved
/// on real servers (Deploy.Servers.Tests.ps1: a variable full of $, %, quotes and backslashes
/// reaches the app unchanged; a rebooted server starts its units).
/// </summary>
public sealed class SystemdUnitTests
{
    [Theory]
    [InlineData("--network=host", "--network=host")]
    [InlineData("devopstools.image=localhost/app:1", "devopstools.image=localhost/app:1")]
    [InlineData("", "\"\"")]
    [InlineData("two words", "\"two words\"")]
    [InlineData("50%", "50%%")]
    [InlineData("$HOME", "$$HOME")]
    [InlineData("${USER}", "$${USER}")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("c:\\dir", "\"c:\\\\dir\"")]
    [InlineData(";", "\";\"")]
    [InlineData("it's", "\"it's\"")]
    [InlineData("line\nbreak\ttab", "\"line\\nbreak\\ttab\"")]
    [InlineData("bell\a", "\"bell\\x07\"")]
    [InlineData("café", "\"café\"")]
    public void QuotesAWordSoSystemdReadsItBack(string word, string expected) =>
        Assert.Equal(expected, SystemdUnit.Quote(word));

    [Fact]
    public void RunsTheContainerUnderNotifyWithOneArgumentPerLine()
    {
        var unit = SystemdUnit.ForContainer("dot-test-hello-r2-0", ["--network=host", "--env", "GREETING=hello world", "--", "sha256:abc"]);
        var lines = unit.Split('\n');
        Assert.Contains("[Service]", lines);
        Assert.Contains("Type=notify", lines);
        Assert.Contains("NotifyAccess=all", lines);
        Assert.Contains("Restart=always", lines);
        Assert.Contains("WantedBy=default.target", lines);
        Assert.Contains("ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%t/%n.ctr-id", lines);
        // --rm removes the stopped container; the next start's --replace takes over a leftover.
        Assert.DoesNotContain(lines, l => l.StartsWith("ExecStopPost=", StringComparison.Ordinal));
        var start = lines.SkipWhile(l => !l.StartsWith("ExecStart=", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("ExecStop=", StringComparison.Ordinal)).ToList();
        // container-host.sh rewrites the cgroups flag on the ExecStart line itself on hosts without cgroups.
        Assert.Equal($"ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id {SystemdUnit.CgroupsFlag} --rm --sdnotify=conmon -d --replace --name dot-test-hello-r2-0 \\", start[0]);
        Assert.Equal(["\t--network=host \\", "\t--env \\", "\t\"GREETING=hello world\" \\", "\t-- \\", "\tsha256:abc"], start.Skip(1));
    }

    [Fact]
    public void PassesNoArgumentAsAnUnitDirective()
    {
        // A value that looks like a directive stays inside the ExecStart line's quotes.
        var unit = SystemdUnit.ForContainer("dot-test-x-r1-0", ["--env", "X=1\nExecStartPost=/bin/sh -c reboot", "--", "sha256:abc"]);
        Assert.DoesNotContain(unit.Split('\n'), l => l.StartsWith("ExecStartPost=", StringComparison.Ordinal));
        Assert.Contains("\t\"X=1\\nExecStartPost=/bin/sh -c reboot\" \\", unit.Split('\n'));
    }
}
