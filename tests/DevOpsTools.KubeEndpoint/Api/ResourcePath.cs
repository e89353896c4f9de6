namespace DevOpsTools.KubeEndpoint.Api;

/// <summary>
/// A resource URL taken apart: <c>/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]</c> or
/// the same under <c>/apis/{group}/{version}</c>.
/// </summary>
public sealed record ResourcePath(ResourceType Type, string? Namespace, string? Name, string? Subresource)
{
    public static ResourcePath? Parse(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int at;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            (group, version, at) = ("", parts[1], 2);
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            (group, version, at) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        var rest = parts[at..];
        string? ns = null;

        // /namespaces/{ns}/{plural}/... is namespaced; /namespaces[/{name}[/status]] is the namespace itself.
        if (rest.Length >= 3 && rest[0] == "namespaces" && !(rest.Length == 3 && rest[2] is "status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }

        var type = ResourceCatalog.Find(group, version, rest[0]);
        if (type is null || rest.Length > 3 || (ns is not null && !type.Namespaced))
        {
            return null;
        }

        var name = rest.Length > 1 ? rest[1] : null;
        var sub = rest.Length > 2 ? rest[2] : null;
        if (sub is not null && !type.Subresources.Contains(sub) && !(type == ResourceCatalog.Namespaces && sub == "finalize"))
        {
            return null;
        }

        if (!type.Namespaced && ns is null && name is null)
        {
            return new ResourcePath(type, null, null, null);
        }

        if (type.Namespaced && ns is null && name is not null)
        {
            return null; // a namespaced object is only addressable inside its namespace
        }

        return new ResourcePath(type, ns, name, sub);
    }
}
