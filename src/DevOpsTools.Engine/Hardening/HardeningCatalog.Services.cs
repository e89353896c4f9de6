namespace DevOpsTools.Engine.Hardening;

/// <summary>Catalogue metadata; the checks and fixes are functions in Resources/hardening/&lt;category&gt;.sh.</summary>
public static partial class HardeningCatalog
{
    private static IReadOnlyList<HardeningRule> ServiceRules() =>
    [
        // ---------------------------------------------------------------- Services and packages (CIS 2.x, 1.x)
        new()
        {
            Id = "SVC-001", Title = "Legacy network services and clients are removed", Category = Services, Severity = HardeningSeverity.High, CisReference = "2.1, 2.2", DevSecReference = "os_hardening packages",
            Parameters = [P("packages", "StringList", "telnetd inetutils-telnetd telnetd-ssl telnet inetutils-telnet rsh-server rsh-redone-server rsh-client rsh-redone-client xinetd openbsd-inetd inetutils-inetd nis ypserv tftpd tftpd-hpa atftpd talkd inetutils-talkd talk", "Packages that must not be installed", HardeningParameterFormat.PackageName)],
        },
        new()
        {
            Id = "SVC-002", Title = "prelink is removed", Category = Services, CisReference = "1.5.5", DevSecReference = "os_hardening packages",
        },
        new()
        {
            Id = "SVC-003", Title = "Security updates install unattended", Category = Services, Severity = HardeningSeverity.High, CisReference = "1.2.2.1",
            Packages = ["unattended-upgrades"], ManagedFiles = ["/etc/apt/apt.conf.d/20auto-upgrades", "/etc/apt/sources.list.d/devopstools-security.list"],
            Parameters = [P("securityMirror", "String", "http://deb.debian.org/debian-security", "Debian security mirror added when apt has no <codename>-security source (an http(s) URI)")],
        },
        new()
        {
            Id = "SVC-004", Title = "Time is synchronised", Category = Services, CisReference = "2.3.1.1", Scope = HardeningScope.OwnKernel,
            Packages = ["systemd-timesyncd"],
        },
        new()
        {
            Id = "SVC-005", Title = "Core dumps are disabled (limits and systemd-coredump)", Category = Services, CisReference = "1.5.4", DevSecReference = "os_hardening limits",
            ManagedFiles = ["/etc/security/limits.d/60-devopstools-coredump.conf", "/etc/systemd/coredump.conf.d/60-devopstools.conf"],
        },
        new()
        {
            Id = "SVC-006", Title = "A rootkit scanner runs daily (chkrootkit)", Category = Services, CisReference = "Controls v8 10.1",
            Packages = ["chkrootkit"],
        },
        new()
        {
            Id = "SVC-007", Title = "Package tools verify files, show changes and restart outdated services", Category = Services, Severity = HardeningSeverity.Low, CisReference = "Controls v8 7.3",
            Packages = ["debsums", "apt-listchanges", "needrestart", "apt-show-versions"],
        },
        new()
        {
            Id = "SVC-008", Title = "Repeated failed SSH logins are banned (fail2ban)", Category = Services, Severity = HardeningSeverity.Low, CisReference = "Controls v8 13.3", DevSecReference = "(not in dev-sec; Lynis DEB-0880)",
            Profiles = StrictOnly, Packages = ["fail2ban", "python3-systemd"], ManagedFiles = ["/etc/fail2ban/jail.d/devopstools.conf"],
        },
    ];

    private static IReadOnlyList<HardeningRule> FirewallRules() =>
    [
        // ---------------------------------------------------------------- Firewall (CIS 4.3)
        new()
        {
            Id = "FW-001", Title = "nftables denies inbound traffic by default (SSH and declared ports open)", Category = Firewall, Severity = HardeningSeverity.High, CisReference = "4.3", DevSecReference = "(not in dev-sec)",
            Scope = HardeningScope.Nftables, LockoutGroup = "firewall",
            Parameters =
            [
                P("allowedPorts", "IntList", "", "Extra inbound TCP ports to allow (application ports); the ports sshd listens on are always allowed"),
                P("allowedSources", "PortSourceList", "", "Ports open only to some sources: port=address[,address...] items (IPv4/IPv6 addresses or CIDRs, e.g. 5432=10.0.0.5,fd00::/64); other ports stay open to all"),
            ],
            ManagedFiles = ["/etc/devopstools/firewall.nft", "/etc/systemd/system/devopstools-firewall.service"],
        },
    ];

    private static IReadOnlyList<HardeningRule> LoggingRules() =>
    [
        // ---------------------------------------------------------------- Logging and audit (CIS 6.x, 5.2, 1.7)
        new()
        {
            Id = "LOG-001", Title = "auditd is installed and running", Category = Logging, Severity = HardeningSeverity.High, CisReference = "6.2.1.1", DevSecReference = "os_hardening auditd",
            Scope = HardeningScope.OwnKernel, Packages = ["auditd"],
        },
        new()
        {
            Id = "LOG-002", Title = "Audit rules cover identity, sudo, logins, time and kernel modules", Category = Logging, CisReference = "6.2.3", Scope = HardeningScope.OwnKernel,
            Packages = ["auditd"], ManagedFiles = ["/etc/audit/rules.d/50-devopstools.rules"],
        },
        new()
        {
            Id = "LOG-003", Title = "journald keeps logs persistently", Category = Logging, CisReference = "6.1.1.3",
            ManagedFiles = ["/etc/systemd/journald.conf.d/60-devopstools.conf"],
        },
        new()
        {
            Id = "LOG-004", Title = "sudo uses a pty and logs to a file", Category = Logging, Severity = HardeningSeverity.Medium, CisReference = "5.2.2, 5.2.3",
            LockoutGroup = "sudo", ManagedFiles = ["/etc/sudoers.d/devopstools-hardening"],
        },
        new()
        {
            Id = "LOG-005", Title = "Login banners warn and reveal no system details", Category = Logging, Severity = HardeningSeverity.Low, CisReference = "1.7.2, 1.7.3",
            Parameters = [P("banner", "String", "Authorized access only. This system is private: unauthorized use is prohibited and subject to legal action. All activity is monitored and recorded according to policy.", "Text of /etc/issue and /etc/issue.net")],
            ManagedFiles = ["/etc/issue", "/etc/issue.net"],
        },
    ];

    private static IReadOnlyList<HardeningRule> MountRules() =>
    [
        // ---------------------------------------------------------------- Mounts (CIS 1.1.2)
        Mount("MNT-001", "/dev/shm is mounted nodev,nosuid,noexec", "1.1.2.2", BaselineAndStrict),
        Mount("MNT-002", "/tmp is mounted nodev,nosuid,noexec", "1.1.2.1", StrictOnly),
    ];

    private static HardeningRule Mount(string id, string title, string cis, string[] profiles) =>
        new()
        {
            Id = id, Title = title, Category = Mounts, CisReference = cis, Scope = HardeningScope.OwnMounts, Profiles = profiles,
            ManagedFiles = ["/etc/fstab"],
        };
}
