using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace DevOpsTools.Engine.Deploy.Kubernetes;

/// <summary>
/// The -WhatIf diff: the live object against the server's dry-run result, both as indented JSON
/// without what the server alone writes (managedFields, resourceVersion, uid, timestamps,
/// generation, status). A Secret's values are replaced before anything is compared as text:
/// the diff says which keys change, never what they hold.
/// </summary>
public static class KubernetesDiff
{
    private static readonly string[] ServerMetadata = ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"];

    /// <summary>The object as the diff shows it; null stays null (the object does not exist).</summary>
    public static string? Normalize(object? obj, JsonObject? secretCompare = null)
    {
        if (obj is null)
        {
            return null;
        }

        var node = JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();
        node.Remove("status");
        if (node["metadata"] is JsonObject meta)
        {
            foreach (var key in ServerMetadata)
            {
                meta.Remove(key);
            }

            if (meta["annotations"] is JsonObject annotations)
            {
                annotations.Remove(KubernetesManifests.RevisionAnnotation);
                annotations.Remove("kubectl.kubernetes.io/last-applied-configuration");
                if (annotations.Count == 0)
                {
                    meta.Remove("annotations");
                }
            }
        }

        if ((string?)node["kind"] == "Secret")
        {
            foreach (var field in new[] { "data", "stringData" })
            {
                if (node[field] is JsonObject data)
                {
                    foreach (var key in data.Select(p => p.Key).ToList())
                    {
                        var same = secretCompare?[field]?[key] is { } other && JsonNode.DeepEquals(other, data[key]);
                        data[key] = secretCompare is null || same ? "(hidden)" : "(hidden, changed)";
                    }
                }
            }
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The raw JSON of an object, for comparing Secret values without showing them.</summary>
    public static JsonObject? Raw(object? obj) => obj is null ? null : JsonNode.Parse(KubernetesJson.Serialize(obj))?.AsObject();

    /// <summary>A unified diff (whole-file hunk with 3 lines of context around changes); empty when the texts are equal.</summary>
    public static string Unified(string label, string? before, string? after)
    {
        if (before == after)
        {
            return string.Empty;
        }

        var a = before?.Split('\n') ?? [];
        var b = after?.Split('\n') ?? [];
        var ops = Lcs(a, b);
        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : label + " (live)").Append('\n');
        text.Append("+++ ").Append(after is null ? "/dev/null" : label + " (after apply)").Append('\n');
        const int context = 3;
        var keep = new bool[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i].Kind != ' ')
            {
                for (var k = Math.Max(0, i - context); k <= Math.Min(ops.Count - 1, i + context); k++)
                {
                    keep[k] = true;
                }
            }
        }

        // Hunks of kept lines, each with its "@@ -old,count +new,count @@" header.
        var (oldLine, newLine) = (1, 1);
        for (var i = 0; i < ops.Count;)
        {
            if (!keep[i])
            {
                (oldLine, newLine) = Advance(ops[i].Kind, oldLine, newLine);
                i++;
                continue;
            }

            var end = i;
            while (end < ops.Count && keep[end])
            {
                end++;
            }

            var hunk = ops.Skip(i).Take(end - i).ToList();
            var oldCount = hunk.Count(o => o.Kind != '+');
            var newCount = hunk.Count(o => o.Kind != '-');
            text.Append(CultureInfo.InvariantCulture, $"@@ -{(oldCount == 0 ? oldLine - 1 : oldLine)},{oldCount} +{(newCount == 0 ? newLine - 1 : newLine)},{newCount} @@\n");
            foreach (var (kind, line) in hunk)
            {
                text.Append(kind).Append(line.TrimEnd('\r')).Append('\n');
                (oldLine, newLine) = Advance(kind, oldLine, newLine);
            }

            i = end;
        }

        return text.ToString();
    }

    private static (int Old, int New) Advance(char kind, int oldLine, int newLine) =>
        kind switch { '+' => (oldLine, newLine + 1), '-' => (oldLine + 1, newLine), _ => (oldLine + 1, newLine + 1) };

    private static List<(char Kind, string Line)> Lcs(string[] a, string[] b)
    {
        var table = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
            }
        }

        var ops = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                ops.Add((' ', a[x++]));
                y++;
            }
            else if (table[x + 1, y] >= table[x, y + 1])
            {
                ops.Add(('-', a[x++]));
            }
            else
            {
                ops.Add(('+', b[y++]));
            }
        }

        ops.AddRange(a.Skip(x).Select(l => ('-', l)));
        ops.AddRange(b.Skip(y).Select(l => ('+', l)));
        return ops;
    }
}
