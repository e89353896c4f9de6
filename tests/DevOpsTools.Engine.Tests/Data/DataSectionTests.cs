using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Tests.Data;

/// <summary>The environment file's data: section: binding, defaults and the errors it reports.</summary>
public class DataSectionTests
{
    private const string Head = "name: test\nservers:\n  - name: db\n    role: db\n";

    private static DataServiceDefinition LoadOne(string data) =>
        Assert.Single(Assert.Single(EnvironmentLoader.Load("t.yaml", Head + data)).Data);

    private static IReadOnlyList<DevOpsToolsException> Errors(string data)
    {
        try
        {
            EnvironmentLoader.Load("t.yaml", Head + data);
        }
        catch (DevOpsToolsAggregateException many)
        {
            return many.Errors;
        }
        catch (DevOpsToolsException one)
        {
            return [one];
        }

        throw new Xunit.Sdk.XunitException("The file was accepted.");
    }

    [Fact]
    public void A_full_service_binds_every_field()
    {
        var service = LoadOne("""
            data:
              - name: main
                engine: postgresql
                version: 15
                role: db
                port: 5433
                storage: 20Gi
                users: [{ name: shop }, { name: report }]
                databases:
                  - { name: shop, owner: shop }
                backup: { keep: 7, maxAge: 30d }
            """);

        Assert.Equal("main", service.Name);
        Assert.Equal(DataEngine.Postgresql, service.Engine);
        Assert.Equal("15", service.Version);
        Assert.Equal("db", service.Role);
        Assert.False(service.Container);
        Assert.Equal(5433, service.Port);
        Assert.Equal(20L << 30, service.StorageBytes);
        Assert.Equal(["shop", "report"], service.Users.Select(u => u.Name));
        Assert.Equal("shop", Assert.Single(service.Databases).Owner);
        Assert.Equal(7, service.Backup!.Keep);
        Assert.Equal(TimeSpan.FromDays(30), service.Backup.MaxAgeSpan);
        Assert.Equal("role db", service.Placement);
    }

    [Fact]
    public void A_container_service_has_defaults_for_version_port_and_storage()
    {
        var service = LoadOne("data:\n  - name: main\n    engine: postgresql\n    container: true\n");
        Assert.True(service.Container);
        Assert.Equal("15", service.Version);
        Assert.Equal(5432, service.Port);
        Assert.Equal(1L << 30, service.StorageBytes);
        Assert.Null(service.Backup);
        Assert.Equal("container", service.Placement);
    }

    [Fact]
    public void An_unknown_engine_names_the_field_and_the_engines_there_are()
    {
        var error = Assert.Single(Errors("data:\n  - name: main\n    engine: mysql\n    container: true\n"));
        Assert.Equal(ErrorIds.YamlWrongType, error.ErrorId);
        Assert.Equal("t.yaml:7:13: $.data[0].engine: expected one of postgresql, found 'mysql'.", error.Message);
    }

    [Fact]
    public void A_bad_size_and_an_unavailable_version_are_invalid_values_at_their_lines()
    {
        var errors = Errors("data:\n  - name: main\n    engine: postgresql\n    container: true\n    storage: ten gigs\n    version: 16\n");
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.ErrorId == ErrorIds.YamlInvalidValue && e.Message.StartsWith("t.yaml:9:14: $.data[0].storage: 'ten gigs' is not valid", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.StartsWith("t.yaml:10:14: $.data[0].version: '16' is not valid", StringComparison.Ordinal) && e.Message.Contains("PostgreSQL 15", StringComparison.Ordinal));
    }

    [Fact]
    public void Storage_too_small_for_postgresql_is_refused()
    {
        var error = Assert.Single(Errors("data:\n  - name: main\n    engine: postgresql\n    container: true\n    storage: 10Mi\n"));
        Assert.StartsWith("t.yaml:6:5: $.data[0].storage: '10Mi' is out of range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_key_gets_a_suggestion()
    {
        var error = Assert.Single(Errors("data:\n  - name: main\n    engine: postgresql\n    container: true\n    storgae: 1Gi\n"));
        Assert.Equal(ErrorIds.YamlUnknownKey, error.ErrorId);
        Assert.Contains("did you mean 'storage'?", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    engine: postgresql\n", "needs exactly one of role")]
    [InlineData("    engine: postgresql\n    container: true\n    role: db\n", "needs exactly one of role")]
    [InlineData("    engine: postgresql\n    role: cache\n", "which no server group of environment 'test' has (roles: db)")]
    [InlineData("    engine: postgresql\n    container: true\n    backup: {}\n", "backup needs keep")]
    [InlineData("    engine: postgresql\n    container: true\n    backup: { destination: 's3://Bad_Bucket' }\n", "backup.destination names bucket 'Bad_Bucket'")]
    [InlineData("    engine: postgresql\n    container: true\n    backup: { keep: 2, destination: /srv/backups }\n", "is not an S3 location")]
    [InlineData("    engine: postgresql\n    container: true\n    backup: { keep: 2, endpointUrl: 'http://127.0.0.1:9000' }\n", "backup.endpointUrl needs an s3:// backup.destination")]
    [InlineData("    engine: postgresql\n    container: true\n    backup: { destination: 's3://b-1/p', endpointUrl: 'ftp://x' }\n", "is not an absolute http:// or https:// URL")]
    [InlineData("    engine: postgresql\n    container: true\n    users: [{ name: postgres }]\n", "'postgres' is reserved")]
    [InlineData("    engine: postgresql\n    container: true\n    users: [{ name: pg_admin }]\n", "'pg_admin' is reserved")]
    [InlineData("    engine: postgresql\n    container: true\n    users: [{ name: a }, { name: a }]\n", "user 'a' is listed twice")]
    [InlineData("    engine: postgresql\n    container: true\n    databases: [{ name: template1, owner: a }]\n    users: [{ name: a }]\n", "one of PostgreSQL's own databases")]
    [InlineData("    engine: postgresql\n    container: true\n    databases: [{ name: shop, owner: shop }]\n", "owned by 'shop', which is not among the service's users (it has none")]
    public void Cross_field_rules_name_the_service_and_the_problem(string fields, string expected)
    {
        var error = Assert.Single(Errors("data:\n  - name: main\n" + fields));
        Assert.Equal(ErrorIds.YamlInvalidValue, error.ErrorId);
        Assert.StartsWith("t.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.data[0]", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_that_could_reach_sql_unquoted_are_refused_by_pattern()
    {
        var error = Assert.Single(Errors("data:\n  - name: main\n    engine: postgresql\n    container: true\n    users: [{ name: \"x; drop table y\" }]\n"));
        Assert.Equal(ErrorIds.YamlInvalidValue, error.ErrorId);
        Assert.Contains("$.data[0].users[0].name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_services_in_containers_cannot_share_a_port_or_a_name()
    {
        var errors = Errors("data:\n  - { name: a, engine: postgresql, container: true }\n  - { name: a, engine: postgresql, container: true }\n");
        Assert.Contains(errors, e => e.Message.Contains("data service 'a' is defined twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("both run in a container on port 5432", StringComparison.Ordinal));
    }
}
