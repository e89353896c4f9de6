using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Environments;

namespace DevOpsTools.Engine.Tests.Core;

/// <summary>Image names, roles and tags are checked before they reach podman or EC2.</summary>
public class InputValidationTests
{
    [Theory]
    [InlineData("localhost/devopstools/debian12:b108dd233ed9")]
    [InlineData("debian")]
    [InlineData("docker.io/library/debian:12-slim")]
    [InlineData("registry.example:5000/team/app_x/web-api:1.4.2")]
    [InlineData("quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("ami-0123456789abcdef0")]
    [InlineData("debian-12-arm64")]
    public void Accepts_image_references_amis_and_aliases(string image) => Assert.True(Validation.IsImage(image), image);

    [Theory]
    [InlineData("")]
    [InlineData("--privileged")]
    [InlineData("-v/:/host")]
    [InlineData("debian; rm -rf /")]
    [InlineData("debian $(id)")]
    [InlineData("debian\n--privileged")]
    [InlineData("debian\n")]
    [InlineData("Debian:12")]
    [InlineData("debian:")]
    [InlineData("debian:-tag")]
    [InlineData("/debian")]
    [InlineData("debian//x")]
    [InlineData("debian@sha256:short")]
    public void Refuses_images_that_are_not_references(string image) => Assert.False(Validation.IsImage(image), image);

    [Fact]
    public void Refuses_an_image_longer_than_255_characters() => Assert.False(Validation.IsImage("a/" + new string('b', 254)));

    [Theory]
    [InlineData("web", true)]
    [InlineData("container-host", true)]
    [InlineData("Web", false)]
    [InlineData("-web", false)]
    [InlineData("web role", false)]
    [InlineData("web\nx", false)]
    [InlineData("web\n", false)]
    [InlineData("", false)]
    public void Roles_are_rfc1123_labels(string role, bool valid) => Assert.Equal(valid, Validation.IsRole(role));

    [Theory]
    [InlineData("owner", true)]
    [InlineData("cost-center", true)]
    [InlineData("team:app/tier_1+x@y.z", true)]
    [InlineData("Name", true)]
    [InlineData("", false)]
    [InlineData("-owner", false)]
    [InlineData("a=b", false)]
    [InlineData("two words", false)]
    [InlineData("aws:cloudformation", false)]
    [InlineData("AWS:x", false)]
    [InlineData("devopstools.managed", false)]
    [InlineData("DevOpsTools.environment", false)]
    [InlineData("key\n", false)]
    public void Tag_keys_use_the_characters_ec2_and_podman_share(string key, bool valid) => Assert.Equal(valid, Validation.IsTagKey(key));

    [Fact]
    public void Tag_keys_have_at_most_128_characters()
    {
        Assert.True(Validation.IsTagKey(new string('k', 128)));
        Assert.False(Validation.IsTagKey(new string('k', 129)));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("payments team", true)]
    [InlineData("a=b:c/d+e@f.g_h-i", true)]
    [InlineData("line\nbreak", false)]
    [InlineData("tab\there", false)]
    [InlineData("trailing\n", false)]
    [InlineData("quote'", false)]
    [InlineData("$(id)", false)]
    [InlineData("semi;colon", false)]
    public void Tag_values_use_the_characters_ec2_and_podman_share(string value, bool valid) => Assert.Equal(valid, Validation.IsTagValue(value));

    [Fact]
    public void Tag_values_have_at_most_256_characters()
    {
        Assert.True(Validation.IsTagValue(new string('v', 256)));
        Assert.False(Validation.IsTagValue(new string('v', 257)));
    }

    [Fact]
    public void Tag_values_from_a_hashtable_are_strings_numbers_or_booleans()
    {
        Assert.Equal("x", Validation.TagValueText("x"));
        Assert.Equal("42", Validation.TagValueText(42));
        Assert.Equal("true", Validation.TagValueText(true));
        Assert.Equal(string.Empty, Validation.TagValueText(null));
        Assert.Null(Validation.TagValueText(new System.Collections.Hashtable { ["nested"] = 1 }));
        Assert.Null(Validation.TagValueText(new[] { "a", "b" }));
        Assert.Null(Validation.TagValueText(1.5));
    }

    [Theory]
    [InlineData("--privileged", null, "owner", "x", "-Image '--privileged' is not a valid image")]
    [InlineData(null, "Web Server", "owner", "x", "-Role 'Web Server' is not valid")]
    [InlineData(null, "web", "devopstools.managed", "x", "-Tag key 'devopstools.managed' is not valid")]
    [InlineData(null, "web", "owner", "a\nb", "-Tag 'owner' has a value that is not valid ('a\\u000ab')")]
    public void Server_input_problems_name_the_parameter_and_show_the_value_escaped(string? image, string? role, string key, string value, string expected)
    {
        var problem = Validation.ServerInputProblem(image, role, new Dictionary<string, string> { [key] = value });
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void Valid_server_input_has_no_problem() =>
        Assert.Null(Validation.ServerInputProblem("localhost/devopstools/debian12:1", "web", new Dictionary<string, string> { ["owner"] = "team a" }));

    [Fact]
    public void Environment_files_refuse_bad_images_roles_and_tags_naming_file_line_and_field()
    {
        var yaml = """
            name: test
            provider:
              type: podman
              podman:
                image: "--privileged"
            servers:
              - name: web
                role: Web Server
                image: "debian; reboot"
                tags:
                  devopstools.managed: "false"
                  owner: "a'b"
            apps:
              - name: shop
                image: "Shop:1"
            tags:
              "a=b": x
            """;
        var error = Assert.Throws<DevOpsToolsAggregateException>(() => EnvironmentLoader.Load("t.yaml", yaml));
        var messages = error.Errors.Select(e => e.Message).ToList();
        Assert.All(error.Errors, e => Assert.Equal(ErrorIds.YamlInvalidValue, e.ErrorId));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:5:12: $.provider.podman.image: '--privileged' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:8:11: $.servers[0].role: 'Web Server' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:9:12: $.servers[0].image: 'debian; reboot' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:11:7: $.servers[0].tags.devopstools.managed: key 'devopstools.managed' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:12:14: $.servers[0].tags.owner: 'a'b' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:15:12: $.apps[0].image: 'Shop:1' is not valid", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("t.yaml:17:3: $.tags.a=b: key 'a=b' is not valid", StringComparison.Ordinal));
        Assert.Equal(7, messages.Count);
    }
}
