namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// The rule catalogue. Each rule is data here (id, references, scope, parameters, one partial
/// file per category); its read-only check and idempotent fix are the sh functions
/// &lt;id&gt;_check and &lt;id&gt;_fix (SSH-001: ssh_001_check) in Resources/hardening/&lt;category&gt;.sh,
/// written against library.sh's helpers and linted by shellcheck in the build.
/// Parameters reach a function as shell variables named P_&lt;name&gt;; lists are space-separated.
/// CIS numbers follow the CIS Debian Linux 12 Benchmark v1.1.0 layout.
/// </summary>
public static partial class HardeningCatalog
{
    public const string Ssh = "Ssh";
    public const string Kernel = "Kernel";
    public const string Modules = "Modules";
    public const string Accounts = "Accounts";
    public const string Files = "Files";
    public const string Services = "Services";
    public const string Firewall = "Firewall";
    public const string Logging = "Logging";
    public const string Mounts = "Mounts";

    public static readonly IReadOnlyList<string> Categories = [Ssh, Kernel, Modules, Accounts, Files, Services, Firewall, Logging, Mounts];

    private const string SshDropIn = "/etc/ssh/sshd_config.d/00-devopstools.conf";
    private const string SshMain = "/etc/ssh/sshd_config";
    private const string SysctlFile = "/etc/sysctl.d/99-zz-devopstools.conf";
    private static readonly string[] BaselineAndStrict = ["Baseline", "Strict"];
    private static readonly string[] StrictOnly = ["Strict"];

    private static readonly Lazy<IReadOnlyList<HardeningRule>> LazyAll = new(Build);

    public static IReadOnlyList<HardeningRule> All => LazyAll.Value;

    public static HardeningRule? Find(string id) =>
        All.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Network sysctls a container runtime must set at creation when the server's /proc/sys is
    /// read-only (podman run --sysctl k=v): what the net.* rules of the Baseline profile expect.
    /// </summary>
    public static IReadOnlyList<string> ContainerSysctls { get; } =
    [
        "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.default.rp_filter=1",
        "net.ipv4.conf.all.accept_redirects=0", "net.ipv4.conf.default.accept_redirects=0",
        "net.ipv4.conf.all.secure_redirects=0", "net.ipv4.conf.default.secure_redirects=0",
        "net.ipv6.conf.all.accept_redirects=0", "net.ipv6.conf.default.accept_redirects=0",
        "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0",
        "net.ipv4.conf.all.accept_source_route=0", "net.ipv4.conf.default.accept_source_route=0",
        "net.ipv6.conf.all.accept_source_route=0", "net.ipv6.conf.default.accept_source_route=0",
        "net.ipv4.conf.all.log_martians=1", "net.ipv4.conf.default.log_martians=1",
        "net.ipv4.tcp_syncookies=1",
        "net.ipv4.icmp_echo_ignore_broadcasts=1", "net.ipv4.icmp_ignore_bogus_error_responses=1",
        "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
    ];

    private static HardeningRuleParameter P(string name, string type, string @default, string description) =>
        new() { Name = name, Type = type, Default = @default, Description = description };

    private static IReadOnlyList<HardeningRule> Build() =>
        [.. SshRules(), .. KernelRules(), .. ModuleRules(), .. AccountRules(), .. FileRules(), .. ServiceRules(), .. FirewallRules(), .. LoggingRules(), .. MountRules()];
}
