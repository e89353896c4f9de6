namespace DevOpsTools.Engine.Hardening;

/// <summary>Catalogue metadata; the checks and fixes are functions in Resources/hardening/&lt;category&gt;.sh.</summary>
public static partial class HardeningCatalog
{
    private static IReadOnlyList<HardeningRule> FileRules() =>
    [
        // ---------------------------------------------------------------- File permissions (CIS 7.1, 2.4)
        FilePerms("FIL-001", "/etc/passwd is 0644 root:root", "7.1.1", "/etc/passwd", "/etc/passwd-"),
        FilePerms("FIL-002", "/etc/shadow is 0640 root:shadow", "7.1.5", "/etc/shadow", "/etc/shadow-"),
        FilePerms("FIL-003", "/etc/group is 0644 root:root", "7.1.3", "/etc/group", "/etc/group-"),
        FilePerms("FIL-004", "/etc/gshadow is 0640 root:shadow", "7.1.7", "/etc/gshadow", "/etc/gshadow-"),
        new()
        {
            Id = "FIL-005", Title = "cron files and directories are root-only", Category = Files, CisReference = "2.4.1.2", DevSecReference = "os_hardening cron",
            ManagedFiles = ["/etc/crontab"],
        },
        new()
        {
            Id = "FIL-006", Title = "No world-writable files, nor world-writable directories without the sticky bit", Category = Files, CisReference = "7.1.11", Severity = HardeningSeverity.Medium,
            HasFix = false,
        },
        new()
        {
            Id = "FIL-007", Title = "No files without a known owner or group", Category = Files, CisReference = "7.1.12", Severity = HardeningSeverity.Medium,
            HasFix = false,
        },
        new()
        {
            Id = "FIL-008", Title = "SUID/SGID bits are removed from rarely needed programs", Category = Files, DevSecReference = "os_hardening suid_sgid blacklist",
            Parameters = [P("paths", "StringList", "/usr/lib/openssh/ssh-keysign /usr/bin/wall /usr/bin/bsd-write /usr/bin/write /usr/bin/at /usr/bin/rcp /usr/bin/rlogin /usr/bin/rsh /usr/sbin/pppd /usr/bin/arping /usr/bin/traceroute6.iputils /usr/bin/mtr /sbin/mount.nfs /sbin/mount.nfs4 /sbin/umount.nfs /sbin/umount.nfs4 /usr/lib/pt_chown /usr/lib/eject/dmcrypt-get-device /usr/bin/dmcrypt-get-device", "Programs that lose their SUID/SGID bit", HardeningParameterFormat.AbsolutePath)],
        },
        new()
        {
            Id = "FIL-009", Title = "File integrity is checked daily (AIDE installed, initialised, scheduled)", Category = Files, CisReference = "6.3.1, 6.3.2",
            Packages = ["aide", "aide-common"],
            ManagedFiles = ["/etc/aide/aide.conf", "/etc/systemd/system/dailyaidecheck.service.d/devopstools.conf"],
        },
        new()
        {
            Id = "FIL-010", Title = "Compilers and assemblers can be run by root only", Category = Files, Severity = HardeningSeverity.Low, CisReference = "Controls v8 2.7", DevSecReference = "(not in dev-sec; Lynis HRDN-7222)",
            Parameters = [P("paths", "StringList", "/usr/bin/x86_64-linux-gnu-as /usr/bin/x86_64-linux-gnu-gcc-12 /usr/bin/x86_64-linux-gnu-g++-12 /usr/bin/aarch64-linux-gnu-as /usr/bin/aarch64-linux-gnu-gcc-12 /usr/bin/aarch64-linux-gnu-g++-12 /usr/bin/tcc", "Compilers and assemblers (the files, not their symlinks) that dpkg keeps at 0750 root:root, installed or not yet", HardeningParameterFormat.AbsolutePath)],
        },
    ];

    private static HardeningRule FilePerms(string id, string title, string? cis, params string[] files) =>
        new()
        {
            Id = id, Title = title, Category = Files, Severity = HardeningSeverity.High, CisReference = cis, DevSecReference = "os_hardening minimize_access",
            ManagedFiles = files,
        };
}
