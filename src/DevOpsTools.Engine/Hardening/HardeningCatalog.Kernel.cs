namespace DevOpsTools.Engine.Hardening;

/// <summary>Catalogue metadata; the checks and fixes are functions in Resources/hardening/&lt;category&gt;.sh.</summary>
public static partial class HardeningCatalog
{
    private static IReadOnlyList<HardeningRule> KernelRules() =>
    [
        // ---------------------------------------------------------------- Kernel parameters (CIS 3.3, 1.5)
        Sysctl("KRN-001", "Reverse path filtering is on", "3.3.7", HardeningScope.Any, HardeningSeverity.Medium),
        Sysctl("KRN-002", "ICMP redirects are not accepted", "3.3.5", HardeningScope.Any, HardeningSeverity.Medium),
        Sysctl("KRN-003", "ICMP redirects are not sent", "3.3.2", HardeningScope.Any, HardeningSeverity.Medium),
        Sysctl("KRN-004", "Source-routed packets are refused", "3.3.8", HardeningScope.Any, HardeningSeverity.Medium),
        Sysctl("KRN-005", "Martian packets are logged", "3.3.9", HardeningScope.Any, HardeningSeverity.Low),
        Sysctl("KRN-006", "TCP SYN cookies are on", "3.3.10", HardeningScope.Any, HardeningSeverity.Medium),
        Sysctl("KRN-007", "Broadcast and bogus ICMP is ignored", "3.3.3", HardeningScope.Any, HardeningSeverity.Low),
        Sysctl("KRN-008", "IPv6 router advertisements are not accepted", "3.3.11", HardeningScope.Any, HardeningSeverity.Medium),
        new()
        {
            Id = "KRN-009", Title = "IP forwarding is off (parameter for container hosts)", Category = Kernel, CisReference = "3.3.1", DevSecReference = "os_hardening sysctl (dev-sec#213)",
            Profiles = StrictOnly, ManagedFiles = [SysctlFile],
            Parameters = [P("allowForwarding", "Bool", "false", "true on a host that routes or runs containers with bridged networks")],
        },
        Sysctl("KRN-010", "Address space layout randomisation is full (randomize_va_space 2)", "1.5.3", HardeningScope.OwnKernel, HardeningSeverity.High),
        Sysctl("KRN-011", "Kernel pointers are hidden (kptr_restrict 2)", null, HardeningScope.OwnKernel, HardeningSeverity.Medium),
        Sysctl("KRN-012", "dmesg is restricted to root", null, HardeningScope.OwnKernel, HardeningSeverity.Low),
        new()
        {
            Id = "KRN-013", Title = "ptrace is restricted (yama.ptrace_scope)", Category = Kernel, CisReference = "1.5.2", DevSecReference = "os_hardening sysctl",
            Scope = HardeningScope.OwnKernel, ManagedFiles = [SysctlFile],
            Parameters = [P("ptraceScope", "Int", "1", "1 (parent only), 2 (admin only) or 3 (none)", min: 1, max: 3)],
        },
        Sysctl("KRN-014", "Link and FIFO protections are on (fs.protected_*)", null, HardeningScope.OwnKernel, HardeningSeverity.Medium),
        Sysctl("KRN-015", "SUID programs do not dump core (fs.suid_dumpable 0)", "1.5.4", HardeningScope.OwnKernel, HardeningSeverity.Medium),
        new()
        {
            Id = "KRN-016", Title = "Magic SysRq and kexec are disabled", Category = Kernel, DevSecReference = "os_hardening sysctl", Profiles = StrictOnly,
            Scope = HardeningScope.OwnKernel, ManagedFiles = [SysctlFile], Severity = HardeningSeverity.Low,
        },
    ];

    private static IReadOnlyList<HardeningRule> ModuleRules() =>
    [
        // ---------------------------------------------------------------- Kernel modules (CIS 1.1.1, 3.2)
        Blacklist("MOD-001", "Unused filesystem modules cannot be loaded", "1.1.1", "cramfs freevxfs hfs hfsplus jffs2 udf", "/etc/modprobe.d/devopstools-filesystems.conf"),
        Blacklist("MOD-002", "Unused network protocol modules cannot be loaded", "3.2", "dccp sctp rds tipc", "/etc/modprobe.d/devopstools-protocols.conf"),
        Blacklist("MOD-003", "USB and firewire storage drivers cannot be loaded", "1.1.1.9", "usb-storage firewire-core firewire-ohci", "/etc/modprobe.d/devopstools-storage.conf", StrictOnly),
    ];

    private static HardeningRule Sysctl(string id, string title, string? cis, HardeningScope scope, HardeningSeverity severity) =>
        new()
        {
            Id = id, Title = title, Category = Kernel, Severity = severity, CisReference = cis, DevSecReference = "os_hardening sysctl",
            Scope = scope, ManagedFiles = [SysctlFile],
        };

    // Scope Any: in a container the files are written as documented intent; the shell never
    // reads or unloads the host kernel's modules there (modules.sh).
    private static HardeningRule Blacklist(string id, string title, string cis, string modules, string file, string[]? profiles = null) =>
        new()
        {
            Id = id, Title = title, Category = Modules, CisReference = cis, DevSecReference = "os_hardening modprobe",
            Profiles = profiles ?? BaselineAndStrict, ManagedFiles = [file],
            Parameters = [P("modules", "StringList", modules, "Modules that cannot be loaded", HardeningParameterFormat.ModuleName)],
        };
}
