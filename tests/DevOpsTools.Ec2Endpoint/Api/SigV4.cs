using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DevOpsTools.Ec2Endpoint.Http;

namespace DevOpsTools.Ec2Endpoint.Api;

/// <summary>AWS Signature Version 4 checks for the Authorization header form.</summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    public sealed record Parsed(string AccessKeyId, string Date, string Region, string Service, string[] SignedHeaders, string Signature);

    private static Ec2Error AuthFailure() =>
        Ec2Error.Of("AuthFailure", "AWS was not able to validate the provided access credentials");

    /// <summary>Parses "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=.., Signature=..".</summary>
    public static Parsed Parse(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            throw AuthFailure();
        }

        var fields = authorization[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) ||
            !fields.TryGetValue("SignedHeaders", out var signedHeaders) ||
            !fields.TryGetValue("Signature", out var signature))
        {
            throw Ec2Error.Of("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[0].Length == 0 || scope[4] != "aws4_request")
        {
            throw Ec2Error.Of("IncompleteSignature", $"Credential should be scoped to a valid region, not '{credential}'.");
        }

        return new Parsed(scope[0], scope[1], scope[2], scope[3], signedHeaders.Split(';'), signature);
    }

    /// <summary>Recomputes the signature with the given secret; throws SignatureDoesNotMatch/RequestExpired on failure.</summary>
    public static void Verify(HttpRequestData request, Parsed auth, string secretKey)
    {
        var amzDate = request.Header("X-Amz-Date");
        if (amzDate is null || !DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            throw Ec2Error.Of("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }

        if ((DateTimeOffset.UtcNow - signedAt).Duration() > TimeSpan.FromMinutes(15))
        {
            throw Ec2Error.Of("RequestExpired", $"Request has expired. Timestamp date is {amzDate}");
        }

        var canonical = new StringBuilder();
        canonical.Append(request.Method).Append('\n');
        canonical.Append(string.IsNullOrEmpty(request.Path) ? "/" : request.Path).Append('\n');
        canonical.Append(CanonicalQuery(request.Query)).Append('\n');
        foreach (var h in auth.SignedHeaders)
        {
            var value = request.Header(h) ?? string.Empty;
            canonical.Append(h.ToLowerInvariant()).Append(':').Append(CollapseSpaces(value.Trim())).Append('\n');
        }

        canonical.Append('\n');
        canonical.Append(string.Join(';', auth.SignedHeaders)).Append('\n');
        canonical.Append(request.Header("X-Amz-Content-SHA256") ?? Hex(SHA256.HashData(request.Body)));

        var scope = $"{auth.Date}/{auth.Region}/{auth.Service}/aws4_request";
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), auth.Date);
        key = Hmac(key, auth.Region);
        key = Hmac(key, auth.Service);
        key = Hmac(key, "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(auth.Signature)))
        {
            throw Ec2Error.Of("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }
    }

    private static string CanonicalQuery(string query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return string.Empty;
        }

        var pairs = QueryParameters.Parse(query).All
            .Select(kv => (Name: Encode(kv.Key), Value: Encode(kv.Value)))
            .OrderBy(kv => kv.Name, StringComparer.Ordinal)
            .ThenBy(kv => kv.Value, StringComparer.Ordinal);
        return string.Join('&', pairs.Select(kv => kv.Name + "=" + kv.Value));
    }

    private static string Encode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static string CollapseSpaces(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prevSpace = false;
        foreach (var c in s)
        {
            if (c == ' ')
            {
                if (!prevSpace)
                {
                    sb.Append(c);
                }

                prevSpace = true;
            }
            else
            {
                sb.Append(c);
                prevSpace = false;
            }
        }

        return sb.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
