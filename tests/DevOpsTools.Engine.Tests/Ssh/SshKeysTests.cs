using System.Text;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;
using Renci.SshNet;

namespace DevOpsTools.Engine.Tests.Ssh;

public class SshKeysTests : IDisposable
{
    private readonly ScratchDirectory _scratch = ScratchDirectory.Create("dot-ssh", create: false);

    private string _root => _scratch.Path;

    [Fact]
    public void Generated_private_key_is_read_by_SSH_NET_and_matches_the_public_line()
    {
        var (pem, publicLine) = OpenSshKeys.GenerateEd25519("devopstools-test");

        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.EndsWith("-----END OPENSSH PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.Matches("^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ devopstools-test$", publicLine);

        using var keyFile = new PrivateKeyFile(new MemoryStream(Encoding.ASCII.GetBytes(pem)));
        var parsed = OpenSshKeys.ParsePublicKeyLine(publicLine);
        Assert.NotNull(parsed);
        Assert.Equal("ssh-ed25519", keyFile.Key.ToString());

        // SSH.NET's view of the public key blob equals ours.
        var hostAlgorithm = keyFile.HostKeyAlgorithms.First();
        Assert.Equal(parsed.Value.Blob, hostAlgorithm.Data);
    }

    [Fact]
    public void Fingerprint_has_the_OpenSSH_format()
    {
        var (_, publicLine) = OpenSshKeys.GenerateEd25519("x");
        var blob = OpenSshKeys.ParsePublicKeyLine(publicLine)!.Value.Blob;
        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}$", OpenSshKeys.Fingerprint(blob));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("ssh-ed25519 !!!notbase64")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIH6xEyOo+BnJpvK65UT9d5nbsvU7B1SJQjwMmiqQO2e8")]
    public void Garbage_is_not_a_public_key(string line) => Assert.Null(OpenSshKeys.ParsePublicKeyLine(line));

    [Fact]
    public void Key_store_creates_one_private_key_per_environment_and_removes_it()
    {
        var store = new SshKeyStore(new ModuleData(_root));
        var (path, publicKey) = store.GetOrCreate("test");

        Assert.Equal(Path.Combine(_root, "keys", "test", "id_ed25519"), path);
        Assert.StartsWith("ssh-ed25519 ", publicKey, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // Same key the second time; another environment gets its own.
        Assert.Equal(publicKey, store.GetOrCreate("test").PublicKey);
        Assert.NotEqual(publicKey, store.GetOrCreate("prod").PublicKey);

        Assert.True(store.Remove("test"));
        Assert.False(store.Exists("test"));
        Assert.True(store.Exists("prod"));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("Prod")]
    [InlineData("")]
    public void Key_store_refuses_names_that_are_not_labels(string environment)
    {
        var store = new SshKeyStore(new ModuleData(_root));
        var error = Assert.Throws<DevOpsToolsException>(() => store.GetOrCreate(environment));
        Assert.Equal(ErrorIds.InvalidParameter, error.ErrorId);
    }

    [Fact]
    public void Known_hosts_are_written_in_OpenSSH_format_and_replaced_per_endpoint()
    {
        var store = new KnownHostsStore(new ModuleData(_root));
        var (_, first) = OpenSshKeys.GenerateEd25519("a");
        var (_, second) = OpenSshKeys.GenerateEd25519("b");
        var firstKey = string.Join(' ', first.Split(' ').Take(2));
        var secondKey = string.Join(' ', second.Split(' ').Take(2));

        store.Set("127.0.0.1", 40022, first, "devopstools:test/web-1");
        store.Set("10.0.0.5", 22, second, "devopstools:prod/db-1");

        var lines = File.ReadAllLines(store.Path);
        Assert.Contains($"[127.0.0.1]:40022 {firstKey} devopstools:test/web-1", lines);
        Assert.Contains($"10.0.0.5 {secondKey} devopstools:prod/db-1", lines);
        Assert.Single(store.Get("127.0.0.1", 40022));
        Assert.Empty(store.Get("127.0.0.1", 40023));

        // A new server on a reused port replaces the old record.
        store.Set("127.0.0.1", 40022, second, "devopstools:test/web-2");
        var record = Assert.Single(store.Get("127.0.0.1", 40022));
        Assert.Equal(OpenSshKeys.ParsePublicKeyLine(second)!.Value.Blob, record.Blob);

        store.RemoveEnvironment("test");
        Assert.Empty(store.Get("127.0.0.1", 40022));
        store.Remove("10.0.0.5", 22);
        Assert.Empty(store.Get("10.0.0.5", 22));
    }

    public void Dispose()
    {
        _scratch.Dispose();
    }
}
