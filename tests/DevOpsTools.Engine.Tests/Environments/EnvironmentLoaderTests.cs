using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Tests.Environments;

public class EnvironmentLoaderTests
{
    private const string Valid = """
        apiVersion: devopstools/v1
        name: test
        provider:
          type: podman
        servers:
          - name: web
            count: 2
            size: small
            role: web
            ports: [8080]
          - name: db
            size: medium
        hardening:
          profile: Baseline
          excludeRules: [SSH-020]
        apps:
          - name: shop
            image: localhost/shop:1.0
            port: 8080
            healthPath: /healthz
        monitoring:
          prometheus: true
          slos:
            - name: shop-availability
              app: shop
              objective: 99.9
        tags:
          team: payments
        """;

    [Fact]
    public void Loads_a_valid_file_and_expands_server_counts()
    {
        var env = Assert.Single(EnvironmentLoader.Load("test.yaml", Valid));

        Assert.Equal("test", env.Name);
        Assert.Equal(ProviderKind.Podman, env.Provider.Type);
        Assert.Equal(["web-1", "web-2", "db"], env.Servers.Select(s => s.Name));
        Assert.All(env.Servers, s => Assert.Equal("test", s.Environment));
        Assert.Equal("payments", env.Servers[0].Tags["team"]);
        Assert.Equal([8080], env.Servers[0].Ports);
        Assert.Equal("medium", env.Servers[2].Size);
        Assert.Equal(99.9, env.Monitoring.Slos[0].Objective);
        Assert.Equal(["SSH-020"], env.Hardening.ExcludeRules);
    }

    [Fact]
    public void Several_documents_give_several_environments()
    {
        var yaml = "name: test\n---\nname: preprod\n---\nname: prod\nprovider:\n  type: aws\n";
        var envs = EnvironmentLoader.Load("all.yaml", yaml);
        Assert.Equal(["test", "preprod", "prod"], envs.Select(e => e.Name));
        Assert.Equal(ProviderKind.Aws, envs[2].Provider.Type);
    }

    [Fact]
    public void Unknown_key_names_file_line_column_path_and_suggests_the_right_key()
    {
        var yaml = "name: test\nservers:\n  - name: web\n    szie: small\n";
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("test.yaml", yaml));

        Assert.Equal(ErrorIds.YamlUnknownKey, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.StartsWith("test.yaml:4:5: $.servers[0].szie:", error.Message);
        Assert.Contains("did you mean 'size'?", error.Message);
    }

    [Fact]
    public void Wrong_type_is_reported_with_the_value_found()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("t.yaml", "name: test\nservers:\n  - name: web\n    count: two\n"));
        Assert.Equal(ErrorIds.YamlWrongType, error.ErrorId);
        Assert.Equal("t.yaml:4:12: $.servers[0].count: expected a whole number, found 'two'.", error.Message);
    }

    [Fact]
    public void Missing_required_field_is_reported()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("t.yaml", "provider:\n  type: podman\n"));
        Assert.Equal(ErrorIds.YamlMissingField, error.ErrorId);
        Assert.Contains("missing required field 'name'", error.Message);
        Assert.StartsWith("t.yaml:1:1: $:", error.Message);
    }

    [Fact]
    public void Invalid_yaml_is_a_syntax_error_with_position()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("t.yaml", "name: test\nservers: [\n  - name: web\n"));
        Assert.Equal(ErrorIds.YamlSyntaxError, error.ErrorId);
        Assert.Matches(@"^t\.yaml:\d+:\d+: \$: invalid YAML", error.Message);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("t.yaml", "name: test\nname: prod\n"));
        Assert.Equal(ErrorIds.YamlDuplicateKey, error.ErrorId);
        Assert.StartsWith("t.yaml:2:", error.Message);
    }

    [Fact]
    public void Every_error_of_a_file_is_reported_together()
    {
        var yaml = "name: Test_Env\nprovider:\n  type: openstack\nservers:\n  - name: web\n    count: 0\n";
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => EnvironmentLoader.Load("t.yaml", yaml));

        Assert.Equal(ErrorIds.EnvironmentDefinitionInvalid, error.ErrorId);
        Assert.Equal(3, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.ErrorId == ErrorIds.YamlInvalidValue && e.Message.StartsWith("t.yaml:1:7: $.name:"));
        Assert.Contains(error.Errors, e => e.ErrorId == ErrorIds.YamlWrongType && e.Message.Contains("one of podman, aws"));
        Assert.Contains(error.Errors, e => e.Message.StartsWith("t.yaml:6:12: $.servers[0].count:") && e.Message.Contains("out of range"));
    }

    [Fact]
    public void Semantic_errors_name_the_field()
    {
        var yaml = "name: test\nservers:\n  - name: web\n  - name: web\nmonitoring:\n  slos:\n    - name: a\n      app: missing\n      objective: 99\n";
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => EnvironmentLoader.Load("t.yaml", yaml));
        Assert.Contains(error.Errors, e => e.Message.Contains("server name 'web' is used twice") && e.Message.StartsWith("t.yaml:4:5:"));
        Assert.Contains(error.Errors, e => e.Message.Contains("refers to app 'missing'"));
    }

    [Fact]
    public void Aws_cidrs_are_validated()
    {
        var yaml = "name: prod\nprovider:\n  type: aws\n  aws:\n    allowSshFrom: [203.0.113.0/24, not-a-cidr]\n";
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.Load("p.yaml", yaml));
        Assert.Contains("'not-a-cidr' is not a CIDR block", error.Message);
    }

    [Fact]
    public void Missing_file_is_object_not_found()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => EnvironmentLoader.LoadFile("/nonexistent/dir/env.yaml"));
        Assert.Equal(ErrorIds.FileNotFound, error.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
    }

    [Fact]
    public void Shipped_json_schema_matches_the_model()
    {
        // The schema editors read must describe exactly what the loader accepts.
        // To refresh it: UPDATE_SCHEMA=1 dotnet test tests/DevOpsTools.Engine.Tests
        var generated = EnvironmentSchema.Generate();
        var shipped = Path.Combine(RepoRoot(), "src", "DevOpsTools.Engine", "Resources", EnvironmentSchema.FileName);
        if (Environment.GetEnvironmentVariable("UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(shipped, generated);
        }

        Assert.True(File.Exists(shipped), $"{shipped} is missing; run with UPDATE_SCHEMA=1.");
        Assert.Equal(generated, File.ReadAllText(shipped));
        using var doc = System.Text.Json.JsonDocument.Parse(generated);
        var props = doc.RootElement.GetProperty("properties");
        Assert.Equal("array", props.GetProperty("servers").GetProperty("type").GetString());
        Assert.False(doc.RootElement.GetProperty("additionalProperties").GetBoolean());
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DevOpsTools.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
