namespace DevOpsTools.Engine.Hardening;

/// <summary>
/// The rule catalogue. Each rule is data: id, references, scope, parameters, and two small sh
/// fragments (a read-only Check and an idempotent Fix) written against ScriptLibrary's helpers.
/// Parameters reach a fragment as shell variables named P_&lt;name&gt;; lists are space-separated.
/// CIS numbers follow the CIS Debian Linux 12 Benchmark v1.1.0 layout.
/// </summary>
public static class HardeningCatalog
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

    private static HardeningRule SshOption(string id, string title, string key, string value, string? cis, HardeningSeverity severity = HardeningSeverity.Medium, string? devSec = "ssh_hardening", IReadOnlyList<HardeningRuleParameter>? parameters = null, string[]? profiles = null) =>
        new()
        {
            Id = id, Title = title, Category = Ssh, Severity = severity, CisReference = cis, DevSecReference = devSec,
            Profiles = profiles ?? BaselineAndStrict, Parameters = parameters ?? [], LockoutGroup = "sshd",
            ManagedFiles = [SshDropIn, SshMain],
            Check = $"ssh_expect {key} \"{value}\"",
            Fix = $"ssh_set {key} \"{value}\"",
        };

    private static HardeningRule Sysctl(string id, string title, string? cis, HardeningScope scope, HardeningSeverity severity, params string[] settings) =>
        new()
        {
            Id = id, Title = title, Category = Kernel, Severity = severity, CisReference = cis, DevSecReference = "os_hardening sysctl",
            Scope = scope, ManagedFiles = [SysctlFile],
            Check = "sysctl_expect " + string.Join(' ', settings),
            Fix = "sysctl_set " + string.Join(' ', settings),
        };

    private static HardeningRule FilePerms(string id, string title, string? cis, params (string Path, string Mode, string Owner)[] files) =>
        new()
        {
            Id = id, Title = title, Category = Files, Severity = HardeningSeverity.High, CisReference = cis, DevSecReference = "os_hardening minimize_access",
            ManagedFiles = files.Select(f => f.Path).ToList(),
            Check = "perm_expect " + string.Join(' ', files.Select(f => $"{f.Path} {f.Mode} {f.Owner}")),
            Fix = "fix_perm " + string.Join(' ', files.Select(f => $"{f.Path} {f.Mode} {f.Owner}")),
        };

    private static HardeningRule LoginDefs(string id, string title, string key, string param, string @default, string cmp, string? cis, string description) =>
        new()
        {
            Id = id, Title = title, Category = Accounts, CisReference = cis, DevSecReference = "os_hardening login_defs",
            Parameters = [P(param, "Int", @default, description)], ManagedFiles = ["/etc/login.defs"],
            Check = $$"""
                v=$(kv_get /etc/login.defs {{key}})
                if [ -n "$v" ] && [ "$v" {{cmp}} "$P_{{param}}" ] 2>/dev/null; then pass "{{key}} $v"; else fail "{{key}} is '${v:-unset}', expected {{cmp}} $P_{{param}}"; fi
                """,
            Fix = $"set_kv /etc/login.defs {key} \"$P_{param}\" \"\t\"",
        };

    private static IReadOnlyList<HardeningRule> Build() =>
    [
        // ---------------------------------------------------------------- SSH (CIS 5.1)
        SshOption("SSH-001", "SSH root login is disabled", "PermitRootLogin", "no", "5.1.20", HardeningSeverity.Critical),
        SshOption("SSH-002", "SSH password authentication is disabled", "PasswordAuthentication", "no", null, HardeningSeverity.High),
        SshOption("SSH-003", "SSH keyboard-interactive authentication is disabled", "KbdInteractiveAuthentication", "no", null, HardeningSeverity.High),
        SshOption("SSH-004", "SSH empty passwords are refused", "PermitEmptyPasswords", "no", "5.1.19", HardeningSeverity.Critical),
        new()
        {
            Id = "SSH-005", Title = "SSH MaxAuthTries is limited", Category = Ssh, CisReference = "5.1.16", DevSecReference = "ssh_hardening",
            Parameters = [P("maxAuthTries", "Int", "3", "Highest allowed MaxAuthTries")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "ssh_max MaxAuthTries \"$P_maxAuthTries\" 1",
            Fix = "ssh_set MaxAuthTries \"$P_maxAuthTries\"",
        },
        new()
        {
            Id = "SSH-006", Title = "SSH LoginGraceTime is short", Category = Ssh, CisReference = "5.1.13", DevSecReference = "ssh_hardening",
            Parameters = [P("loginGraceTime", "Int", "30", "LoginGraceTime in seconds (30 to 60)")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "ssh_max LoginGraceTime 60 1",
            Fix = "ssh_set LoginGraceTime \"$P_loginGraceTime\"",
        },
        new()
        {
            Id = "SSH-007", Title = "SSH idle sessions are timed out (ClientAliveInterval/CountMax)", Category = Ssh, CisReference = "5.1.7", DevSecReference = "ssh_hardening",
            Parameters = [P("clientAliveInterval", "Int", "300", "Seconds between keep-alive probes"), P("clientAliveCountMax", "Int", "3", "Unanswered probes before disconnect")],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = """
                i=$(sshd_get ClientAliveInterval); c=$(sshd_get ClientAliveCountMax)
                if [ "${i:-0}" -ge 1 ] && [ "$i" -le "$P_clientAliveInterval" ] && [ "${c:-0}" -ge 1 ] && [ "$c" -le "$P_clientAliveCountMax" ]; then pass "ClientAliveInterval $i, ClientAliveCountMax $c"
                else fail "ClientAliveInterval is '${i:-unset}' (want 1..$P_clientAliveInterval), ClientAliveCountMax '${c:-unset}' (want 1..$P_clientAliveCountMax)"; fi
                """,
            Fix = "ssh_set ClientAliveInterval \"$P_clientAliveInterval\"; ssh_set ClientAliveCountMax \"$P_clientAliveCountMax\"",
        },
        SshOption("SSH-008", "SSH X11 forwarding is disabled", "X11Forwarding", "no", "5.1.8"),
        new()
        {
            Id = "SSH-009", Title = "SSH agent forwarding is disabled (parameter for bastions)", Category = Ssh, CisReference = "5.1.8", DevSecReference = "ssh_hardening",
            Parameters = [P("allowForwarding", "Bool", "false", "true on a bastion host that forwards agents and TCP")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "w=no; [ \"$P_allowForwarding\" = true ] && w=yes; ssh_expect AllowAgentForwarding $w",
            Fix = "w=no; [ \"$P_allowForwarding\" = true ] && w=yes; ssh_set AllowAgentForwarding $w",
        },
        new()
        {
            Id = "SSH-010", Title = "SSH TCP forwarding is disabled (parameter for bastions)", Category = Ssh, CisReference = "5.1.8", DevSecReference = "ssh_hardening",
            Parameters = [P("allowForwarding", "Bool", "false", "true on a bastion host that forwards agents and TCP")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "w=no; [ \"$P_allowForwarding\" = true ] && w=yes; ssh_expect AllowTcpForwarding $w",
            Fix = "w=no; [ \"$P_allowForwarding\" = true ] && w=yes; ssh_set AllowTcpForwarding $w",
        },
        SshOption("SSH-011", "SSH PermitUserEnvironment is disabled", "PermitUserEnvironment", "no", "5.1.21"),
        SshOption("SSH-012", "SSH tunnels are disabled", "PermitTunnel", "no", null),
        SshOption("SSH-013", "SSH host-based authentication is disabled", "HostbasedAuthentication", "no", "5.1.10", HardeningSeverity.High),
        SshOption("SSH-014", "SSH ignores .rhosts files", "IgnoreRhosts", "yes", "5.1.11", HardeningSeverity.High),
        SshOption("SSH-015", "SSH LogLevel is VERBOSE", "LogLevel", "VERBOSE", "5.1.14", HardeningSeverity.Low),
        SshOption("SSH-016", "SSH does not resolve client names (UseDNS no)", "UseDNS", "no", null, HardeningSeverity.Low),
        SshOption("SSH-017", "SSH shows the login banner", "Banner", "/etc/issue.net", "5.1.5", HardeningSeverity.Low),
        new()
        {
            Id = "SSH-018", Title = "SSH key exchange algorithms are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.12", DevSecReference = "ssh_hardening crypto",
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "ssh_expect KexAlgorithms \"$DT_KEX\"", Fix = "ssh_set KexAlgorithms \"$DT_KEX\"",
        },
        new()
        {
            Id = "SSH-019", Title = "SSH ciphers are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.6", DevSecReference = "ssh_hardening crypto",
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "ssh_expect Ciphers \"$DT_CIPHERS\"", Fix = "ssh_set Ciphers \"$DT_CIPHERS\"",
        },
        new()
        {
            Id = "SSH-020", Title = "SSH MACs are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.15", DevSecReference = "ssh_hardening crypto",
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = "ssh_expect MACs \"$DT_MACS\"", Fix = "ssh_set MACs \"$DT_MACS\"",
        },
        new()
        {
            Id = "SSH-021", Title = "sshd_config and its drop-ins are 0600 root:root", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.1", DevSecReference = "ssh_hardening",
            ManagedFiles = [SshMain, SshDropIn],
            Check = "set -- /etc/ssh/sshd_config 600 root:root; for f in /etc/ssh/sshd_config.d/*.conf; do [ -e \"$f\" ] && set -- \"$@\" \"$f\" 600 root:root; done; perm_expect \"$@\"",
            Fix = "set -- /etc/ssh/sshd_config 600 root:root; for f in /etc/ssh/sshd_config.d/*.conf; do [ -e \"$f\" ] && set -- \"$@\" \"$f\" 600 root:root; done; fix_perm \"$@\"",
        },
        new()
        {
            Id = "SSH-022", Title = "Weak Diffie-Hellman moduli are removed", Category = Ssh, CisReference = null, DevSecReference = "ssh_hardening moduli",
            Parameters = [P("minModulusBits", "Int", "3072", "Smallest modulus size kept in /etc/ssh/moduli")], LockoutGroup = "sshd", ManagedFiles = ["/etc/ssh/moduli"],
            Check = """
                [ -f /etc/ssh/moduli ] || { pass "no /etc/ssh/moduli"; exit 0; }
                n=$(awk -v m="$P_minModulusBits" '$1 !~ /^#/ && NF >= 7 && $5 + 1 < m' /etc/ssh/moduli | wc -l)
                if [ "$n" -eq 0 ]; then pass "no modulus under $P_minModulusBits bits"; else fail "$n moduli under $P_minModulusBits bits"; fi
                """,
            Fix = """
                t=$(tgt /etc/ssh/moduli)
                awk -v m="$P_minModulusBits" '$1 ~ /^#/ || NF < 7 || $5 + 1 >= m' "$t" > "$DT_TMP/moduli" && cat "$DT_TMP/moduli" > "$t"
                mark sshd
                """,
        },
        SshOption("SSH-023", "SSH GSSAPI authentication is disabled", "GSSAPIAuthentication", "no", "5.1.9", HardeningSeverity.Low),
        new()
        {
            Id = "SSH-024", Title = "SSH MaxSessions and MaxStartups are limited", Category = Ssh, CisReference = "5.1.17", DevSecReference = "ssh_hardening", Profiles = StrictOnly,
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = """
                s=$(sshd_get MaxSessions); st=$(sshd_get MaxStartups)
                if [ "${s:-99}" -le 10 ] && [ "$st" = "10:30:60" ]; then pass "MaxSessions $s, MaxStartups $st"; else fail "MaxSessions '${s:-unset}' (want <= 10), MaxStartups '${st:-unset}' (want 10:30:60)"; fi
                """,
            Fix = "ssh_set MaxSessions 10; ssh_set MaxStartups 10:30:60",
        },
        new()
        {
            Id = "SSH-025", Title = "SSH logins are limited to listed users (AllowUsers)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.4", DevSecReference = "ssh_hardening", Profiles = StrictOnly,
            Parameters = [P("allowUsers", "StringList", "{admin}", "Users allowed to log in over SSH; {admin} is the module's admin user. Add extra SSH users here.")],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
            Check = """
                have=$(printf '%s\n' "$DT_SSHD_T" | awk 'tolower($1)=="allowusers"{ for (i=2; i<=NF; i++) print $i }' | sort -u | tr '\n' ' ' | sed 's/ $//')
                want=$(for u in $P_allowUsers; do echo "$u"; done | sort -u | tr '\n' ' ' | sed 's/ $//')
                if [ "$have" = "$want" ]; then pass "AllowUsers $have"; else fail "AllowUsers is '${have:-unset}', expected '$want'"; fi
                """,
            Fix = "ssh_set AllowUsers \"$P_allowUsers\"",
        },
        new()
        {
            Id = "SSH-026", Title = "SSH host private keys are 0600 root:root", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.2",
            Check = "set --; for f in /etc/ssh/ssh_host_*_key; do [ -e \"$f\" ] && set -- \"$@\" \"$f\" 600 root:root; done; perm_expect \"$@\"",
            Fix = "set --; for f in /etc/ssh/ssh_host_*_key; do [ -e \"$f\" ] && set -- \"$@\" \"$f\" 600 root:root; done; fix_perm \"$@\"",
        },

        // ---------------------------------------------------------------- Kernel parameters (CIS 3.3, 1.5)
        Sysctl("KRN-001", "Reverse path filtering is on", "3.3.7", HardeningScope.Any, HardeningSeverity.Medium,
            "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.default.rp_filter=1"),
        Sysctl("KRN-002", "ICMP redirects are not accepted", "3.3.5", HardeningScope.Any, HardeningSeverity.Medium,
            "net.ipv4.conf.all.accept_redirects=0", "net.ipv4.conf.default.accept_redirects=0", "net.ipv4.conf.all.secure_redirects=0",
            "net.ipv4.conf.default.secure_redirects=0", "net.ipv6.conf.all.accept_redirects=0", "net.ipv6.conf.default.accept_redirects=0"),
        Sysctl("KRN-003", "ICMP redirects are not sent", "3.3.2", HardeningScope.Any, HardeningSeverity.Medium,
            "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"),
        Sysctl("KRN-004", "Source-routed packets are refused", "3.3.8", HardeningScope.Any, HardeningSeverity.Medium,
            "net.ipv4.conf.all.accept_source_route=0", "net.ipv4.conf.default.accept_source_route=0",
            "net.ipv6.conf.all.accept_source_route=0", "net.ipv6.conf.default.accept_source_route=0"),
        Sysctl("KRN-005", "Martian packets are logged", "3.3.9", HardeningScope.Any, HardeningSeverity.Low,
            "net.ipv4.conf.all.log_martians=1", "net.ipv4.conf.default.log_martians=1"),
        Sysctl("KRN-006", "TCP SYN cookies are on", "3.3.10", HardeningScope.Any, HardeningSeverity.Medium, "net.ipv4.tcp_syncookies=1"),
        Sysctl("KRN-007", "Broadcast and bogus ICMP is ignored", "3.3.3", HardeningScope.Any, HardeningSeverity.Low,
            "net.ipv4.icmp_echo_ignore_broadcasts=1", "net.ipv4.icmp_ignore_bogus_error_responses=1"),
        Sysctl("KRN-008", "IPv6 router advertisements are not accepted", "3.3.11", HardeningScope.Any, HardeningSeverity.Medium,
            "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0"),
        new()
        {
            Id = "KRN-009", Title = "IP forwarding is off (parameter for container hosts)", Category = Kernel, CisReference = "3.3.1", DevSecReference = "os_hardening sysctl (dev-sec#213)",
            Profiles = StrictOnly, ManagedFiles = [SysctlFile],
            Parameters = [P("allowForwarding", "Bool", "false", "true on a host that routes or runs containers with bridged networks")],
            Check = "v=0; [ \"$P_allowForwarding\" = true ] && v=1; sysctl_expect net.ipv4.ip_forward=$v",
            Fix = "v=0; [ \"$P_allowForwarding\" = true ] && v=1; sysctl_set net.ipv4.ip_forward=$v",
        },
        Sysctl("KRN-010", "Address space layout randomisation is full (randomize_va_space 2)", "1.5.3", HardeningScope.OwnKernel, HardeningSeverity.High, "kernel.randomize_va_space=2"),
        Sysctl("KRN-011", "Kernel pointers are hidden (kptr_restrict 2)", null, HardeningScope.OwnKernel, HardeningSeverity.Medium, "kernel.kptr_restrict=2"),
        Sysctl("KRN-012", "dmesg is restricted to root", null, HardeningScope.OwnKernel, HardeningSeverity.Low, "kernel.dmesg_restrict=1"),
        new()
        {
            Id = "KRN-013", Title = "ptrace is restricted (yama.ptrace_scope)", Category = Kernel, CisReference = "1.5.2", DevSecReference = "os_hardening sysctl",
            Scope = HardeningScope.OwnKernel, ManagedFiles = [SysctlFile],
            Parameters = [P("ptraceScope", "Int", "1", "1 (parent only), 2 (admin only) or 3 (none)")],
            Check = "sysctl_expect kernel.yama.ptrace_scope=$P_ptraceScope", Fix = "sysctl_set kernel.yama.ptrace_scope=$P_ptraceScope",
        },
        Sysctl("KRN-014", "Link and FIFO protections are on (fs.protected_*)", null, HardeningScope.OwnKernel, HardeningSeverity.Medium,
            "fs.protected_hardlinks=1", "fs.protected_symlinks=1", "fs.protected_fifos=1", "fs.protected_regular=2"),
        Sysctl("KRN-015", "SUID programs do not dump core (fs.suid_dumpable 0)", "1.5.4", HardeningScope.OwnKernel, HardeningSeverity.Medium, "fs.suid_dumpable=0"),
        new()
        {
            Id = "KRN-016", Title = "Magic SysRq and kexec are disabled", Category = Kernel, DevSecReference = "os_hardening sysctl", Profiles = StrictOnly,
            Scope = HardeningScope.OwnKernel, ManagedFiles = [SysctlFile], Severity = HardeningSeverity.Low,
            Check = "sysctl_expect kernel.sysrq=0 kernel.kexec_load_disabled=1", Fix = "sysctl_set kernel.sysrq=0 kernel.kexec_load_disabled=1",
        },

        // ---------------------------------------------------------------- Kernel modules (CIS 1.1.1, 3.2)
        Blacklist("MOD-001", "Unused filesystem modules cannot be loaded", "1.1.1", "cramfs freevxfs hfs hfsplus jffs2 udf", "/etc/modprobe.d/devopstools-filesystems.conf"),
        Blacklist("MOD-002", "Unused network protocol modules cannot be loaded", "3.2", "dccp sctp rds tipc", "/etc/modprobe.d/devopstools-protocols.conf"),

        // ---------------------------------------------------------------- Accounts and PAM (CIS 5.3, 5.4)
        LoginDefs("ACC-001", "Passwords expire (PASS_MAX_DAYS)", "PASS_MAX_DAYS", "maxDays", "365", "-le", "5.4.1.1", "Highest PASS_MAX_DAYS"),
        LoginDefs("ACC-002", "Passwords cannot be changed again at once (PASS_MIN_DAYS)", "PASS_MIN_DAYS", "minDays", "1", "-ge", "5.4.1.2", "Lowest PASS_MIN_DAYS"),
        LoginDefs("ACC-003", "Users are warned before passwords expire (PASS_WARN_AGE)", "PASS_WARN_AGE", "warnAge", "7", "-ge", "5.4.1.3", "Lowest PASS_WARN_AGE"),
        new()
        {
            Id = "ACC-004", Title = "New home files are private (login.defs UMASK)", Category = Accounts, CisReference = "5.4.3.3", DevSecReference = "os_hardening login_defs",
            Parameters = [P("umask", "String", "027", "The umask, as octal")], ManagedFiles = ["/etc/login.defs"],
            Check = """
                v=$(kv_get /etc/login.defs UMASK)
                if [ -n "$v" ] && [ $(( 0$v & 0$P_umask )) -eq $(( 0$P_umask )) ]; then pass "UMASK $v"; else fail "UMASK is '${v:-unset}', expected $P_umask or stricter"; fi
                """,
            Fix = "set_kv /etc/login.defs UMASK \"$P_umask\" \"\t\"",
        },
        new()
        {
            Id = "ACC-005", Title = "Password hashes are SHA512 with many rounds (or yescrypt)", Category = Accounts, CisReference = "5.4.1.4", DevSecReference = "os_hardening login_defs",
            Parameters = [P("rounds", "Int", "65536", "Lowest SHA_CRYPT_MIN_ROUNDS")], ManagedFiles = ["/etc/login.defs"],
            Check = """
                m=$(kv_get /etc/login.defs ENCRYPT_METHOD); r=$(kv_get /etc/login.defs SHA_CRYPT_MIN_ROUNDS)
                case "$m" in
                  YESCRYPT) pass "ENCRYPT_METHOD YESCRYPT" ;;
                  SHA512) if [ "${r:-0}" -ge "$P_rounds" ]; then pass "ENCRYPT_METHOD SHA512, $r rounds"; else fail "SHA_CRYPT_MIN_ROUNDS is '${r:-unset}', expected >= $P_rounds"; fi ;;
                  *) fail "ENCRYPT_METHOD is '${m:-unset}', expected SHA512 or YESCRYPT" ;;
                esac
                """,
            Fix = """
                m=$(kv_get /etc/login.defs ENCRYPT_METHOD)
                [ "$m" = YESCRYPT ] || set_kv /etc/login.defs ENCRYPT_METHOD SHA512 " "
                [ "$m" = YESCRYPT ] || { set_kv /etc/login.defs SHA_CRYPT_MIN_ROUNDS "$P_rounds" " "; set_kv /etc/login.defs SHA_CRYPT_MAX_ROUNDS "$P_rounds" " "; }
                """,
        },
        new()
        {
            Id = "ACC-006", Title = "Password quality is enforced (pam_pwquality)", Category = Accounts, CisReference = "5.3.3.2", DevSecReference = "os_hardening pam",
            Parameters = [P("minLength", "Int", "14", "Shortest password"), P("minClass", "Int", "4", "Character classes required")],
            Packages = ["libpam-pwquality"], ManagedFiles = ["/etc/security/pwquality.conf", "/etc/pam.d/common-password"],
            Check = """
                installed libpam-pwquality || { fail "libpam-pwquality is not installed"; exit 0; }
                grep -qs 'pam_pwquality\.so' /etc/pam.d/common-password || { fail "pam_pwquality is not in /etc/pam.d/common-password"; exit 0; }
                l=$(kv_get /etc/security/pwquality.conf minlen); c=$(kv_get /etc/security/pwquality.conf minclass)
                if [ "${l:-0}" -ge "$P_minLength" ] && [ "${c:-0}" -ge "$P_minClass" ]; then pass "minlen $l, minclass $c"; else fail "minlen '${l:-unset}' (want >= $P_minLength), minclass '${c:-unset}' (want >= $P_minClass)"; fi
                """,
            Fix = """
                apt_install libpam-pwquality
                set_kv /etc/security/pwquality.conf minlen "$P_minLength" " = "
                set_kv /etc/security/pwquality.conf minclass "$P_minClass" " = "
                grep -qs 'pam_pwquality\.so' /etc/pam.d/common-password || run pam-auth-update --enable pwquality
                """,
        },
        new()
        {
            Id = "ACC-007", Title = "Accounts lock after failed logins (pam_faillock)", Category = Accounts, CisReference = "5.3.3.1", DevSecReference = "os_hardening pam",
            Parameters = [P("deny", "Int", "5", "Failures before the account locks"), P("unlockTime", "Int", "900", "Seconds the account stays locked")],
            ManagedFiles = ["/etc/security/faillock.conf", "/usr/share/pam-configs/devopstools-faillock", "/usr/share/pam-configs/devopstools-faillock-notify", "/etc/pam.d/common-auth", "/etc/pam.d/common-account"],
            Check = """
                grep -qs 'pam_faillock\.so' /etc/pam.d/common-auth && grep -qs 'pam_faillock\.so' /etc/pam.d/common-account || { fail "pam_faillock is not in common-auth and common-account"; exit 0; }
                d=$(kv_get /etc/security/faillock.conf deny); u=$(kv_get /etc/security/faillock.conf unlock_time)
                if [ "${d:-99}" -le "$P_deny" ] && [ "${d:-0}" -ge 1 ] && [ "${u:-0}" -ge "$P_unlockTime" ]; then pass "deny $d, unlock_time $u"; else fail "deny '${d:-unset}' (want 1..$P_deny), unlock_time '${u:-unset}' (want >= $P_unlockTime)"; fi
                """,
            Fix = """
                set_kv /etc/security/faillock.conf deny "$P_deny" " = "
                set_kv /etc/security/faillock.conf unlock_time "$P_unlockTime" " = "
                printf 'Name: Lock accounts after failed logins (DevOpsTools)\nDefault: yes\nPriority: 0\nAuth-Type: Primary\nAuth:\n\t[default=die] pam_faillock.so authfail\n' | put_file /usr/share/pam-configs/devopstools-faillock 644 root:root
                printf 'Name: Count failed logins, reset on success (DevOpsTools)\nDefault: yes\nPriority: 1024\nAuth-Type: Primary\nAuth:\n\trequisite pam_faillock.so preauth\nAccount-Type: Primary\nAccount:\n\trequired pam_faillock.so\n' | put_file /usr/share/pam-configs/devopstools-faillock-notify 644 root:root
                grep -qs 'pam_faillock\.so' /etc/pam.d/common-auth || run pam-auth-update --enable devopstools-faillock --enable devopstools-faillock-notify
                """,
        },
        new()
        {
            Id = "ACC-008", Title = "Recent passwords cannot be reused (pam_pwhistory)", Category = Accounts, CisReference = "5.3.3.3", DevSecReference = "os_hardening pam",
            Parameters = [P("remember", "Int", "5", "Passwords remembered")],
            ManagedFiles = ["/usr/share/pam-configs/devopstools-pwhistory", "/etc/pam.d/common-password"],
            Check = """
                r=$(sed -n 's/.*pam_pwhistory\.so.*remember=\([0-9][0-9]*\).*/\1/p' /etc/pam.d/common-password 2>/dev/null | head -n 1)
                if [ "${r:-0}" -ge "$P_remember" ]; then pass "pam_pwhistory remember=$r"; else fail "pam_pwhistory remember is '${r:-unset}', expected >= $P_remember"; fi
                """,
            Fix = """
                printf 'Name: Password history (DevOpsTools)\nDefault: yes\nPriority: 1024\nPassword-Type: Primary\nPassword:\n\trequisite pam_pwhistory.so remember=%s enforce_for_root try_first_pass use_authtok\n' "$P_remember" | put_file /usr/share/pam-configs/devopstools-pwhistory 644 root:root
                run pam-auth-update --enable devopstools-pwhistory
                """,
        },
        new()
        {
            Id = "ACC-009", Title = "No account has an empty password", Category = Accounts, Severity = HardeningSeverity.Critical, CisReference = "7.2.2",
            Check = """
                u=$(awk -F: '$2 == "" { print $1 }' /etc/shadow | tr '\n' ' ')
                if [ -z "$u" ]; then pass "no empty password"; else fail "empty password: $u"; fi
                """,
            Fix = "for u in $(awk -F: '$2 == \"\" { print $1 }' /etc/shadow); do run passwd -l \"$u\"; done",
        },
        new()
        {
            Id = "ACC-010", Title = "Only root has UID 0", Category = Accounts, Severity = HardeningSeverity.Critical, CisReference = "7.2.9",
            Check = """
                u=$(awk -F: '$3 == 0 && $1 != "root" { print $1 }' /etc/passwd | tr '\n' ' ')
                if [ -z "$u" ]; then pass "only root"; else fail "UID 0 besides root (remove by hand): $u"; fi
                """,
        },
        new()
        {
            Id = "ACC-011", Title = "System accounts have no login shell", Category = Accounts, Severity = HardeningSeverity.Medium, CisReference = "5.4.2.7", DevSecReference = "os_hardening user_accounts",
            ManagedFiles = ["/etc/passwd"],
            Check = """
                min=$(kv_get /etc/login.defs UID_MIN); min=${min:-1000}
                u=$(awk -F: -v min="$min" '$3 < min && $1 != "root" && $1 != "sync" && $1 != "shutdown" && $1 != "halt" && $7 !~ /(nologin|false)$/ { print $1 }' /etc/passwd | tr '\n' ' ')
                if [ -z "$u" ]; then pass "no system account with a login shell"; else fail "login shell on system accounts: $u"; fi
                """,
            Fix = """
                min=$(kv_get /etc/login.defs UID_MIN); min=${min:-1000}
                for u in $(awk -F: -v min="$min" '$3 < min && $1 != "root" && $1 != "sync" && $1 != "shutdown" && $1 != "halt" && $7 !~ /(nologin|false)$/ { print $1 }' /etc/passwd); do
                  t=$(tgt /etc/passwd); awk -F: -v OFS=: -v u="$u" '$1 == u { $7 = "/usr/sbin/nologin" } { print }' "$t" > "$DT_TMP/passwd" && cat "$DT_TMP/passwd" > "$t"
                done
                """,
        },
        new()
        {
            Id = "ACC-012", Title = "root's PATH is sane", Category = Accounts, Severity = HardeningSeverity.Medium, CisReference = "7.2.10",
            Check = """
                p=$(env -i HOME=/root TERM=dumb sh -lc 'printf %s "$PATH"' 2>/dev/null)
                bad=""
                case ":$p:" in *::*) bad="$bad empty entry;" ;; esac
                case ":$p:" in *:.:*) bad="$bad '.' in PATH;" ;; esac
                IFS=:; for d in $p; do [ -z "$d" ] && continue; [ -d "$d" ] || continue
                  [ "$(stat -Lc %U "$d")" = root ] || bad="$bad $d not owned by root;"
                  [ $(( 0$(stat -Lc %a "$d") & 022 )) -eq 0 ] || bad="$bad $d group/world-writable;"
                done; unset IFS
                if [ -z "$bad" ]; then pass "PATH $p"; else fail "${bad# }"; fi
                """,
            Fix = """
                p=$(env -i HOME=/root TERM=dumb sh -lc 'printf %s "$PATH"' 2>/dev/null)
                IFS=:; for d in $p; do [ -d "$d" ] || continue; unset IFS
                  [ $(( 0$(stat -Lc %a "$d") & 022 )) -eq 0 ] || run chmod go-w "$d"; IFS=:
                done; unset IFS
                """,
        },
        new()
        {
            Id = "ACC-013", Title = "The default shell umask is 027", Category = Accounts, CisReference = "5.4.3.3", DevSecReference = "os_hardening profile",
            ManagedFiles = ["/etc/profile.d/devopstools-umask.sh"],
            Check = """
                if grep -qsE '^[[:space:]]*umask[[:space:]]+0?27[[:space:]]*$' /etc/profile.d/*.sh /etc/profile /etc/bash.bashrc; then pass "umask 027 set for login shells"; else fail "no 'umask 027' in /etc/profile, /etc/profile.d or /etc/bash.bashrc"; fi
                """,
            Fix = "printf '# Managed by DevOpsTools Set-Hardening.\\numask 027\\n' | put_file /etc/profile.d/devopstools-umask.sh 644 root:root",
        },

        // ---------------------------------------------------------------- File permissions (CIS 7.1, 2.4)
        FilePerms("FIL-001", "/etc/passwd is 0644 root:root", "7.1.1", ("/etc/passwd", "644", "root:root"), ("/etc/passwd-", "644", "root:root")),
        FilePerms("FIL-002", "/etc/shadow is 0640 root:shadow", "7.1.5", ("/etc/shadow", "640", "root:shadow"), ("/etc/shadow-", "640", "root:shadow")),
        FilePerms("FIL-003", "/etc/group is 0644 root:root", "7.1.3", ("/etc/group", "644", "root:root"), ("/etc/group-", "644", "root:root")),
        FilePerms("FIL-004", "/etc/gshadow is 0640 root:shadow", "7.1.7", ("/etc/gshadow", "640", "root:shadow"), ("/etc/gshadow-", "640", "root:shadow")),
        new()
        {
            Id = "FIL-005", Title = "cron files and directories are root-only", Category = Files, CisReference = "2.4.1.2", DevSecReference = "os_hardening cron",
            ManagedFiles = ["/etc/crontab"],
            Check = """
                installed cron || installed cronie || { na "cron is not installed"; exit 0; }
                perm_expect /etc/crontab 600 root:root /etc/cron.hourly 700 root:root /etc/cron.daily 700 root:root /etc/cron.weekly 700 root:root /etc/cron.monthly 700 root:root /etc/cron.d 700 root:root
                """,
            Fix = "fix_perm /etc/crontab 600 root:root /etc/cron.hourly 700 root:root /etc/cron.daily 700 root:root /etc/cron.weekly 700 root:root /etc/cron.monthly 700 root:root /etc/cron.d 700 root:root",
        },
        new()
        {
            Id = "FIL-006", Title = "No world-writable files, nor world-writable directories without the sticky bit", Category = Files, CisReference = "7.1.11", Severity = HardeningSeverity.Medium,
            Check = """
                f=$(dt_files | awk '{ m = $3; w = substr(m, length(m), 1); s = (length(m) == 4) ? substr(m, 1, 1) : "0" } w ~ /[2367]/ && ($4 == "f" || ($4 == "d" && s !~ /[1357]/)) { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; if (++n >= 20) exit }' | tr '\n' ' ')
                if [ -z "$f" ]; then pass "none found"; else fail "fix by hand: $f"; fi
                """,
        },
        new()
        {
            Id = "FIL-007", Title = "No files without a known owner or group", Category = Files, CisReference = "7.1.12", Severity = HardeningSeverity.Medium,
            Check = """
                f=$(dt_files | awk 'BEGIN { while (("getent passwd" | getline l) > 0) { split(l, a, ":"); u[a[3]] = 1 } while (("getent group" | getline l) > 0) { split(l, a, ":"); g[a[3]] = 1 } } !($1 in u) || !($2 in g) { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; if (++n >= 20) exit }' | tr '\n' ' ')
                if [ -z "$f" ]; then pass "none found"; else fail "fix by hand: $f"; fi
                """,
        },
        new()
        {
            Id = "FIL-008", Title = "SUID/SGID bits are removed from rarely needed programs", Category = Files, DevSecReference = "os_hardening suid_sgid blacklist",
            Parameters = [P("paths", "StringList", "/usr/lib/openssh/ssh-keysign /usr/bin/wall /usr/bin/bsd-write /usr/bin/write /usr/bin/at /usr/bin/rcp /usr/bin/rlogin /usr/bin/rsh /usr/sbin/pppd /usr/bin/arping /usr/bin/traceroute6.iputils /usr/bin/mtr /sbin/mount.nfs /sbin/mount.nfs4 /sbin/umount.nfs /sbin/umount.nfs4 /usr/lib/pt_chown /usr/lib/eject/dmcrypt-get-device /usr/bin/dmcrypt-get-device", "Programs that lose their SUID/SGID bit")],
            Check = """
                bad=""; for f in $P_paths; do [ -f "$f" ] && { [ -u "$f" ] || [ -g "$f" ]; } && bad="$bad $f"; done
                if [ -z "$bad" ]; then pass "no listed program is SUID/SGID"; else fail "SUID/SGID:$bad"; fi
                """,
            Fix = """for f in $P_paths; do [ -f "$f" ] && { [ -u "$f" ] || [ -g "$f" ]; } && run chmod ug-s "$f"; done; true""",
        },

        // ---------------------------------------------------------------- Services and packages (CIS 2.x, 1.x)
        new()
        {
            Id = "SVC-001", Title = "Legacy network services and clients are removed", Category = Services, Severity = HardeningSeverity.High, CisReference = "2.1, 2.2", DevSecReference = "os_hardening packages",
            Parameters = [P("packages", "StringList", "telnetd inetutils-telnetd telnetd-ssl telnet inetutils-telnet rsh-server rsh-redone-server rsh-client rsh-redone-client xinetd openbsd-inetd inetutils-inetd nis ypserv tftpd tftpd-hpa atftpd talkd inetutils-talkd talk", "Packages that must not be installed")],
            Check = "pkgs_absent $P_packages", Fix = "apt_purge $P_packages",
        },
        new()
        {
            Id = "SVC-002", Title = "prelink is removed", Category = Services, CisReference = "1.5.5", DevSecReference = "os_hardening packages",
            Check = "pkgs_absent prelink", Fix = "if has prelink; then run prelink -ua; fi; apt_purge prelink",
        },
        new()
        {
            Id = "SVC-003", Title = "Security updates install unattended", Category = Services, Severity = HardeningSeverity.High, CisReference = "1.2.2.1",
            Packages = ["unattended-upgrades"], ManagedFiles = ["/etc/apt/apt.conf.d/20auto-upgrades"],
            Check = """
                installed unattended-upgrades || { fail "unattended-upgrades is not installed"; exit 0; }
                c=$(apt-config dump 2>/dev/null)
                if printf '%s\n' "$c" | grep -q '^APT::Periodic::Unattended-Upgrade "1";' && printf '%s\n' "$c" | grep -q '^APT::Periodic::Update-Package-Lists "1";'; then pass "unattended upgrades enabled"; else fail "APT::Periodic::Unattended-Upgrade / Update-Package-Lists are not \"1\""; fi
                """,
            Fix = """
                apt_install unattended-upgrades
                printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' | put_file /etc/apt/apt.conf.d/20auto-upgrades 644 root:root
                """,
        },
        new()
        {
            Id = "SVC-004", Title = "Time is synchronised", Category = Services, CisReference = "2.3.1.1", Scope = HardeningScope.OwnKernel,
            Packages = ["systemd-timesyncd"],
            Check = """
                if systemctl is-enabled chrony >/dev/null 2>&1 || systemctl is-enabled systemd-timesyncd >/dev/null 2>&1; then pass "chrony or systemd-timesyncd enabled"; else fail "no time synchronisation service enabled"; fi
                """,
            Fix = "installed chrony || { apt_install systemd-timesyncd; run systemctl enable --now systemd-timesyncd; }",
        },
        new()
        {
            Id = "SVC-005", Title = "Core dumps are disabled (limits and systemd-coredump)", Category = Services, CisReference = "1.5.4", DevSecReference = "os_hardening limits",
            ManagedFiles = ["/etc/security/limits.d/60-devopstools-coredump.conf", "/etc/systemd/coredump.conf.d/60-devopstools.conf"],
            Check = """
                bad=""
                grep -qsE '^[[:space:]]*\*[[:space:]]+hard[[:space:]]+core[[:space:]]+0' /etc/security/limits.conf /etc/security/limits.d/*.conf || bad="$bad no '* hard core 0' limit;"
                s=$(cat /etc/systemd/coredump.conf /etc/systemd/coredump.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*Storage=//p' | tail -n 1)
                [ "$s" = none ] || bad="$bad systemd-coredump Storage is '${s:-default}' (want none);"
                if [ -z "$bad" ]; then pass "core dumps off"; else fail "${bad# }"; fi
                """,
            Fix = """
                printf '# Managed by DevOpsTools Set-Hardening.\n* hard core 0\n' | put_file /etc/security/limits.d/60-devopstools-coredump.conf 644 root:root
                printf '# Managed by DevOpsTools Set-Hardening.\n[Coredump]\nStorage=none\nProcessSizeMax=0\n' | put_file /etc/systemd/coredump.conf.d/60-devopstools.conf 644 root:root
                """,
        },

        // ---------------------------------------------------------------- Firewall (CIS 4.3)
        new()
        {
            Id = "FW-001", Title = "nftables denies inbound traffic by default (SSH and declared ports open)", Category = Firewall, Severity = HardeningSeverity.High, CisReference = "4.3", DevSecReference = "(not in dev-sec)",
            Scope = HardeningScope.Nftables, LockoutGroup = "firewall",
            Parameters = [P("allowedPorts", "IntList", "", "Extra inbound TCP ports to allow (application ports); the ports sshd listens on are always allowed")],
            ManagedFiles = ["/etc/devopstools/firewall.nft", "/etc/systemd/system/devopstools-firewall.service"],
            Check = """
                fw_render > "$DT_TMP/fw"
                bad=""
                cmp -s "$DT_TMP/fw" /etc/devopstools/firewall.nft || bad="$bad /etc/devopstools/firewall.nft is missing or differs;"
                c=$(nft list chain inet devopstools input 2>/dev/null)
                printf '%s\n' "$c" | grep -q 'policy drop' || bad="$bad no input chain with policy drop in table inet devopstools;"
                for p in $(fw_ports); do printf '%s\n' "$c" | grep -q "tcp dport $p accept" || bad="$bad port $p not open;"; done
                systemctl is-enabled devopstools-firewall.service >/dev/null 2>&1 || bad="$bad devopstools-firewall.service not enabled (rules lost at boot);"
                if [ -z "$bad" ]; then pass "default deny; open: $(fw_ports | tr '\n' ' ')"; else fail "${bad# }"; fi
                """,
            Fix = """
                [ -n "$DT_SSH_PORTS" ] || { echo "cannot tell which port sshd listens on (sshd -T failed): not closing the firewall" >&2; exit 1; }
                fw_render | put_file /etc/devopstools/firewall.nft 600 root:root
                t=$(tgt /etc/devopstools/firewall.nft)
                nft -c -f "$t" || { echo "nft -c rejected the rule set" >&2; exit 1; }
                printf '[Unit]\nDescription=DevOpsTools host firewall (nftables table inet devopstools)\nWants=network-pre.target\nBefore=network-pre.target\nDefaultDependencies=no\nAfter=local-fs.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/sbin/nft -f /etc/devopstools/firewall.nft\nExecStop=/usr/sbin/nft delete table inet devopstools\n\n[Install]\nWantedBy=multi-user.target\n' | put_file /etc/systemd/system/devopstools-firewall.service 644 root:root
                mark firewall
                run nft -f /etc/devopstools/firewall.nft
                run systemctl daemon-reload
                run systemctl enable devopstools-firewall.service
                """,
        },

        // ---------------------------------------------------------------- Logging and audit (CIS 6.x, 5.2, 1.7)
        new()
        {
            Id = "LOG-001", Title = "auditd is installed and running", Category = Logging, Severity = HardeningSeverity.High, CisReference = "6.2.1.1", DevSecReference = "os_hardening auditd",
            Scope = HardeningScope.OwnKernel, Packages = ["auditd"],
            Check = """
                installed auditd || { fail "auditd is not installed"; exit 0; }
                if systemctl is-enabled auditd >/dev/null 2>&1 && systemctl is-active auditd >/dev/null 2>&1; then pass "auditd enabled and active"; else fail "auditd is not enabled and active"; fi
                """,
            Fix = "apt_install auditd; run systemctl enable --now auditd",
        },
        new()
        {
            Id = "LOG-002", Title = "Audit rules cover identity, sudo, logins, time and kernel modules", Category = Logging, CisReference = "6.2.3", Scope = HardeningScope.OwnKernel,
            Packages = ["auditd"], ManagedFiles = ["/etc/audit/rules.d/50-devopstools.rules"],
            Check = """
                has auditctl || { fail "auditctl is not installed"; exit 0; }
                l=$(auditctl -l 2>/dev/null)
                bad=""; for k in identity scope logins time-change kernel_modules perm_mod session; do printf '%s\n' "$l" | grep -q "key=$k" || bad="$bad $k"; done
                if [ -z "$bad" ]; then pass "audit rules loaded"; else fail "audit keys not loaded:$bad"; fi
                """,
            Fix = """
                apt_install auditd
                cat <<'RULES' | put_file /etc/audit/rules.d/50-devopstools.rules 640 root:root
                ## Managed by DevOpsTools Set-Hardening (CIS Debian 12, section 6.2.3).
                -w /etc/sudoers -p wa -k scope
                -w /etc/sudoers.d -p wa -k scope
                -w /etc/group -p wa -k identity
                -w /etc/passwd -p wa -k identity
                -w /etc/gshadow -p wa -k identity
                -w /etc/shadow -p wa -k identity
                -w /etc/security/opasswd -p wa -k identity
                -w /var/log/lastlog -p wa -k logins
                -w /var/run/faillock -p wa -k logins
                -w /var/run/utmp -p wa -k session
                -w /var/log/wtmp -p wa -k session
                -w /var/log/btmp -p wa -k session
                -a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change
                -a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime -k time-change
                -w /etc/localtime -p wa -k time-change
                -a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod
                -a always,exit -F arch=b64 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod
                -a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k kernel_modules
                -w /sbin/modprobe -p x -k kernel_modules
                RULES
                run augenrules --load
                """,
        },
        new()
        {
            Id = "LOG-003", Title = "journald keeps logs persistently", Category = Logging, CisReference = "6.1.1.3",
            ManagedFiles = ["/etc/systemd/journald.conf.d/60-devopstools.conf"],
            Check = """
                s=$(cat /etc/systemd/journald.conf /etc/systemd/journald.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*Storage=//p' | tail -n 1)
                if [ "$s" = persistent ]; then pass "Storage=persistent"; else fail "journald Storage is '${s:-auto}', expected persistent"; fi
                """,
            Fix = """
                printf '# Managed by DevOpsTools Set-Hardening.\n[Journal]\nStorage=persistent\nCompress=yes\n' | put_file /etc/systemd/journald.conf.d/60-devopstools.conf 644 root:root
                run systemctl restart systemd-journald
                """,
        },
        new()
        {
            Id = "LOG-004", Title = "sudo uses a pty and logs to a file", Category = Logging, Severity = HardeningSeverity.Medium, CisReference = "5.2.2, 5.2.3",
            LockoutGroup = "sudo", ManagedFiles = ["/etc/sudoers.d/devopstools-hardening"],
            Check = """
                bad=""
                grep -qsE '^[[:space:]]*Defaults([^#]*[ ,])?use_pty' /etc/sudoers /etc/sudoers.d/* || bad="$bad no 'Defaults use_pty';"
                grep -qsE '^[[:space:]]*Defaults([^#]*[ ,])?logfile=' /etc/sudoers /etc/sudoers.d/* || bad="$bad no 'Defaults logfile=';"
                if [ -z "$bad" ]; then pass "use_pty and logfile set"; else fail "${bad# }"; fi
                """,
            Fix = """
                printf '# Managed by DevOpsTools Set-Hardening.\nDefaults use_pty\nDefaults logfile="/var/log/sudo.log"\n' > "$DT_TMP/sudoers"
                visudo -cqf "$DT_TMP/sudoers" || { echo "visudo rejected the sudoers drop-in" >&2; exit 1; }
                put_file /etc/sudoers.d/devopstools-hardening 440 root:root < "$DT_TMP/sudoers"
                mark sudo
                """,
        },
        new()
        {
            Id = "LOG-005", Title = "Login banners warn and reveal no system details", Category = Logging, Severity = HardeningSeverity.Low, CisReference = "1.7.2, 1.7.3",
            Parameters = [P("banner", "String", "Authorized use only. All activity may be monitored and reported.", "Text of /etc/issue and /etc/issue.net")],
            ManagedFiles = ["/etc/issue", "/etc/issue.net"],
            Check = """
                bad=""
                for f in /etc/issue /etc/issue.net; do
                  [ -s "$f" ] || { bad="$bad $f empty;"; continue; }
                  grep -qE '\\[mrsvnl]|Debian|Ubuntu|GNU/Linux' "$f" && bad="$bad $f reveals system details;"
                done
                if [ -z "$bad" ]; then pass "banners set"; else fail "${bad# }"; fi
                """,
            Fix = """
                printf '%s\n' "$P_banner" | put_file /etc/issue 644 root:root
                printf '%s\n' "$P_banner" | put_file /etc/issue.net 644 root:root
                """,
        },

        // ---------------------------------------------------------------- Mounts (CIS 1.1.2)
        Mount("MNT-001", "/dev/shm is mounted nodev,nosuid,noexec", "1.1.2.2", "/dev/shm", BaselineAndStrict),
        Mount("MNT-002", "/tmp is mounted nodev,nosuid,noexec", "1.1.2.1", "/tmp", StrictOnly),
    ];

    private static HardeningRule Blacklist(string id, string title, string cis, string modules, string file) =>
        new()
        {
            Id = id, Title = title, Category = Modules, CisReference = cis, DevSecReference = "os_hardening modprobe",
            Scope = HardeningScope.OwnKernel, ManagedFiles = [file],
            Parameters = [P("modules", "StringList", modules, "Modules that cannot be loaded")],
            Check = """
                bad=""
                for m in $P_modules; do
                  grep -qsE "^[[:space:]]*install[[:space:]]+$m[[:space:]]+/bin/(false|true)" /etc/modprobe.d/*.conf || bad="$bad $m (loadable)"
                  lsmod 2>/dev/null | grep -q "^$m " && bad="$bad $m (loaded)"
                done
                if [ -z "$bad" ]; then pass "disabled: $P_modules"; else fail "${bad# }"; fi
                """,
            Fix = $$"""
                { echo "# Managed by DevOpsTools Set-Hardening."; for m in $P_modules; do echo "blacklist $m"; echo "install $m /bin/false"; done; } | put_file {{file}} 644 root:root
                for m in $P_modules; do lsmod 2>/dev/null | grep -q "^$m " && run modprobe -r "$m"; done; true
                """,
        };

    private static HardeningRule Mount(string id, string title, string cis, string path, string[] profiles) =>
        new()
        {
            Id = id, Title = title, Category = Mounts, CisReference = cis, Scope = HardeningScope.OwnMounts, Profiles = profiles,
            ManagedFiles = ["/etc/fstab"],
            Check = $$"""
                o=$(findmnt -kn -o OPTIONS {{path}} 2>/dev/null)
                [ -n "$o" ] || { fail "{{path}} is not a separate mount"; exit 0; }
                bad=""; for x in nodev nosuid noexec; do case ",$o," in *",$x,"*) ;; *) bad="$bad $x" ;; esac; done
                if [ -z "$bad" ]; then pass "{{path}} $o"; else fail "{{path}} lacks:$bad"; fi
                """,
            Fix = $$"""
                t=$(tgt /etc/fstab)
                awk '$2 != "{{path}}"' "$t" > "$DT_TMP/fstab"
                echo "tmpfs {{path}} tmpfs defaults,rw,nosuid,nodev,noexec,relatime 0 0" >> "$DT_TMP/fstab"
                cat "$DT_TMP/fstab" > "$t"
                if findmnt -kn {{path}} >/dev/null; then run mount -o remount,nodev,nosuid,noexec {{path}}; else run mount {{path}}; fi
                """,
        };
}
