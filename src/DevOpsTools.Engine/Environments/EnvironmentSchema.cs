using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Environments;

public static class EnvironmentSchema
{
    public const string FileName = "devopstools-environment.schema.json";
    public const string Id = "https://devopstools.dev/schemas/environment-v1.json";

    public static string Generate() => JsonSchemaGenerator.Generate(typeof(EnvironmentDefinition), Id, "DevOpsTools environment definition");
}
