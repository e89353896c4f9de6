using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Data;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>PostgresServerPreparer's inputs and protocol, against a shell that answers like the script.</summary>
public class PostgresServerPreparerTests
{
    private sealed class ScriptedShell(params RemoteResult[] answers) : IRemoteShell
    {
        private readonly Queue<RemoteResult> _answers = new(answers);

        public List<string> Scripts { get; } = [];

        public Server Server { get; } = new() { Name = "db", Environment = "dsvtest", Provider = "Podman", Address = "127.0.0.1" };

        public Task<RemoteResult> RunAsync(string script, bool sudo, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Assert.True(sudo);
            Scripts.Add(script);
            return Task.FromResult(_answers.Dequeue());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static RemoteResult Ok(string stdout) => new(0, stdout, string.Empty, TimeSpan.Zero);

    [Fact]
    public async Task It_renders_from_the_servers_own_addresses_and_reads_the_changes()
    {
        var shell = new ScriptedShell(
            Ok("2: eth0    inet 10.89.0.5/24 brd 10.89.0.255 scope global eth0\n"),
            Ok("changed packages: postgresql-15 postgresql-client-15\nchanged cluster 15/main in /var/lib/postgresql/15/main\nresult changed\n"));

        var result = await new PostgresServerPreparer().PrepareAsync(shell, "main", 5432, ["10.89.0.7"], EngineContext.Silent());

        Assert.True(result.Changed);
        Assert.Equal(["packages: postgresql-15 postgresql-client-15", "cluster 15/main in /var/lib/postgresql/15/main"], result.Changes);
        Assert.Equal(["10.89.0.5", "127.0.0.1"], result.ListenAddresses);
        var prepare = shell.Scripts[1];
        Assert.StartsWith("DS_ACTION='prepare'; export DS_ACTION\n", prepare, StringComparison.Ordinal);
        Assert.Contains("DS_DATA_DIR='/var/lib/postgresql/15/main'", prepare, StringComparison.Ordinal);
        Assert.Contains("listen_addresses = '\\''10.89.0.5,127.0.0.1'\\''", prepare, StringComparison.Ordinal);
        Assert.Contains("host all all 10.89.0.7/32 scram-sha-256", prepare, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_script_is_DataServiceFailed_with_its_reason()
    {
        var shell = new ScriptedShell(
            Ok("2: eth0    inet 10.89.0.5/24 scope global eth0\n"),
            new RemoteResult(1, string.Empty, "E: Unable to locate package postgresql-15\n", TimeSpan.Zero));

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => new PostgresServerPreparer().PrepareAsync(shell, "main", 5432, [], EngineContext.Silent()));

        Assert.Equal(ErrorIds.DataServiceFailed, error.ErrorId);
        Assert.Contains("dsvtest/db", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unable to locate package postgresql-15", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_client_or_cluster_name_runs_nothing()
    {
        var shell = new ScriptedShell();

        await Assert.ThrowsAsync<DevOpsToolsException>(() => new PostgresServerPreparer().PrepareAsync(shell, "main", 5432, ["0.0.0.0"], EngineContext.Silent()));
        await Assert.ThrowsAsync<ArgumentException>(() => new PostgresServerPreparer().PrepareAsync(shell, "Main;rm", 5432, [], EngineContext.Silent()));
        Assert.Empty(shell.Scripts);
    }

    [Theory]
    [InlineData("DS_CLUSTER", "main\nrm -rf /")]
    [InlineData("DS_PORT", "5432\r")]
    [InlineData("CH_ACTION", "prepare")]
    [InlineData("DS_conf", "x")]
    public void Only_the_rendered_files_may_hold_newlines_and_names_are_DS_variables(string name, string value)
    {
        Assert.Throws<ArgumentException>(() => PostgresServerPreparer.Build(new() { [name] = value }));
    }

    [Fact]
    public void Values_are_single_quoted_data()
    {
        var script = PostgresServerPreparer.Build(new() { ["DS_HBA"] = "local all postgres peer\n# it's\n" });

        Assert.StartsWith("DS_HBA='local all postgres peer\n# it'\\''s\n'; export DS_HBA\n#!/bin/sh\n", script, StringComparison.Ordinal);
    }
}
