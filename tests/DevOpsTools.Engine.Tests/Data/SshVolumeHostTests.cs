using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data.Volumes;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>
/// The server side of volume backups over SSH: Resources/data/volume-host.sh gets its words as
/// `set --` data, run here by a real sh. What would be code in a word stays a word, and a name
/// podman would not accept is refused by the engine before anything is sent, and by the script.
/// </summary>
public sealed class SshVolumeHostTests
{
    private static async Task<ProcessResult> RunAsync(string script) =>
        await ExternalProcess.RunAsync("sh", ["-c", script], CancellationToken.None);

    [Fact]
    public async Task A_word_that_looks_like_shell_code_reaches_the_script_as_one_word_and_is_refused_as_a_volume_name()
    {
        var word = "x'; echo injected; '$(id)`id`";
        var result = await RunAsync(SshVolumeHost.Script(["has-data", word]));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"not a volume name: {word}", result.StdErr.Trim());
        Assert.DoesNotContain("injected", result.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-rf")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    public async Task The_script_refuses_a_name_podman_would_not_accept_before_running_podman(string volume)
    {
        var result = await RunAsync(SshVolumeHost.Script(["clear", volume]));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("not a volume name:", result.StdErr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_action_is_refused_by_name()
    {
        var result = await RunAsync(SshVolumeHost.Script(["rm", "dot-test-shop-data"]));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown action: rm", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_refuses_an_invalid_volume_name_and_a_control_character_before_building_anything()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => SshVolumeHost.Checked("x;rm -rf /"));
        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
        Assert.Equal("dot-test-shop-data", SshVolumeHost.Checked("dot-test-shop-data"));
        Assert.Throws<ArgumentException>(() => SshVolumeHost.Script(["exists", "a\nb"]));
    }
}
