using System.Text.RegularExpressions;

namespace DevOpsTools.Engine.Support;

/// <summary>
/// Makes text safe to paste into a public forum thread. Secrets are always replaced: private key
/// blocks, the known secret values given (the environment's generated passwords), passwords in
/// URLs and connection strings, values of secret-looking keys (password, token, secret, webhook,
/// access key...), AWS access keys, bearer tokens and JWTs, and URL query strings. Unless host
/// names are kept, IP addresses (loopback excepted) and host names (the known ones given, and DNS
/// names under common suffixes) become stable placeholders, the same one for every mention, so a
/// reader can still follow "ip-2 refused ip-1". The module's own server names are labels the user
/// chose and are kept: without them the report cannot be followed.
/// </summary>
public sealed partial class SupportRedactor
{
    public const string Mask = "[redacted]";
    private readonly bool _keepHosts;
    private readonly List<string> _secrets;
    private readonly List<string> _hosts;
    private readonly Dictionary<string, string> _placeholders = new(StringComparer.OrdinalIgnoreCase);

    public SupportRedactor(bool keepHostNames, IEnumerable<string> knownSecrets, IEnumerable<string> knownHosts)
    {
        _keepHosts = keepHostNames;
        // Longest first, so a secret that contains another is replaced whole.
        _secrets = knownSecrets.Where(s => !string.IsNullOrWhiteSpace(s) && s.Trim().Length >= 6).Select(s => s.Trim())
            .Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToList();
        _hosts = knownHosts.Where(h => !string.IsNullOrWhiteSpace(h) && !IsLoopback(h)).Select(h => h.Trim())
            .Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(h => h.Length).ToList();
    }

    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = PrivateKeyBlock().Replace(text, "[redacted private key]");
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        text = UrlPassword().Replace(text, m => m.Groups["scheme"].Value + m.Groups["user"].Value + ":" + Mask + "@");
        text = SecretKeyValue().Replace(text, m => m.Groups["key"].Value + Mask);
        text = ConnectionStringPassword().Replace(text, m => m.Groups["key"].Value + "=" + Mask);
        text = AwsAccessKey().Replace(text, "[redacted AWS key]");
        text = AwsSecretKey().Replace(text, m => LooksRandom(m.Value) ? Mask : m.Value);
        text = Bearer().Replace(text, m => m.Groups["word"].Value + " " + Mask);
        text = Jwt().Replace(text, Mask);
        text = WebhookPath().Replace(text, m => m.Groups["host"].Value + "/" + Mask);
        text = UrlQuery().Replace(text, m => m.Groups["url"].Value + "?" + Mask);
        if (_keepHosts)
        {
            return text;
        }

        foreach (var host in _hosts)
        {
            text = Regex.Replace(text, $@"(?<![\w.-]){Regex.Escape(host)}(?![\w-]|\.[\w-])", _ => Placeholder(host), RegexOptions.IgnoreCase);
        }

        text = Ipv4().Replace(text, m => IsLoopback(m.Value) ? m.Value : Placeholder(m.Value));
        text = Ipv6().Replace(text, m => IsIpv6(m.Value) ? Placeholder(m.Value) : m.Value);
        return DnsName().Replace(text, m => Placeholder(m.Value));
    }

    private string Placeholder(string value)
    {
        if (!_placeholders.TryGetValue(value, out var name))
        {
            var kind = Ipv4().IsMatch(value) || value.Contains(':', StringComparison.Ordinal) ? "ip" : "host";
            name = $"<{kind}-{_placeholders.Values.Count(v => v.StartsWith("<" + kind + "-", StringComparison.Ordinal)) + 1}>";
            _placeholders[value] = name;
        }

        return name;
    }

    private static bool IsLoopback(string value) =>
        value is "127.0.0.1" or "0.0.0.0" or "::1" or "localhost" || value.StartsWith("127.", StringComparison.Ordinal);

    // A 40-character run is an AWS secret only if it mixes cases and digits: a git commit id
    // (hex) or a word is left alone.
    private static bool LooksRandom(string value) =>
        value.Any(char.IsUpper) && value.Any(char.IsLower) && value.Any(char.IsDigit);

    // Times (01:45:33) and ratios look like short IPv6 runs; a real address has "::" or 8 groups.
    private static bool IsIpv6(string value) =>
        (value.Contains("::", StringComparison.Ordinal) || value.Count(c => c == ':') == 7) && value != "::1"
        && System.Net.IPAddress.TryParse(value, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    [GeneratedRegex(@"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----")]
    private static partial Regex PrivateKeyBlock();

    [GeneratedRegex(@"(?<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?<user>[^/\s:@]+):(?<password>[^/\s@]+)@")]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?im)(?<key>^[ \t>-]*[""']?[\w.-]*(?:password|passwd|secret|token|webhook|apikey|api_key|access_?key|private_?key|credential|connection_?string)[\w.-]*[""']?[ \t]*[:=][ \t]*)(?=\S)(?<value>[^\r\n]+)")]
    private static partial Regex SecretKeyValue();

    [GeneratedRegex(@"(?i)(?<key>\b(?:password|pwd))=(?<value>[^;\s""']+)")]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")]
    private static partial Regex AwsSecretKey();

    [GeneratedRegex(@"(?i)(?<word>\bbearer)\s+[A-Za-z0-9._~+/-]+=*")]
    private static partial Regex Bearer();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i)(?<host>https?://(?:hooks\.slack\.com|[\w.-]*webhook\.office\.com|discord(?:app)?\.com/api/webhooks))/[^\s)""'`]+")]
    private static partial Regex WebhookPath();

    [GeneratedRegex(@"(?<url>\bhttps?://[^\s?#)""'`]+)\?[^\s#)""'`]+")]
    private static partial Regex UrlQuery();

    [GeneratedRegex(@"(?<![\w.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\w.]*\d)")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")]
    private static partial Regex Ipv6();

    [GeneratedRegex(@"(?i)(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|internal|local|lan|corp|cloud|dev|example)(?![\w-]|\.[\w-])")]
    private static partial Regex DnsName();
}
