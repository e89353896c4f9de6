using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Deploy;
using DevOpsTools.Engine.Deploy.Spec;

namespace DevOpsTools.Engine.Tests.Deploy;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretResolverTests : IDisposable
{
    private const string Value = "s3cr3t-value-spec";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dot-spec-secrets-");

    [Fact]
    public void Values_come_from_the_environment_and_from_an_owner_only_file_and_are_redacted()
    {
        var file = WriteSecret("db-password", Value + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var app = App(
            new SecretReference { Name = "TOKEN", FromEnvironment = "SPEC_TOKEN" },
            new SecretReference { Name = "DB_PASSWORD", FromFile = file },
            new SecretReference { Name = "TLS_KEY", FromKubernetesSecret = "shop-tls/tls.key" });
        var resolver = new SecretResolver(name => name == "SPEC_TOKEN" ? Value : null);

        var values = resolver.ResolveAll(app);

        Assert.Equal(["TOKEN", "DB_PASSWORD"], values.Select(v => v.Name)); // Kubernetes Secrets are the cluster's
        Assert.All(values, v => Assert.Equal(Value, v.Reveal())); // the file's final line break is not part of it
        Assert.Equal("TOKEN=<redacted>", values[0].ToString());
        Assert.DoesNotContain(Value, $"{values[0]} {string.Join(",", values)} {app}", StringComparison.Ordinal);
        Assert.DoesNotContain(Value, string.Join(",", app.Secrets), StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_or_world_readable_file_is_refused_naming_the_file_not_the_value()
    {
        var file = WriteSecret("api-key", Value, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var resolver = new SecretResolver(_ => null);

        var error = Assert.Throws<DevOpsToolsException>(() => resolver.Resolve(new SecretReference { Name = "API_KEY", FromFile = file }));

        Assert.Equal(ErrorIds.SecretFileTooOpen, error.ErrorId);
        Assert.Equal(ErrorKind.SecurityError, error.Kind);
        Assert.Contains($"Permissions 0644 for secret file '{file}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", error.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(Value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_sources_are_all_reported_without_values()
    {
        var app = App(
            new SecretReference { Name = "TOKEN", FromEnvironment = "SPEC_UNSET_VARIABLE" },
            new SecretReference { Name = "DB_PASSWORD", FromFile = Path.Combine(_root.FullName, "absent") });

        var error = Assert.Throws<DevOpsToolsAggregateException>(() => new SecretResolver(_ => null).ResolveAll(app));

        Assert.Equal(2, error.Errors.Count);
        Assert.Contains("environment variable 'SPEC_UNSET_VARIABLE', which is not set", error.Message, StringComparison.Ordinal);
        Assert.Contains("absent', which does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kubernetes_secret_is_not_read_on_container_hosts()
    {
        var error = Assert.Throws<DevOpsToolsException>(() => new SecretResolver(_ => null).Resolve(new SecretReference { Name = "K", FromKubernetesSecret = "s/k" }));
        Assert.Equal(ErrorIds.SecretUnavailable, error.ErrorId);
    }

    public void Dispose() => _root.Delete(recursive: true);

    private static ResolvedApp App(params SecretReference[] secrets) =>
        new() { Name = "shop", Environment = "test", Image = "localhost/shop:1", Secrets = secrets };

    private string WriteSecret(string name, string content, UnixFileMode mode)
    {
        var file = Path.Combine(_root.FullName, name);
        File.WriteAllText(file, content);
        File.SetUnixFileMode(file, mode);
        return file;
    }
}
