namespace DevOpsTools.Engine.Hardening;

/// <summary>Decides from the facts a check script gathered whether a rule applies to a server.</summary>
public static class Applicability
{
    /// <summary>Null when the rule applies; otherwise why not.</summary>
    public static string? Reason(HardeningRule rule, IReadOnlyDictionary<string, string> facts)
    {
        var virt = facts.GetValueOrDefault("virt") ?? "none";
        var container = !string.IsNullOrEmpty(virt) && virt != "none";
        return rule.Scope switch
        {
            HardeningScope.OwnKernel when container =>
                $"kernel-wide setting: the server is a {virt} container sharing its host's kernel; harden the host instead (systemd-detect-virt --container = {virt}).",
            HardeningScope.OwnMounts when container =>
                $"the container runtime ({virt}) owns this server's mounts; set mount options on the container (e.g. --tmpfs /tmp:rw,nosuid,nodev,noexec).",
            HardeningScope.Nftables when facts.GetValueOrDefault("nft") != "yes" =>
                container
                    ? $"nftables is not usable in this {virt} container: it needs CAP_NET_ADMIN (podman run --cap-add NET_ADMIN) and the nftables package."
                    : "nftables is not usable: install the nftables package (nft list tables failed).",
            _ => null,
        };
    }
}
