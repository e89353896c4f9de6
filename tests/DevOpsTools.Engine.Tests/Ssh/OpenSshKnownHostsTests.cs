using System.Security.Cryptography;
using System.Text;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Tests.Ssh;

/// <summary>Reading the user's own OpenSSH known_hosts (plain, comma lists, hashed), for -HostName machines.</summary>
public sealed class OpenSshKnownHostsTests : IDisposable
{
    private const string KeyA = "AAAAC3NzaC1lZDI1NTE5AAAAIEnqVZr0kuFzS2pnWDt1nz3RxH2qf3S6AfbI3vE1oFZs";
    private const string KeyB = "AAAAC3NzaC1lZDI1NTE5AAAAIPqG0y2vEj4M0N2k5p0m8c2Q0qkYxG3k0c0bL7w3lN2x";
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"dot-kh-{Guid.NewGuid():N}");

    [Fact]
    public void Hashed_entries_match_only_their_host_and_port()
    {
        File.WriteAllLines(_file,
        [
            $"{Hashed("[10.0.0.5]:2222")} ssh-ed25519 {KeyA}",
            $"{Hashed("10.0.0.6")} ssh-ed25519 {KeyB}",
        ]);

        var found = Assert.Single(KnownHostsStore.ReadOpenSshFile(_file, "10.0.0.5", 2222));
        Assert.Equal("ssh-ed25519", found.Type);
        Assert.Equal(Convert.FromBase64String(KeyA), found.Blob);
        Assert.Empty(KnownHostsStore.ReadOpenSshFile(_file, "10.0.0.5", 22));
        Assert.Equal(Convert.FromBase64String(KeyB), Assert.Single(KnownHostsStore.ReadOpenSshFile(_file, "10.0.0.6", 22)).Blob);
    }

    [Fact]
    public void Plain_and_comma_separated_host_fields_match()
    {
        File.WriteAllLines(_file, [$"bastion.example.net,203.0.113.7 ssh-ed25519 {KeyA} ops@laptop", "# comment", string.Empty]);
        Assert.Single(KnownHostsStore.ReadOpenSshFile(_file, "203.0.113.7", 22));
        Assert.Single(KnownHostsStore.ReadOpenSshFile(_file, "bastion.example.net", 22));
        Assert.Empty(KnownHostsStore.ReadOpenSshFile(_file, "bastion", 22));
    }

    [Fact]
    public void Wildcards_markers_and_malformed_lines_are_never_trusted()
    {
        File.WriteAllLines(_file,
        [
            $"*.example.net ssh-ed25519 {KeyA}",
            $"@cert-authority *.example.net ssh-ed25519 {KeyA}",
            $"@revoked web.example.net ssh-ed25519 {KeyA}",
            "|1|not-base64|x ssh-ed25519 " + KeyA,
            "web.example.net ssh-ed25519",
        ]);
        Assert.Empty(KnownHostsStore.ReadOpenSshFile(_file, "web.example.net", 22));
    }

    [Fact]
    public void A_missing_file_vouches_for_nothing() =>
        Assert.Empty(KnownHostsStore.ReadOpenSshFile(_file + ".missing", "10.0.0.5", 22));

    /// <summary>What `ssh-keygen -H` writes: |1|base64(salt)|base64(HMAC-SHA1(salt, host))</summary>
    private static string Hashed(string host)
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        var hash = HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(host));
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)}";
    }

    public void Dispose() => File.Delete(_file);
}
