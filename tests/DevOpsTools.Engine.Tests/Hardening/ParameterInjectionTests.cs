using System.Diagnostics;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Hardening;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Hardening;

/// <summary>
/// sshd configuration injection: a parameter value that would add a line to a configuration
/// file is refused, with the field named, before the server is contacted.
/// </summary>
public class ParameterInjectionTests
{
    private static readonly Server Server = new() { Name = "web-1", Environment = "test", Provider = "Podman", User = "ops" };

    private static string Profile(string rule, string parameter, string yamlValue) => $"""
        apiVersion: devopstools/v1
        kind: HardeningProfile
        name: injected
        extends: Strict
        parameters:
          {rule}:
            {parameter}: {yamlValue}
        """;

    [Theory]
    [InlineData("SSH-025", "allowUsers", "['ops\\nPermitRootLogin yes']")]  // text backslash-n (single-quoted YAML)
    [InlineData("SSH-025", "allowUsers", "[\"ops\\nPermitRootLogin yes\"]")] // a real line break (double-quoted YAML)
    [InlineData("SSH-019", "ciphers", "'aes256-ctr\\nPermitRootLogin yes'")]
    [InlineData("SSH-019", "ciphers", "\"aes256-ctr\\nPermitRootLogin yes\"")]
    [InlineData("LOG-005", "banner", "'Authorized use only\\nPermitRootLogin yes'")]
    [InlineData("LOG-005", "banner", "\"Authorized use only\\nPermitRootLogin yes\"")]
    [InlineData("LOG-005", "banner", "\"tab\\tseparated\"")]
    [InlineData("ACC-004", "umask", "'027\\nUMASK 000'")]
    [InlineData("ACC-004", "umask", "'999'")]
    [InlineData("SSH-005", "maxAuthTries", "'3\\nPermitRootLogin yes'")]
    [InlineData("SSH-005", "maxAuthTries", "11")]
    [InlineData("SSH-006", "loginGraceTime", "0")]
    [InlineData("FW-001", "allowedPorts", "[22, 70000]")]
    [InlineData("SVC-001", "packages", "['telnet;reboot']")]
    [InlineData("FIL-008", "paths", "['/usr/bin/../../etc/shadow']")]
    public void A_profile_value_that_could_add_a_line_or_is_out_of_range_is_refused_with_file_line_and_field(string rule, string parameter, string yamlValue)
    {
        var ex = Assert.Throws<DevOpsToolsException>(() => HardeningProfileLoader.Load("bad.yaml", Profile(rule, parameter, yamlValue)));
        Assert.Matches($@"^bad\.yaml:7:\d+: \$\.parameters\.{rule}\.{parameter}: ", ex.Message);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal); // the value is shown escaped, never raw
        Assert.Equal(7, Assert.IsType<DevOpsTools.Engine.Yaml.YamlLocation>(ex.Target).Line);
    }

    [Theory]
    [InlineData("SSH-025", "allowUsers", "['{admin}', deploy, 'svc_backup']", "ops deploy svc_backup")]
    [InlineData("SSH-019", "ciphers", "[aes256-gcm@openssh.com, aes256-ctr]", "aes256-gcm@openssh.com aes256-ctr")]
    [InlineData("ACC-004", "umask", "'0077'", "0077")]
    [InlineData("LOG-005", "banner", "\"Authorised access only: activity is monitored; it's logged.\"", "Authorised access only: activity is monitored; it's logged.")]
    public void Valid_values_pass(string rule, string parameter, string yamlValue, string expected)
    {
        var profile = HardeningProfileLoader.Load("ok.yaml", Profile(rule, parameter, yamlValue));
        Assert.Equal(expected, profile.ValuesFor(HardeningCatalog.Find(rule)!, Server)[parameter]);
    }

    [Theory]
    [InlineData("ops\nPermitRootLogin yes")]
    [InlineData("ops\\nPermitRootLogin yes")]
    [InlineData("Ops")]
    public void The_admin_user_is_substituted_before_validation(string user)
    {
        var server = new Server { Name = "web-1", Environment = "test", Provider = "Podman", User = user };
        var ex = Assert.Throws<DevOpsToolsException>(() => HardeningProfile.BuiltIn("Strict").ValuesFor(HardeningCatalog.Find("SSH-025")!, server));
        Assert.Equal(ErrorIds.HardeningParameterInvalid, ex.ErrorId);
        Assert.Contains("SSH-025 parameter allowUsers ({admin} is the server's user", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_value_stops_the_run_before_any_connection_to_the_server()
    {
        var shells = new RecordingShells();
        var server = new Server { Name = "web-1", Environment = "test", Provider = "Podman", User = "ops\nPermitRootLogin yes" };
        var result = await new HardeningEngine(shells, shells).RunAsync(EngineContext.Silent(), [server], HardeningProfile.BuiltIn("Strict"), HardeningMode.Apply);

        Assert.Empty(result.Reports);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(ErrorIds.HardeningParameterInvalid, failure.Error.ErrorId);
        Assert.Equal(0, shells.Opened); // nothing was sent, so nothing changed on the server
    }

    [Fact]
    public void Values_reach_awk_through_the_environment_so_escapes_stay_text()
    {
        // set_kv as the fixes use it, on a scratch file: a backslash-n stays two characters.
        var file = Path.Combine(Path.GetTempPath(), $"hard-setkv-{Guid.NewGuid():N}.conf");
        try
        {
            File.WriteAllText(file, "PermitRootLogin no\n");
            var output = LocalSh.Run(HardeningScripts.Library + $"set_kv '{file}' AllowUsers 'ops\\nPermitRootLogin yes'; cat '{file}'\n");
            Assert.Equal("PermitRootLogin no\nAllowUsers ops\\nPermitRootLogin yes\n", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Algorithm_names_are_checked_against_the_servers_own_ssh_Q_list()
    {
        // The real ssh.sh on this machine's OpenSSH (openssh-client is a test package).
        var script = HardeningScripts.Library + HardeningScripts.Read("ssh.sh") + """
            ssh_algos cipher 'aes256-ctr aes128-ctr' '' && echo
            ssh_algos cipher 'aes256-ctr rot13-cbc' '' 2>&1 || echo refused
            ssh_algos mac '' 'hmac-sha2-256' && echo
            """;
        var lines = LocalSh.Run(script).Split('\n');
        Assert.Equal("aes256-ctr,aes128-ctr", lines[0]);
        Assert.Equal("rot13-cbc is not in this server's 'ssh -Q cipher' list", lines[1]);
        Assert.Equal("refused", lines[2]);
        Assert.Equal("hmac-sha2-256", lines[3]);
    }


    private sealed class RecordingShells : IRemoteShellFactory, IFreshLoginProbe
    {
        public int Opened;

        public Task<IRemoteShell> OpenAsync(Server server, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Opened);
            throw new InvalidOperationException("no connection expected");
        }

        public Task<bool> CanLoginAsync(Server server, CancellationToken cancellationToken) => throw new InvalidOperationException("no login expected");
    }
}
