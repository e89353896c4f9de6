using DevOpsTools.Engine.Support;
using Xunit;

namespace DevOpsTools.Engine.Tests.Support;

public sealed class SupportRedactorTests
{
    private static string Redact(string text, bool keepHosts = false, string[]? secrets = null, string[]? hosts = null) =>
        new SupportRedactor(keepHosts, secrets ?? [], hosts ?? []).Redact(text);

    [Fact]
    public void Private_key_blocks_are_replaced_whole()
    {
        var text = "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUJDREVGRw==\n-----END OPENSSH PRIVATE KEY-----\nafter";
        var redacted = Redact(text);
        Assert.DoesNotContain("b3BlbnNzaC1rZXktdjEAAAAA", redacted);
        Assert.DoesNotContain("QUJDREVGRw", redacted);
        Assert.Contains("[redacted private key]", redacted);
        Assert.EndsWith("after", redacted);
    }

    [Fact]
    public void Known_secret_values_are_replaced_wherever_they_appear()
    {
        const string password = "Xk3_v9Qz-PLm2wRt8yHn4bVc";
        var redacted = Redact($"app log: connecting with {password} failed\n| cell {password} |", secrets: [password]);
        Assert.DoesNotContain(password, redacted);
        Assert.Equal(2, redacted.Split(SupportRedactor.Mask).Length - 1);
    }

    [Theory]
    [InlineData("postgresql://app:S3cretPass@db:5432/shop", "S3cretPass", "postgresql://app:[redacted]@")]
    [InlineData("Host=db;Username=app;Password=hunter2hunter;Database=x", "hunter2hunter", "Password=[redacted]")]
    [InlineData("  password: topsecret-value", "topsecret-value", "password: [redacted]")]
    [InlineData("- webhookUrl: https://example.invalid/hook/abc123", "abc123", "webhookUrl: [redacted]")]
    [InlineData("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "[redacted]")]
    [InlineData("id AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", "[redacted AWS key]")]
    [InlineData("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl", "Bearer [redacted]")]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMQ", "eyJhbGciOiJIUzI1NiJ9", "[redacted]")]
    [InlineData("see https://hooks.slack.com/services/T000/B000/XXXXXXXX", "T000/B000", "https://hooks.slack.com/[redacted]")]
    [InlineData("GET https://api.example.invalid/v1/items?sig=abcdef&x=1", "sig=abcdef", "/v1/items?[redacted]")]
    public void Secret_patterns_are_redacted(string text, string secret, string expected)
    {
        var redacted = Redact(text, keepHosts: true);
        Assert.DoesNotContain(secret, redacted);
        Assert.Contains(expected, redacted);
    }

    [Fact]
    public void A_git_commit_id_and_a_sha256_digest_are_not_mistaken_for_secrets()
    {
        const string commit = "6b26dff0123456789abcdef0123456789abcdef0";
        const string digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        var redacted = Redact($"commit {commit} image {digest}");
        Assert.Contains(commit, redacted);
        Assert.Contains(digest, redacted);
    }

    [Fact]
    public void Addresses_and_host_names_become_stable_placeholders_unless_kept()
    {
        const string text = "web-1 at 10.88.0.12 called db.prod.internal (10.88.0.13); 10.88.0.12 again; loopback 127.0.0.1 stays; at 01:45:33 UTC; fd00::12 too; shop.example.com";
        var redacted = Redact(text, hosts: ["shop.example.com"]);
        Assert.DoesNotContain("10.88.0.12", redacted);
        Assert.DoesNotContain("10.88.0.13", redacted);
        Assert.DoesNotContain("db.prod.internal", redacted);
        Assert.DoesNotContain("fd00::12", redacted);
        Assert.DoesNotContain("shop.example.com", redacted);
        Assert.Contains("web-1", redacted);
        Assert.Contains("127.0.0.1", redacted);
        Assert.Contains("01:45:33", redacted);
        // The same address is the same placeholder each time, another one a different one.
        Assert.Equal(2, redacted.Split("<ip-1>").Length - 1);
        Assert.Contains("<ip-2>", redacted);

        var kept = Redact(text, keepHosts: true, hosts: ["shop.example.com"]);
        Assert.Equal(text, kept);
    }

    [Fact]
    public void Versions_and_file_names_are_not_taken_for_hosts()
    {
        const string text = "PowerShell 7.6.9, DevOpsTools 0.1.0, file prod.yaml, errors.jsonl";
        Assert.Equal(text, Redact(text));
    }
}
