namespace DevOpsTools.Engine.Hardening;

/// <summary>Catalogue metadata; the checks and fixes are functions in Resources/hardening/&lt;category&gt;.sh.</summary>
public static partial class HardeningCatalog
{
    private static IReadOnlyList<HardeningRule> SshRules() =>
    [
        // ---------------------------------------------------------------- SSH (CIS 5.1)
        SshOption("SSH-001", "SSH root login is disabled", "5.1.20", HardeningSeverity.Critical),
        SshOption("SSH-002", "SSH password authentication is disabled", null, HardeningSeverity.High),
        SshOption("SSH-003", "SSH keyboard-interactive authentication is disabled", null, HardeningSeverity.High),
        SshOption("SSH-004", "SSH empty passwords are refused", "5.1.19", HardeningSeverity.Critical),
        new()
        {
            Id = "SSH-005", Title = "SSH MaxAuthTries is limited", Category = Ssh, CisReference = "5.1.16", DevSecReference = "ssh_hardening",
            Parameters = [P("maxAuthTries", "Int", "3", "Highest allowed MaxAuthTries", min: 1, max: 10)], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-006", Title = "SSH LoginGraceTime is short", Category = Ssh, CisReference = "5.1.13", DevSecReference = "ssh_hardening",
            Parameters = [P("loginGraceTime", "Int", "30", "Highest allowed LoginGraceTime in seconds", min: 1, max: 60)], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-007", Title = "SSH idle sessions are timed out (ClientAliveInterval/CountMax)", Category = Ssh, CisReference = "5.1.7", DevSecReference = "ssh_hardening",
            Parameters = [P("clientAliveInterval", "Int", "300", "Seconds between keep-alive probes", min: 1, max: 3600), P("clientAliveCountMax", "Int", "2", "Unanswered probes before disconnect", min: 1, max: 10)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        SshOption("SSH-008", "SSH X11 forwarding is disabled", "5.1.8"),
        new()
        {
            Id = "SSH-009", Title = "SSH agent forwarding is disabled (parameter for bastions)", Category = Ssh, CisReference = "5.1.8", DevSecReference = "ssh_hardening",
            Parameters = [P("allowForwarding", "Bool", "false", "true on a bastion host that forwards agents and TCP")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-010", Title = "SSH TCP forwarding is disabled (parameter for bastions)", Category = Ssh, CisReference = "5.1.8", DevSecReference = "ssh_hardening",
            Parameters = [P("allowForwarding", "Bool", "false", "true on a bastion host that forwards agents and TCP")], LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        SshOption("SSH-011", "SSH PermitUserEnvironment is disabled", "5.1.21"),
        SshOption("SSH-012", "SSH tunnels are disabled", null),
        SshOption("SSH-013", "SSH host-based authentication is disabled", "5.1.10", HardeningSeverity.High),
        SshOption("SSH-014", "SSH ignores .rhosts files", "5.1.11", HardeningSeverity.High),
        SshOption("SSH-015", "SSH LogLevel is VERBOSE", "5.1.14", HardeningSeverity.Low),
        SshOption("SSH-016", "SSH does not resolve client names (UseDNS no)", null, HardeningSeverity.Low),
        SshOption("SSH-017", "SSH shows the login banner", "5.1.5", HardeningSeverity.Low),
        new()
        {
            Id = "SSH-018", Title = "SSH key exchange algorithms are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.12", DevSecReference = "ssh_hardening crypto",
            Parameters = [P("kexAlgorithms", "StringList", "", "Algorithms to allow, in order of preference; empty: the strong list for the installed OpenSSH. Each must be in the server's `ssh -Q kex`.", HardeningParameterFormat.SshAlgorithm)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-019", Title = "SSH ciphers are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.6", DevSecReference = "ssh_hardening crypto",
            Parameters = [P("ciphers", "StringList", "", "Algorithms to allow, in order of preference; empty: the strong list for the installed OpenSSH. Each must be in the server's `ssh -Q cipher`.", HardeningParameterFormat.SshAlgorithm)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-020", Title = "SSH MACs are strong (chosen by OpenSSH version)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.15", DevSecReference = "ssh_hardening crypto",
            Parameters = [P("macs", "StringList", "", "Algorithms to allow, in order of preference; empty: the strong list for the installed OpenSSH. Each must be in the server's `ssh -Q mac`.", HardeningParameterFormat.SshAlgorithm)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-021", Title = "sshd_config and its drop-ins are 0600 root:root", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.1", DevSecReference = "ssh_hardening",
            ManagedFiles = [SshMain, SshDropIn],
        },
        new()
        {
            Id = "SSH-022", Title = "Weak Diffie-Hellman moduli are removed", Category = Ssh, CisReference = null, DevSecReference = "ssh_hardening moduli",
            Parameters = [P("minModulusBits", "Int", "3072", "Smallest modulus size kept in /etc/ssh/moduli", min: 2048, max: 8192)], LockoutGroup = "sshd", ManagedFiles = ["/etc/ssh/moduli"],
        },
        SshOption("SSH-023", "SSH GSSAPI authentication is disabled", "5.1.9", HardeningSeverity.Low),
        new()
        {
            Id = "SSH-024", Title = "SSH MaxSessions and MaxStartups are limited", Category = Ssh, CisReference = "5.1.17", DevSecReference = "ssh_hardening", Profiles = StrictOnly,
            Parameters = [P("maxSessions", "Int", "2", "Highest allowed MaxSessions (sessions per connection; CIS: 10 or less)", min: 1, max: 10)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        new()
        {
            Id = "SSH-025", Title = "SSH logins are limited to listed users (AllowUsers)", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.4", DevSecReference = "ssh_hardening", Profiles = StrictOnly,
            Parameters = [P("allowUsers", "StringList", "{admin}", "Users allowed to log in over SSH; {admin} is the module's admin user. Add extra SSH users here.", HardeningParameterFormat.UserName)],
            LockoutGroup = "sshd", ManagedFiles = [SshDropIn, SshMain],
        },
        SshOption("SSH-027", "SSH compression is disabled", null, HardeningSeverity.Low),
        SshOption("SSH-028", "SSH TCP keep-alive is off (ClientAlive probes time out idle sessions)", null, HardeningSeverity.Low),
        new()
        {
            Id = "SSH-026", Title = "SSH host private keys are 0600 root:root", Category = Ssh, Severity = HardeningSeverity.High, CisReference = "5.1.2",
        },
    ];

    private static HardeningRule SshOption(string id, string title, string? cis, HardeningSeverity severity = HardeningSeverity.Medium, string? devSec = "ssh_hardening", IReadOnlyList<HardeningRuleParameter>? parameters = null, string[]? profiles = null) =>
        new()
        {
            Id = id, Title = title, Category = Ssh, Severity = severity, CisReference = cis, DevSecReference = devSec,
            Profiles = profiles ?? BaselineAndStrict, Parameters = parameters ?? [], LockoutGroup = "sshd",
            ManagedFiles = [SshDropIn, SshMain],
        };
}
