using System.Text.Json;
using System.Text.Json.Nodes;
using DevOpsTools.Engine.Deploy.Spec;
using DevOpsTools.Engine.Environments;
using DevOpsTools.Engine.Tests.Environments;

namespace DevOpsTools.Engine.Tests.Deploy;

public class AppSchemaTests
{
    [Fact]
    public void Shipped_app_schema_matches_the_model()
    {
        // To refresh it: UPDATE_SCHEMA=1 dotnet test tests/DevOpsTools.Engine.Tests --filter FullyQualifiedName~Schema
        var generated = AppSchema.Generate();
        var shipped = Path.Combine(EnvironmentLoaderTests.RepoRoot(), "src", "DevOpsTools.Engine", "Resources", AppSchema.FileName);
        if (Environment.GetEnvironmentVariable("UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(shipped, generated);
        }

        Assert.True(File.Exists(shipped), $"{shipped} is missing; run with UPDATE_SCHEMA=1.");
        Assert.Equal(generated, File.ReadAllText(shipped));
        using var doc = JsonDocument.Parse(generated);
        var props = doc.RootElement.GetProperty("properties");
        Assert.Equal(["image", "name"], doc.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Quantities.SizePattern, props.GetProperty("resources").GetProperty("properties").GetProperty("memory").GetProperty("pattern").GetString());
        Assert.Equal(AppSpecPatterns.EnvName, props.GetProperty("env").GetProperty("propertyNames").GetProperty("pattern").GetString());
        Assert.Equal(AppSpecPatterns.HostName, props.GetProperty("hosts").GetProperty("items").GetProperty("pattern").GetString());
        Assert.Equal("object", props.GetProperty("environments").GetProperty("additionalProperties").GetProperty("type").GetString());
    }

    [Fact]
    public void The_environment_schema_carries_the_same_app_model()
    {
        var env = JsonNode.Parse(EnvironmentSchema.Generate())!;
        var app = JsonNode.Parse(AppSchema.Generate())!;
        Assert.True(JsonNode.DeepEquals(app["properties"], env["properties"]!["apps"]!["items"]!["properties"]));
    }
}
