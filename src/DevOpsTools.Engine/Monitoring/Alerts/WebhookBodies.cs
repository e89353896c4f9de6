using System.Globalization;
using System.Text.Json.Nodes;

namespace DevOpsTools.Engine.Monitoring.Alerts;

/// <summary>The JSON body shapes a webhook receiver understands.</summary>
public enum WebhookFormat
{
    /// <summary>status, service, environment, target, figures, reason, time.</summary>
    Generic,

    /// <summary>A Slack incoming webhook's {"text", "blocks"}.</summary>
    Slack,

    /// <summary>A Microsoft Teams incoming webhook's MessageCard.</summary>
    Teams,
}

/// <summary>
/// Builds an alert's body from the figures of a ServiceStats: nothing else (no URL query,
/// header or secret) goes in.
/// </summary>
public static class WebhookBodies
{
    public static JsonObject Build(AlertNotice notice, WebhookFormat format, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return format switch
        {
            WebhookFormat.Slack => Slack(notice, time),
            WebhookFormat.Teams => Teams(notice, time),
            _ => Generic(notice, time),
        };
    }

    /// <summary>"fired" or "resolved".</summary>
    public static string StatusOf(AlertNotice notice) =>
        notice.Transition == AlertTransition.Resolved ? "resolved" : "fired";

    public static JsonObject Generic(AlertNotice notice, DateTimeOffset time)
    {
        var s = notice.Stats;
        return new JsonObject
        {
            ["status"] = StatusOf(notice),
            ["state"] = s.Status.ToString(),
            ["service"] = s.Service,
            ["environment"] = s.Environment,
            ["target"] = s.Target,
            ["figures"] = new JsonObject
            {
                ["availability"] = s.Availability,
                ["errorRate"] = s.ErrorRate,
                ["requests"] = s.Requests,
                ["latencyP99Ms"] = s.LatencyP99,
                ["slo"] = s.Slo,
                ["burnRate"] = Finite(s.BurnRate),
                ["errorBudgetRemaining"] = Finite(s.ErrorBudgetRemaining),
            },
            ["reason"] = ReasonOf(s),
            ["time"] = time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        };
    }

    public static JsonObject Slack(AlertNotice notice, DateTimeOffset time)
    {
        var s = notice.Stats;
        var fields = new JsonArray();
        foreach (var (name, value) in Facts(s))
        {
            fields.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{name}*\n{value}" });
        }

        return new JsonObject
        {
            ["text"] = Headline(notice),
            ["blocks"] = new JsonArray
            {
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Headline(notice) } },
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = ReasonOf(s) ?? "Healthy" }, ["fields"] = fields },
                new JsonObject
                {
                    ["type"] = "context",
                    ["elements"] = new JsonArray { new JsonObject { ["type"] = "mrkdwn", ["text"] = $"{s.Target} at {time.ToUniversalTime():u}" } },
                },
            },
        };
    }

    public static JsonObject Teams(AlertNotice notice, DateTimeOffset time)
    {
        var s = notice.Stats;
        var facts = new JsonArray();
        foreach (var (name, value) in Facts(s))
        {
            facts.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        return new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = Headline(notice),
            ["themeColor"] = notice.Transition == AlertTransition.Resolved ? "2EB886" : "D00000",
            ["title"] = Headline(notice),
            ["sections"] = new JsonArray
            {
                new JsonObject
                {
                    ["activityTitle"] = ReasonOf(s) ?? "Healthy",
                    ["activitySubtitle"] = $"{s.Target} at {time.ToUniversalTime():u}",
                    ["facts"] = facts,
                },
            },
        };
    }

    /// <summary>"[FIRED] prod/api is Degraded" or "[RESOLVED] prod/api is Healthy".</summary>
    public static string Headline(AlertNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var s = notice.Stats;
        var name = s.Environment is null ? s.Service : $"{s.Environment}/{s.Service}";
        var state = s.Status == ServiceStatus.Healthy && s.SloBreached ? "breaking its SLO" : $"{s.Status}";
        return $"[{StatusOf(notice).ToUpperInvariant()}] {name} is {state}";
    }

    private static string? ReasonOf(ServiceStats s) =>
        s.Reason ?? (s.SloBreached ? string.Join("; ", s.Slos.Where(r => r.Breached).Select(r => r.Describe())) : null);

    private static IEnumerable<(string Name, string Value)> Facts(ServiceStats s)
    {
        var c = CultureInfo.InvariantCulture;
        yield return ("Availability", (s.Availability * 100).ToString("0.00", c) + " %");
        yield return ("Error rate", (s.ErrorRate * 100).ToString("0.00", c) + " %");
        yield return ("p99", s.LatencyP99 is { } p ? p.ToString("0.0", c) + " ms" : "-");
        if (s.Slo is not null)
        {
            yield return ("SLO", s.Slo);
            yield return ("Burn rate", Finite(s.BurnRate) is { } b ? b.ToString("0.0", c) + "x" : "-");
            yield return ("Budget left", Finite(s.ErrorBudgetRemaining) is { } r ? (r * 100).ToString("0.0", c) + " %" : "-");
        }
    }

    /// <summary>JSON has no infinity: an infinite burn rate (a 100 % objective broken) is null.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
