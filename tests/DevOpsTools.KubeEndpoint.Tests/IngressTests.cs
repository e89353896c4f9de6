using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Xunit;

namespace DevOpsTools.KubeEndpoint.Tests;

/// <summary>networking.k8s.io/v1 Ingress: discovery, server-side apply, validation, and the real kubectl.</summary>
public sealed class IngressTests(KubectlFixture k) : IClassFixture<KubectlFixture>
{
    private static V1Ingress Ingress(string name, string host, string? pathType = "Prefix") => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "Ingress",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1IngressSpec
        {
            Rules =
            [
                new V1IngressRule
                {
                    Host = host,
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths = [new V1HTTPIngressPath { Path = "/", PathType = pathType, Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = name, Port = new V1ServiceBackendPort { Number = 8080 } } } }],
                    },
                },
            ],
        },
    };

    [Fact]
    public async Task Ingresses_are_discovered_applied_server_side_and_validated()
    {
        var client = k.Endpoint.Client;
        var ns = await k.Endpoint.NewNamespaceAsync();
        var group = await client.Apis.GetAPIVersionsAsync();
        Assert.Contains(group.Groups, g => g.Name == "networking.k8s.io" && g.PreferredVersion.GroupVersion == "networking.k8s.io/v1");

        var patch = new V1Patch(KubernetesJson.Serialize(Ingress("web", "web.example.test")), V1Patch.PatchType.ApplyPatch);
        var applied = await client.NetworkingV1.PatchNamespacedIngressAsync(patch, "web", ns, fieldManager: "tester");
        Assert.Equal("web.example.test", applied.Spec.Rules[0].Host);
        Assert.Equal("Apply", Assert.Single(applied.Metadata.ManagedFields).Operation);
        Assert.NotNull(applied.Status.LoadBalancer);

        var moved = new V1Patch(KubernetesJson.Serialize(Ingress("web", "www.example.test")), V1Patch.PatchType.ApplyPatch);
        var updated = await client.NetworkingV1.PatchNamespacedIngressAsync(moved, "web", ns, fieldManager: "tester");
        Assert.Equal("www.example.test", Assert.Single(updated.Spec.Rules).Host);
        Assert.Equal(2, updated.Metadata.Generation);

        var ex = await Wait.FailureAsync(() => client.NetworkingV1.CreateNamespacedIngressAsync(Ingress("bad", "bad.example.test", pathType: null), ns));
        var status = KubernetesJson.Deserialize<V1Status>(ex.Response.Content);
        Assert.Equal(("Invalid", 422), (status.Reason, status.Code));
        Assert.Equal("spec.rules[0].http.paths[0].pathType", Assert.Single(status.Details.Causes).Field);
        Assert.Contains("pathType must be specified", status.Message);
    }

    [Fact]
    public async Task Kubectl_applies_lists_and_deletes_an_ingress()
    {
        var ns = await k.Endpoint.NewNamespaceAsync();
        var path = Path.Combine(k.Endpoint.Directory, $"ingress-{ns}.yaml");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: shop
              namespace: {ns}
            spec:
              rules:
              - host: shop.example.test
                http:
                  paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: shop
                        port:
                          number: 80
            """);

        var apply = await k.KubectlAsync("apply", "--server-side", "-f", path);
        Assert.True(apply.Code == 0, apply.Stderr);
        Assert.Equal("ingress.networking.k8s.io/shop serverside-applied", apply.Stdout.Trim());
        var get = await k.KubectlAsync("get", "ing", "-n", ns, "-o", "json");
        Assert.True(get.Code == 0, get.Stderr);
        var item = Assert.Single(JsonNode.Parse(get.Stdout)!["items"]!.AsArray())!;
        Assert.Equal("shop.example.test", (string?)item["spec"]!["rules"]![0]!["host"]);
        var delete = await k.KubectlAsync("delete", "-f", path);
        Assert.True(delete.Code == 0, delete.Stderr);
        Assert.Equal($"ingress.networking.k8s.io \"shop\" deleted from {ns} namespace", delete.Stdout.Trim());
        Assert.Empty((await k.Endpoint.Client.NetworkingV1.ListNamespacedIngressAsync(ns)).Items);
    }
}
