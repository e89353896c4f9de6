using System.Text;
using DevOpsTools.Ec2Endpoint.Backing;
using DevOpsTools.Ec2Endpoint.State;

namespace DevOpsTools.Ec2Endpoint.Api;

internal sealed record RequestContext(string RequestId, DateTimeOffset Now);

internal sealed record Filter(string Name, List<string> Values);

/// <summary>The EC2 actions. Each handler runs with the state lock held and returns the response body elements.</summary>
internal sealed partial class Ec2Api
{
    private readonly Ec2State _state;
    private readonly Ec2EndpointOptions _options;
    private readonly IInstanceBacking _backing;

    public Ec2Api(Ec2State state, Ec2EndpointOptions options, IInstanceBacking backing)
    {
        _state = state;
        _options = options;
        _backing = backing;
    }

    public static readonly IReadOnlySet<string> Actions = new HashSet<string>(StringComparer.Ordinal)
    {
        "RunInstances", "DescribeInstances", "DescribeInstanceStatus", "TerminateInstances",
        "DescribeImages", "ImportKeyPair", "DescribeKeyPairs", "DeleteKeyPair",
        "CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DescribeSecurityGroups", "DeleteSecurityGroup",
        "CreateTags", "DeleteTags", "GetConsoleOutput", "DescribeVpcs", "DescribeSubnets", "DescribeVolumes",
    };

    /// <summary>Runs one action; throws <see cref="Ec2Error"/> for API errors.</summary>
    public byte[] Execute(string action, QueryParameters p, RequestContext ctx)
    {
        if (!Actions.Contains(action))
        {
            throw new Ec2Error("InvalidAction", $"The action {action} is not valid for this web service.");
        }

        if (p.GetBool("DryRun") == true)
        {
            throw Ec2Error.Of("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
        }

        IEnumerable<object?> body;
        lock (_state.Gate)
        {
            ForgetExpiredInstances(ctx.Now);
            body = action switch
            {
                "RunInstances" => RunInstances(p, ctx),
                "DescribeInstances" => DescribeInstances(p, ctx),
                "DescribeInstanceStatus" => DescribeInstanceStatus(p, ctx),
                "TerminateInstances" => TerminateInstances(p, ctx),
                "DescribeImages" => DescribeImages(p),
                "ImportKeyPair" => ImportKeyPair(p, ctx),
                "DescribeKeyPairs" => DescribeKeyPairs(p),
                "DeleteKeyPair" => DeleteKeyPair(p),
                "CreateSecurityGroup" => CreateSecurityGroup(p),
                "AuthorizeSecurityGroupIngress" => AuthorizeSecurityGroupIngress(p),
                "RevokeSecurityGroupIngress" => RevokeSecurityGroupIngress(p),
                "DescribeSecurityGroups" => DescribeSecurityGroups(p),
                "DeleteSecurityGroup" => DeleteSecurityGroup(p, ctx),
                "CreateTags" => CreateTags(p, ctx),
                "DeleteTags" => DeleteTags(p, ctx),
                "GetConsoleOutput" => GetConsoleOutput(p, ctx),
                "DescribeVpcs" => DescribeVpcs(p),
                "DescribeSubnets" => DescribeSubnets(p),
                "DescribeVolumes" => DescribeVolumes(p, ctx),
                _ => throw new Ec2Error("InvalidAction", $"The action {action} is not valid for this web service."),
            };

            // Materialize while the lock is held.
            body = body.ToList();
        }

        return Xml.Response(action, ctx.RequestId, body);
    }

    // ---- instance state over time -------------------------------------------------------------

    internal DateTimeOffset? RunningAt(Instance i)
    {
        var t = i.CreatedAt + _options.PendingDuration;
        if (i.WaitsForBacking)
        {
            if (i.BackingStartedAt is not { } started)
            {
                return null;
            }

            t = started > t ? started : t;
        }

        return t;
    }

    internal InstanceStateName StateOf(Instance i, DateTimeOffset now)
    {
        if (i.TerminateRequestedAt is { } t)
        {
            return now >= t + _options.TerminateDuration ? InstanceStateName.Terminated : InstanceStateName.ShuttingDown;
        }

        return RunningAt(i) is { } r && now >= r ? InstanceStateName.Running : InstanceStateName.Pending;
    }

    /// <summary>Whether status checks pass: running for the configured time, and the guest (if any) answers.</summary>
    internal bool StatusOk(Instance i, DateTimeOffset now)
    {
        if (StateOf(i, now) != InstanceStateName.Running || RunningAt(i) is not { } r || now < r + _options.StatusOkDuration)
        {
            return false;
        }

        return !i.WaitsForBacking || (i.GuestReadyAt is { } g && now >= g);
    }

    private bool IsVisible(Instance i, DateTimeOffset now) =>
        i.TerminateRequestedAt is not { } t || now < t + _options.TerminateDuration + _options.TerminatedVisibleDuration;

    private void ForgetExpiredInstances(DateTimeOffset now)
    {
        foreach (var gone in _state.Instances.Values.Where(i => !IsVisible(i, now)).ToList())
        {
            _state.Instances.Remove(gone.Id);
        }
    }

    private Instance? FindVisibleInstance(string id, DateTimeOffset now) =>
        _state.Instances.TryGetValue(id, out var i) && IsVisible(i, now) ? i : null;

    /// <summary>Resolves instance IDs, throwing Malformed/NotFound like EC2 for any that do not resolve.</summary>
    private List<Instance> ResolveInstances(IReadOnlyList<string> ids, DateTimeOffset now)
    {
        foreach (var id in ids)
        {
            if (!Ids.IsWellFormed(id, "i"))
            {
                throw Ec2Error.Malformed("InvalidInstanceID.Malformed", id, "i-...");
            }
        }

        var missing = ids.Where(id => FindVisibleInstance(id, now) is null).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw Ec2Error.NotFound("InvalidInstanceID.NotFound", "instance ID", missing);
        }

        return [.. ids.Distinct().Select(id => _state.Instances[id])];
    }

    // ---- filters --------------------------------------------------------------------------------

    private static List<Filter> ParseFilters(QueryParameters p)
    {
        var filters = new List<Filter>();
        foreach (var f in p.Structs("Filter"))
        {
            var name = f.Get("Name");
            if (string.IsNullOrEmpty(name))
            {
                throw Ec2Error.MissingParameter("Filter.N.Name");
            }

            filters.Add(new Filter(name, f.List("Value")));
        }

        return filters;
    }

    /// <summary>
    /// Applies EC2 filter semantics: all filters must match (AND), any value of a filter may match (OR),
    /// values take <c>*</c> and <c>?</c> wildcards. <paramref name="known"/> lists the non-tag filter names the
    /// resource supports (others are rejected as EC2 does); <paramref name="valuesOf"/> gives an item's candidate
    /// values for one of them; <paramref name="tagsOf"/> gives the item's tags for tag:, tag-key and tag-value.
    /// </summary>
    private static IEnumerable<T> ApplyFilters<T>(
        IEnumerable<T> items,
        List<Filter> filters,
        IReadOnlyCollection<string> known,
        Func<string, T, IEnumerable<string?>> valuesOf,
        Func<T, Tags?>? tagsOf)
    {
        if (filters.Count == 0)
        {
            return items;
        }

        foreach (var f in filters)
        {
            if (!known.Contains(f.Name) && !(tagsOf is not null && IsTagFilter(f.Name)))
            {
                throw Ec2Error.InvalidParameterValue($"The filter '{f.Name}' is invalid");
            }
        }

        return items.Where(item => filters.All(f =>
        {
            var candidates = IsTagFilter(f.Name) && tagsOf is not null ? TagValues(f.Name, tagsOf(item))! : valuesOf(f.Name, item);
            return f.Values.Any(v => candidates.Any(c => c is not null && Wildcard.IsMatch(v, c)));
        })).ToList();
    }

    private static bool IsTagFilter(string name) => name.StartsWith("tag:", StringComparison.Ordinal) || name is "tag-key" or "tag-value";

    /// <summary>Values for tag:Key, tag-key and tag-value filters; null when the filter is not a tag filter.</summary>
    private static IEnumerable<string?>? TagValues(string filter, Tags? tags)
    {
        if (filter.StartsWith("tag:", StringComparison.Ordinal))
        {
            var key = filter[4..];
            return tags is null ? [] : tags.Items.Where(t => t.Key == key).Select(t => (string?)t.Value);
        }

        return filter switch
        {
            "tag-key" => tags is null ? [] : tags.Items.Select(t => (string?)t.Key),
            "tag-value" => tags is null ? [] : tags.Items.Select(t => (string?)t.Value),
            _ => null,
        };
    }

    private static string?[] One(string? value) => [value];

    // ---- pagination -----------------------------------------------------------------------------

    private static (List<T> Page, string? NextToken) Paginate<T>(List<T> all, QueryParameters p, int min, int max)
    {
        var maxResults = p.GetInt("MaxResults");
        var token = p.Get("NextToken");
        var start = 0;
        if (!string.IsNullOrEmpty(token))
        {
            try
            {
                var raw = Encoding.UTF8.GetString(Convert.FromBase64String(token));
                if (!raw.StartsWith("offset:", StringComparison.Ordinal) || !int.TryParse(raw.AsSpan(7), out start) || start < 0)
                {
                    throw new FormatException();
                }
            }
            catch (FormatException)
            {
                throw Ec2Error.InvalidParameterValue($"Invalid value '{token}' for nextToken");
            }
        }

        if (maxResults is null)
        {
            return (all.Skip(start).ToList(), null);
        }

        if (maxResults < min || maxResults > max)
        {
            throw Ec2Error.InvalidParameterValue($"Value ( {maxResults} ) for parameter maxResults is invalid. Expecting a value between {min} and {max}.");
        }

        var page = all.Skip(start).Take(maxResults.Value).ToList();
        var next = start + page.Count < all.Count
            ? Convert.ToBase64String(Encoding.UTF8.GetBytes("offset:" + (start + page.Count)))
            : null;
        return (page, next);
    }

    // ---- tags ---------------------------------------------------------------------------------

    private const int MaxTagsPerResource = 50;

    private static List<KeyValuePair<string, string>> ParseTags(IEnumerable<QueryParameters> tagStructs)
    {
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var t in tagStructs)
        {
            var key = t.Get("Key");
            if (key is null)
            {
                throw Ec2Error.MissingParameter("Tag.N.Key");
            }

            ValidateTag(key, t.Get("Value") ?? string.Empty);
            tags.Add(new KeyValuePair<string, string>(key, t.Get("Value") ?? string.Empty));
        }

        return tags;
    }

    private static void ValidateTag(string key, string value)
    {
        if (key.Length == 0 || key.Length > 128)
        {
            throw Ec2Error.InvalidParameterValue($"Tag key must be between 1 and 128 characters: '{key}'");
        }

        if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            throw Ec2Error.InvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
        }

        if (value.Length > 256)
        {
            throw Ec2Error.InvalidParameterValue($"Tag value exceeds the maximum length of 256 characters for key '{key}'");
        }
    }

    /// <summary>Parses TagSpecification.N, checking resource types against what the action allows.</summary>
    private static Dictionary<string, List<KeyValuePair<string, string>>> ParseTagSpecifications(QueryParameters p, params string[] allowedTypes)
    {
        var result = new Dictionary<string, List<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        foreach (var spec in p.Structs("TagSpecification"))
        {
            var type = spec.Get("ResourceType");
            if (string.IsNullOrEmpty(type))
            {
                throw Ec2Error.MissingParameter("TagSpecification.N.ResourceType");
            }

            if (!allowedTypes.Contains(type))
            {
                throw Ec2Error.InvalidParameterValue($"'{type}' is not a valid taggable resource type for this operation.");
            }

            if (result.ContainsKey(type))
            {
                throw Ec2Error.InvalidParameterValue($"The same resource type may not be specified more than once in tag specifications: '{type}'");
            }

            var tags = ParseTags(spec.Structs("Tag"));
            if (tags.Count > MaxTagsPerResource)
            {
                throw Ec2Error.Of("TagLimitExceeded", $"The maximum number of tags per resource ({MaxTagsPerResource}) has been exceeded");
            }

            result[type] = tags;
        }

        return result;
    }

    private static void ApplyTags(Tags target, IEnumerable<KeyValuePair<string, string>>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var (k, v) in tags)
        {
            target.Set(k, v);
        }
    }

    private string Arn(string type, string id) => $"arn:aws:ec2:{_state.Region}:{_state.AccountId}:{type}/{id}";
}

/// <summary>EC2 filter wildcards: <c>*</c> matches any run, <c>?</c> one character, <c>\</c> escapes.</summary>
internal static class Wildcard
{
    public static bool IsMatch(string pattern, string value) => Match(pattern, 0, value, 0);

    private static bool Match(string p, int pi, string v, int vi)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            if (c == '*')
            {
                while (pi < p.Length && p[pi] == '*')
                {
                    pi++;
                }

                if (pi == p.Length)
                {
                    return true;
                }

                for (var k = vi; k <= v.Length; k++)
                {
                    if (Match(p, pi, v, k))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (vi >= v.Length)
            {
                return false;
            }

            if (c == '?')
            {
                pi++;
                vi++;
                continue;
            }

            if (c == '\\' && pi + 1 < p.Length)
            {
                pi++;
                c = p[pi];
            }

            if (c != v[vi])
            {
                return false;
            }

            pi++;
            vi++;
        }

        return vi == v.Length;
    }
}
