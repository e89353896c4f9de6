using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Servers;
using DevOpsTools.Engine.Servers.Aws;

namespace DevOpsTools.Engine.Tests.Servers.Aws;

/// <summary>Tests that change AWS_* environment variables: never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AwsEnvironmentCollection
{
    public const string Name = "AWS environment variables";
}

/// <summary>
/// The standard credential chain, independent of the machine: the shared files are the empty
/// temporary files of <see cref="AwsTestEnvironment"/>, instance metadata is off, and every
/// AWS_* variable is restored afterwards.
/// </summary>
[Collection(AwsEnvironmentCollection.Name)]
public sealed class AwsCredentialsTests : IAsyncLifetime
{
    private static readonly string[] Variables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
    ];

    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly string _dir = AwsTestEnvironment.SharedDirectory;
    private AwsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "credentials"), string.Empty);
        File.WriteAllText(Path.Combine(_dir, "config"), string.Empty);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(_dir, "credentials"));
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", Path.Combine(_dir, "config"));
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        _host = await AwsTestHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        foreach (var (variable, value) in _saved)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }

        File.WriteAllText(Path.Combine(_dir, "credentials"), string.Empty);
        File.WriteAllText(Path.Combine(_dir, "config"), string.Empty);
    }

    [Fact]
    public async Task No_credentials_is_CloudCredentialsMissing_naming_the_chain()
    {
        using var provider = new AwsServerProvider(_host.Settings());

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.EnsureAvailableAsync(new EngineContext(NullOutputSink.Instance, CancellationToken.None)));

        Assert.Equal(ErrorIds.CloudCredentialsMissing, error.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, error.Kind);
        foreach (var part in new[] { "AWS_ACCESS_KEY_ID", "-ProfileName", "AWS_PROFILE", Path.Combine(_dir, "credentials"), Path.Combine(_dir, "config"), "instance metadata" })
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(_host.Endpoint.Requests);
    }

    [Fact]
    public async Task An_unknown_profile_is_named()
    {
        using var provider = new AwsServerProvider(_host.Settings().WithOverrides(profile: "nosuch"));

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.EnsureAvailableAsync(new EngineContext(NullOutputSink.Instance, CancellationToken.None)));

        Assert.Equal(ErrorIds.CloudCredentialsMissing, error.ErrorId);
        Assert.Contains("'nosuch'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_region_without_an_endpoint_is_a_clear_error()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "secret");
        using var provider = new AwsServerProvider(new AwsSettings { AllowSshFrom = [AwsTestHost.Cidr] });

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.EnsureAvailableAsync(new EngineContext(NullOutputSink.Instance, CancellationToken.None)));

        Assert.Contains("No AWS region", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_variables_and_a_profile_in_the_shared_file_both_sign_requests_and_the_secret_is_never_shown()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "secret");
        using (var provider = new AwsServerProvider(_host.Settings()))
        {
            await provider.EnsureAvailableAsync(new EngineContext(NullOutputSink.Instance, CancellationToken.None));
            Assert.Empty(await provider.ListAsync("test", EngineContext.Silent()));
        }

        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", null);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", null);
        File.WriteAllText(Path.Combine(_dir, "credentials"), "[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n");
        using (var provider = new AwsServerProvider(_host.Settings().WithOverrides(profile: "ops")))
        {
            Assert.Empty(await provider.ListAsync("test", EngineContext.Silent()));
        }

        // A wrong secret: the endpoint verifies signatures; the error must not echo the secret.
        File.WriteAllText(Path.Combine(_dir, "credentials"), "[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wrong-secret-value\n");
        using (var provider = new AwsServerProvider(_host.Settings().WithOverrides(profile: "ops")))
        {
            var error = ErrorClassifier.Classify(await Assert.ThrowsAnyAsync<Exception>(() => provider.ListAsync("test", EngineContext.Silent())));
            Assert.Equal(ErrorIds.CloudCredentialsMissing, error.ErrorId);
            Assert.DoesNotContain("wrong-secret-value", error.ToString(), StringComparison.Ordinal);
        }

        Assert.All(_host.Endpoint.Requests, r => Assert.Equal("AKIDEXAMPLE", r.AccessKeyId));
    }

    [Fact]
    public void The_region_comes_from_the_profile_when_not_given()
    {
        File.WriteAllText(Path.Combine(_dir, "config"), "[profile ops]\nregion = eu-west-3\n[default]\nregion = eu-north-1\n");

        Assert.Equal("eu-west-3", AwsClientFactory.ResolveRegion(new AwsSettings { Profile = "ops" }));
        Assert.Equal("eu-north-1", AwsClientFactory.ResolveRegion(new AwsSettings()));
        Environment.SetEnvironmentVariable("AWS_REGION", "ap-south-1");
        Assert.Equal("ap-south-1", AwsClientFactory.ResolveRegion(new AwsSettings { Profile = "ops" }));
        Assert.Equal("us-west-2", AwsClientFactory.ResolveRegion(new AwsSettings { Region = "us-west-2" }));
    }

    [Fact]
    public async Task A_bad_endpoint_url_is_an_invalid_parameter()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "secret");
        using var provider = new AwsServerProvider(new AwsSettings { EndpointUrl = "localhost:4566" });

        var error = await Assert.ThrowsAsync<DevOpsToolsException>(() => provider.EnsureAvailableAsync(new EngineContext(NullOutputSink.Instance, CancellationToken.None)));

        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
    }
}
