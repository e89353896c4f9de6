using DevOpsTools.Engine.Yaml;

namespace DevOpsTools.Engine.Deploy.Spec;

/// <summary>The JSON Schema of a standalone app.yaml; the environment schema carries the same model under apps.</summary>
public static class AppSchema
{
    public const string FileName = "devopstools-app.schema.json";
    public const string Id = "https://devopstools.dev/schemas/app-v1.json";

    public static string Generate() => JsonSchemaGenerator.Generate(typeof(AppSpec), Id, "DevOpsTools app spec");
}
