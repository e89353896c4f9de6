using System.Text.Json;
using DevOpsTools.Engine.Core;
using DevOpsTools.Engine.Ssh;

namespace DevOpsTools.Engine.Servers.Podman;

/// <summary>Reading `podman ps --format json`: servers, their SSH port and their endpoints.</summary>
public sealed partial class PodmanServerProvider
{
    internal const string TagPrefix = "devopstools.tag.";

    internal static IReadOnlyList<Server> ParseContainers(string json, KnownHostsStore? knownHosts, SshKeyStore? keys)
    {
        var servers = new List<Server>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return servers;
        }

        using var document = JsonDocument.Parse(json);
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (item.TryGetProperty("Labels", out var labelsElement) && labelsElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var label in labelsElement.EnumerateObject())
                {
                    labels[label.Name] = label.Value.GetString() ?? string.Empty;
                }
            }

            if (!labels.TryGetValue(ResourceLabels.Environment, out var environment) || !labels.TryGetValue(ResourceLabels.Name, out var name))
            {
                continue;
            }

            var declared = ResourceLabels.ParsePorts(labels.GetValueOrDefault(ResourceLabels.Ports));
            var published = item.TryGetProperty("Ports", out var ports) ? ParsePublishedPorts(ports) : [];
            var ssh = published.FirstOrDefault(p => p.Port == 22);
            var address = ssh?.Address;
            var port = ssh?.HostPort ?? 0;

            var state = item.TryGetProperty("State", out var stateElement) ? stateElement.GetString() : null;
            DateTimeOffset? created = item.TryGetProperty("Created", out var createdElement) && createdElement.ValueKind == JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeSeconds(createdElement.GetInt64())
                : null;
            string? fingerprint = null;
            if (address is not null && knownHosts?.Get(address, port).FirstOrDefault() is { Blob: not null } known)
            {
                fingerprint = OpenSshKeys.Fingerprint(known.Blob);
            }

            servers.Add(new Server
            {
                Name = name,
                Environment = environment,
                Provider = "Podman",
                Id = item.TryGetProperty("Id", out var id) ? id.GetString() : null,
                State = NormaliseState(state),
                Address = address,
                SshPort = port == 0 ? 22 : port,
                User = "admin",
                IdentityFile = keys?.PrivateKeyPath(environment),
                HostKeyFingerprint = fingerprint,
                Role = labels.GetValueOrDefault(ResourceLabels.Role),
                Size = labels.GetValueOrDefault(ResourceLabels.Size),
                Image = item.TryGetProperty("Image", out var image) ? image.GetString() : null,
                Tags = labels.Where(l => l.Key.StartsWith(TagPrefix, StringComparison.Ordinal)).ToDictionary(l => l.Key[TagPrefix.Length..], l => l.Value),
                Ports = declared,
                Endpoints = EndpointsOf(declared, published),
                CreatedAt = created,
                ContainerHost = labels.GetValueOrDefault(ResourceLabels.ContainerHost) == "true",
            });
        }

        return servers;
    }

    /// <summary>
    /// The published ports of one container in `podman ps --format json` ("Ports": host_ip,
    /// container_port, host_port, range, protocol), one endpoint per TCP container port.
    /// </summary>
    internal static IReadOnlyList<ServerEndpoint> ParsePublishedPorts(JsonElement ports)
    {
        var endpoints = new List<ServerEndpoint>();
        if (ports.ValueKind != JsonValueKind.Array)
        {
            return endpoints;
        }

        foreach (var mapping in ports.EnumerateArray())
        {
            if (mapping.ValueKind != JsonValueKind.Object
                || !mapping.TryGetProperty("container_port", out var containerPort) || !containerPort.TryGetInt32(out var first)
                || !mapping.TryGetProperty("host_port", out var hostPort) || !hostPort.TryGetInt32(out var firstHost)
                || (mapping.TryGetProperty("protocol", out var protocol) && protocol.GetString() is { Length: > 0 } p && p != "tcp"))
            {
                continue;
            }

            var ip = mapping.TryGetProperty("host_ip", out var ipElement) ? ipElement.GetString() : null;
            // Published on every address (0.0.0.0 or empty): this machine reaches it on loopback.
            var address = string.IsNullOrEmpty(ip) || ip == "0.0.0.0" ? "127.0.0.1" : ip == "::" ? "::1" : ip;
            var range = mapping.TryGetProperty("range", out var rangeElement) && rangeElement.TryGetInt32(out var r) && r > 1 ? r : 1;
            for (var i = 0; i < range; i++)
            {
                endpoints.Add(new ServerEndpoint { Port = first + i, Address = address, HostPort = firstHost + i });
            }
        }

        return endpoints;
    }

    /// <summary>One endpoint per declared port that podman publishes, in declared order.</summary>
    internal static IReadOnlyList<ServerEndpoint> EndpointsOf(IReadOnlyList<int> declared, IReadOnlyList<ServerEndpoint> published) =>
        declared.Select(port => published.FirstOrDefault(e => e.Port == port)).OfType<ServerEndpoint>().ToList();

    internal static string NormaliseState(string? state) => state?.ToLowerInvariant() switch
    {
        "running" => "Running",
        "created" or "configured" or "initialized" => "Pending",
        "stopping" => "Stopping",
        "exited" or "stopped" or "paused" => "Stopped",
        "removing" => "Terminated",
        _ => "Unknown",
    };
}
