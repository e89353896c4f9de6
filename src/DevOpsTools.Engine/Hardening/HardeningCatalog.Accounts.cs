namespace DevOpsTools.Engine.Hardening;

/// <summary>Catalogue metadata; the checks and fixes are functions in Resources/hardening/&lt;category&gt;.sh.</summary>
public static partial class HardeningCatalog
{
    private static IReadOnlyList<HardeningRule> AccountRules() =>
    [
        // ---------------------------------------------------------------- Accounts and PAM (CIS 5.3, 5.4)
        LoginDefs("ACC-001", "Passwords expire (PASS_MAX_DAYS)", "maxDays", "365", "5.4.1.1", "Highest PASS_MAX_DAYS", 1, 99999),
        LoginDefs("ACC-002", "Passwords cannot be changed again at once (PASS_MIN_DAYS)", "minDays", "1", "5.4.1.2", "Lowest PASS_MIN_DAYS", 0, 99999),
        LoginDefs("ACC-003", "Users are warned before passwords expire (PASS_WARN_AGE)", "warnAge", "7", "5.4.1.3", "Lowest PASS_WARN_AGE", 0, 99999),
        new()
        {
            Id = "ACC-004", Title = "New home files are private (login.defs UMASK)", Category = Accounts, CisReference = "5.4.3.3", DevSecReference = "os_hardening login_defs",
            Parameters = [P("umask", "String", "027", "The umask, as octal", HardeningParameterFormat.Octal)], ManagedFiles = ["/etc/login.defs"],
        },
        new()
        {
            Id = "ACC-005", Title = "Password hashes are SHA512 with many rounds (or yescrypt)", Category = Accounts, CisReference = "5.4.1.4", DevSecReference = "os_hardening login_defs",
            Parameters = [P("rounds", "Int", "65536", "Lowest SHA_CRYPT_MIN_ROUNDS", min: 1000, max: 999999999)], ManagedFiles = ["/etc/login.defs"],
        },
        new()
        {
            Id = "ACC-006", Title = "Password quality is enforced (pam_pwquality)", Category = Accounts, CisReference = "5.3.3.2", DevSecReference = "os_hardening pam",
            Parameters = [P("minLength", "Int", "14", "Shortest password", min: 1, max: 512), P("minClass", "Int", "4", "Character classes required", min: 1, max: 4)],
            Packages = ["libpam-pwquality"], ManagedFiles = ["/etc/security/pwquality.conf", "/etc/pam.d/common-password"],
        },
        new()
        {
            Id = "ACC-007", Title = "Accounts lock after failed logins (pam_faillock)", Category = Accounts, CisReference = "5.3.3.1", DevSecReference = "os_hardening pam",
            Parameters = [P("deny", "Int", "5", "Failures before the account locks", min: 1, max: 100), P("unlockTime", "Int", "900", "Seconds the account stays locked", min: 0, max: 604800)],
            ManagedFiles = ["/etc/security/faillock.conf", "/usr/share/pam-configs/devopstools-faillock", "/usr/share/pam-configs/devopstools-faillock-notify", "/etc/pam.d/common-auth", "/etc/pam.d/common-account"],
        },
        new()
        {
            Id = "ACC-008", Title = "Recent passwords cannot be reused (pam_pwhistory)", Category = Accounts, CisReference = "5.3.3.3", DevSecReference = "os_hardening pam",
            Parameters = [P("remember", "Int", "5", "Passwords remembered", min: 1, max: 400)],
            ManagedFiles = ["/usr/share/pam-configs/devopstools-pwhistory", "/etc/pam.d/common-password"],
        },
        new()
        {
            Id = "ACC-009", Title = "No account has an empty password", Category = Accounts, Severity = HardeningSeverity.Critical, CisReference = "7.2.2",
        },
        new()
        {
            Id = "ACC-010", Title = "Only root has UID 0", Category = Accounts, Severity = HardeningSeverity.Critical, CisReference = "7.2.9",
            HasFix = false,
        },
        new()
        {
            Id = "ACC-011", Title = "System accounts have no login shell", Category = Accounts, Severity = HardeningSeverity.Medium, CisReference = "5.4.2.7", DevSecReference = "os_hardening user_accounts",
            ManagedFiles = ["/etc/passwd"],
        },
        new()
        {
            Id = "ACC-012", Title = "root's PATH is sane", Category = Accounts, Severity = HardeningSeverity.Medium, CisReference = "7.2.10",
        },
        new()
        {
            Id = "ACC-013", Title = "The default shell umask is 027", Category = Accounts, CisReference = "5.4.3.3", DevSecReference = "os_hardening profile",
            ManagedFiles = ["/etc/profile.d/devopstools-umask.sh"],
        },
        new()
        {
            Id = "ACC-014", Title = "Idle shells time out (readonly TMOUT)", Category = Accounts, CisReference = "5.4.3.2",
            Parameters = [P("idleTimeout", "Int", "900", "Seconds of idle time before an interactive shell exits (CIS: 900 or less)", min: 1, max: 86400)],
            ManagedFiles = ["/etc/profile.d/devopstools-tmout.sh"],
        },
        new()
        {
            Id = "ACC-015", Title = "Each login gets a private temporary directory (pam_tmpdir)", Category = Accounts, Severity = HardeningSeverity.Low, Profiles = StrictOnly,
            CisReference = "Controls v8 3.3", Packages = ["libpam-tmpdir"],
        },
    ];

    private static HardeningRule LoginDefs(string id, string title, string param, string @default, string? cis, string description, int min, int max) =>
        new()
        {
            Id = id, Title = title, Category = Accounts, CisReference = cis, DevSecReference = "os_hardening login_defs",
            Parameters = [P(param, "Int", @default, description, min: min, max: max)], ManagedFiles = ["/etc/login.defs"],
        };
}
