using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Tests.Hardening;

namespace DevOpsTools.Engine.Tests.Deploy;

/// <summary>
/// Secrets on this machine's Podman: read from a variable and a 0600 file at deploy time, in the
/// container's environment through a 0600 env file, in no result, diff or container argument;
/// Undo starts a revision with the values it ran with.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ContainerHostSecretsTests : IClassFixture<ContainerHostFixture>
{
    private readonly ContainerHostFixture _fixture;

    public ContainerHostSecretsTests(ContainerHostFixture fixture)
    {
        _fixture = fixture;
    }

    [SkippableFact]
    public async Task Secrets_reach_the_container_only_through_a_0600_env_file_and_undo_brings_back_the_old_values()
    {
        Skip.If(_fixture.SkipReason is not null, _fixture.SkipReason);
        var env = "host-" + Guid.NewGuid().ToString("N")[..6];
        using var scratch = ScratchDirectory.Claim($"devopstools-{env}");
        var stateRoot = scratch.Path;
        var secretFile = Path.Combine(stateRoot, "api-token");
        Directory.CreateDirectory(stateRoot);
        File.WriteAllText(secretFile, "token-from-file-7f3a\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var values = new Dictionary<string, string?> { ["SECRETS_TEST_DB"] = "pw-one 'quoted' $HOME;x" };
        var target = ContainerHostFixture.NewTarget(stateRoot, new SecretResolver(n => values.GetValueOrDefault(n)));
        var port = ContainerHostFixture.FreePortBlock();
        var context = EngineContext.Silent();
        var options = new DeployOptions { Timeout = TimeSpan.FromSeconds(30), DrainTime = TimeSpan.FromSeconds(1) };
        var app = ContainerHostFixture.App(env, "localhost/devopstools-hello:1", port, $"{env}-hello-data") with
        {
            Secrets =
            [
                new SecretReference { Name = "DB_PASSWORD", FromEnvironment = "SECRETS_TEST_DB" },
                new SecretReference { Name = "API_TOKEN", FromFile = secretFile },
            ],
        };
        try
        {
            var first = await target.ApplyAsync(app, options, context);
            Assert.Equal(DeploymentStatus.Healthy, first.Status);
            Assert.Equal("pw-one 'quoted' $HOME;x", await PrintEnv($"dot-{env}-hello-r1-0", "DB_PASSWORD"));
            Assert.Equal("token-from-file-7f3a", await PrintEnv($"dot-{env}-hello-r1-0", "API_TOKEN"));

            var envFile = Path.Combine(stateRoot, env, "hello", "secrets", "r1.env");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
            var args = await Podman.RunAsync(["inspect", "--format", "{{json .Config.CreateCommand}}", "--", $"dot-{env}-hello-r1-0"]);
            Assert.Contains("--env-file", args.StdOut, StringComparison.Ordinal);
            Assert.DoesNotContain("pw-one", args.StdOut, StringComparison.Ordinal);
            var state = File.ReadAllText(Path.Combine(stateRoot, env, "hello", "state.json"));
            Assert.Contains("DB_PASSWORD", state, StringComparison.Ordinal);
            Assert.DoesNotContain("pw-one", state, StringComparison.Ordinal);
            Assert.DoesNotContain("token-from-file", state, StringComparison.Ordinal);

            // The plan compares values on the host and names the changed one only.
            var same = await target.PlanAsync(app, context);
            Assert.False(same.HasChanges, same.Diff);
            Assert.Contains("  secret DB_PASSWORD: unchanged", same.Diff, StringComparison.Ordinal);
            values["SECRETS_TEST_DB"] = "pw-two";
            var changed = await target.PlanAsync(app, context);
            Assert.True(changed.HasChanges);
            Assert.Contains("+ secret DB_PASSWORD: (value not shown)", changed.Diff, StringComparison.Ordinal);
            Assert.Contains("  secret API_TOKEN: unchanged", changed.Diff, StringComparison.Ordinal);
            Assert.DoesNotContain("pw-", changed.Diff, StringComparison.Ordinal);

            var second = await target.ApplyAsync(app, options, context);
            Assert.Equal(2, second.Revision);
            Assert.Equal("pw-two", await PrintEnv($"dot-{env}-hello-r2-0", "DB_PASSWORD"));
            Assert.DoesNotContain("pw-", System.Text.Json.JsonSerializer.Serialize(second), StringComparison.Ordinal);

            // Undo runs revision 1 again with revision 1's values, not today's.
            var undone = await target.UndoAsync("hello", env, null, options, context);
            Assert.Equal(3, undone.Revision);
            Assert.Equal("pw-one 'quoted' $HOME;x", await PrintEnv($"dot-{env}-hello-r3-0", "DB_PASSWORD"));
        }
        finally
        {
            await target.RemoveAsync("hello", env, removeVolumes: true, context);
            File.Delete(secretFile);
        }

        Assert.False(Directory.Exists(Path.Combine(stateRoot, env, "hello", "secrets")));
    }

    private static async Task<string> PrintEnv(string container, string name)
    {
        var result = await Podman.RunAsync(["exec", "--", container, "printenv", name]);
        Assert.True(result.ExitCode == 0, result.StdErr);
        return result.StdOut.TrimEnd('\n');
    }
}
