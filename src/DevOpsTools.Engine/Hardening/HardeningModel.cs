namespace DevOpsTools;

/// <summary>How bad a failing rule is.</summary>
public enum HardeningSeverity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Where a rule can apply. The engine decides from facts the check script gathers.</summary>
public enum HardeningScope
{
    /// <summary>Every Linux server.</summary>
    Any,

    /// <summary>Only a host that owns its kernel (not a container): kernel-wide sysctls, modules, auditd, clock.</summary>
    OwnKernel,

    /// <summary>Only a host that owns its mounts (not a container): /tmp and /dev/shm options.</summary>
    OwnMounts,

    /// <summary>Needs a working nftables (CAP_NET_ADMIN in a container).</summary>
    Nftables,
}

/// <summary>The status of one rule on one server.</summary>
public enum HardeningRuleStatus
{
    /// <summary>The check passed; nothing to do.</summary>
    Compliant,

    /// <summary>The check failed (Test-Hardening), or it failed and has no automatic fix.</summary>
    NonCompliant,

    /// <summary>Set-Hardening changed the server and the check passes now.</summary>
    Changed,

    /// <summary>-WhatIf: the rule would change the server (see Changes).</summary>
    WouldChange,

    /// <summary>The rule does not apply to this server (Reason says why).</summary>
    NotApplicable,

    /// <summary>The check or the fix failed, or the change was rolled back (Reason says why).</summary>
    Failed,
}

/// <summary>What a String or StringList parameter's text must be.</summary>
public enum HardeningParameterFormat
{
    /// <summary>String: one line of printable text without backslashes; StringList: safe words (letters, digits, . _ - + @ : /).</summary>
    Default,

    /// <summary>POSIX portable user names (lower case, digits, _ and -, not starting with -; at most 32).</summary>
    UserName,

    /// <summary>An octal umask such as 027 or 0077.</summary>
    Octal,

    /// <summary>Kernel module names.</summary>
    ModuleName,

    /// <summary>Debian package names.</summary>
    PackageName,

    /// <summary>Absolute paths of plain names (no spaces, no ..).</summary>
    AbsolutePath,

    /// <summary>OpenSSH algorithm names; checked again on the server against its own `ssh -Q` list.</summary>
    SshAlgorithm,
}

/// <summary>A parameter of a rule, settable in a custom profile.</summary>
public sealed class HardeningRuleParameter
{
    public required string Name { get; init; }

    /// <summary>String, Int, Bool, StringList, IntList (ports) or PortSourceList (port=address[,address...]).</summary>
    public required string Type { get; init; }

    /// <summary>What the text must be beyond its type (user names, octal umask...); see HardeningParameterValidator.</summary>
    public HardeningParameterFormat Format { get; init; }

    /// <summary>Lowest allowed value of an Int.</summary>
    public int Min { get; init; }

    /// <summary>Highest allowed value of an Int.</summary>
    public int Max { get; init; } = int.MaxValue;

    /// <summary>The default, as text ("{admin}" stands for the server's admin user).</summary>
    public required string Default { get; init; }

    public required string Description { get; init; }

    public override string ToString() => $"{Name}={Default}";
}

/// <summary>One control of the catalogue (Get-HardeningRule).</summary>
public sealed class HardeningRule
{
    /// <summary>Stable id such as SSH-001; never reused for another control.</summary>
    public required string Id { get; init; }

    public required string Title { get; init; }

    /// <summary>Ssh, Kernel, Modules, Accounts, Files, Services, Firewall, Logging, Mounts.</summary>
    public required string Category { get; init; }

    public HardeningSeverity Severity { get; init; } = HardeningSeverity.Medium;

    /// <summary>CIS Debian Linux 12 Benchmark recommendation number, when one exists.</summary>
    public string? CisReference { get; init; }

    /// <summary>Where dev-sec's os/ssh hardening covers the same control.</summary>
    public string? DevSecReference { get; init; }

    /// <summary>Built-in profiles that enable the rule: Baseline (and so Strict), or Strict only.</summary>
    public IReadOnlyList<string> Profiles { get; init; } = ["Baseline", "Strict"];

    public HardeningScope Scope { get; init; } = HardeningScope.Any;

    public IReadOnlyList<HardeningRuleParameter> Parameters { get; init; } = [];

    /// <summary>Files the fix may write; each is backed up and shown before/after.</summary>
    public IReadOnlyList<string> ManagedFiles { get; init; } = [];

    /// <summary>Debian packages the fix installs when missing.</summary>
    public IReadOnlyList<string> Packages { get; init; } = [];

    /// <summary>"sshd" or "firewall" when a change could cut the managing connection, else null.</summary>
    public string? LockoutGroup { get; init; }

    /// <summary>False for report-only controls (a person must act).</summary>
    public bool HasFix { get; init; } = true;

    /// <summary>The read-only sh function (in <see cref="ScriptResource"/>) that prints the result through pass/fail/na.</summary>
    internal string CheckFunction => FunctionStem + "_check";

    /// <summary>The idempotent sh function that writes through tgt/run so plan mode changes nothing; null when report-only.</summary>
    internal string? FixFunction => HasFix ? FunctionStem + "_fix" : null;

    /// <summary>The embedded resource holding the rule's functions: its category's .sh file.</summary>
    internal string ScriptResource => Engine.Hardening.HardeningScripts.ResourceFor(Category);

    private string FunctionStem => Id.ToLowerInvariant().Replace('-', '_');

    public override string ToString() => $"{Id} {Title}";
}

/// <summary>One file or action a rule changed (or would change, under -WhatIf).</summary>
public sealed class HardeningChange
{
    /// <summary>The file path, or null for an action such as a package install or a reload.</summary>
    public string? Path { get; init; }

    /// <summary>A one-line summary: "modified /etc/ssh/...", "mode 644 -> 600", "ran: apt-get install ...".</summary>
    public required string Description { get; init; }

    public string? Before { get; init; }

    public string? After { get; init; }

    /// <summary>Owner, group and mode before/after ("600:root:root"), or null when absent.</summary>
    public string? ModeBefore { get; init; }

    public string? ModeAfter { get; init; }

    /// <summary>Unified-style lines: " kept", "-removed", "+added".</summary>
    public IReadOnlyList<string> Diff { get; init; } = [];

    public override string ToString() => Description;
}

/// <summary>The outcome of one rule on one server.</summary>
public sealed class HardeningRuleResult
{
    public required string Server { get; init; }

    public required string RuleId { get; init; }

    public required string Title { get; init; }

    public required string Category { get; init; }

    public HardeningSeverity Severity { get; init; }

    public HardeningRuleStatus Status { get; set; }

    /// <summary>What the check saw (before any change).</summary>
    public string? Detail { get; set; }

    /// <summary>Why the rule is NotApplicable, Failed, or was rolled back.</summary>
    public string? Reason { get; set; }

    public bool RolledBack { get; set; }

    public List<HardeningChange> Changes { get; init; } = [];

    public override string ToString() => $"{RuleId} {Status}";
}

/// <summary>What Set-Hardening / Test-Hardening return per server.</summary>
public sealed class HardeningReport
{
    public required Server Server { get; init; }

    /// <summary>The profile name or file.</summary>
    public required string Profile { get; init; }

    /// <summary>Apply, Plan (-WhatIf) or Test.</summary>
    public required string Mode { get; init; }

    public int Changed => Count(HardeningRuleStatus.Changed);

    public int WouldChange => Count(HardeningRuleStatus.WouldChange);

    public int Compliant => Count(HardeningRuleStatus.Compliant);

    public int NonCompliant => Count(HardeningRuleStatus.NonCompliant);

    public int NotApplicable => Count(HardeningRuleStatus.NotApplicable);

    public int Failed => Count(HardeningRuleStatus.Failed);

    /// <summary>Percent of applicable rules that are compliant (after the changes, for Set-Hardening).</summary>
    public double Score
    {
        get
        {
            var applicable = Rules.Count(r => r.Status != HardeningRuleStatus.NotApplicable);
            if (applicable == 0)
            {
                return 100;
            }

            var good = Rules.Count(r => r.Status is HardeningRuleStatus.Compliant or HardeningRuleStatus.Changed);
            return Math.Round(100.0 * good / applicable, 1);
        }
    }

    public TimeSpan Duration { get; set; }

    /// <summary>Rule ids whose changes were rolled back to keep the server reachable.</summary>
    public List<string> RolledBack { get; init; } = [];

    /// <summary>What the check script found out about the server (container, OpenSSH version, nftables...).</summary>
    public Dictionary<string, string> Facts { get; init; } = new(StringComparer.Ordinal);

    public List<HardeningRuleResult> Rules { get; init; } = [];

    private int Count(HardeningRuleStatus status) => Rules.Count(r => r.Status == status);

    public override string ToString() => $"{Server.Name}: {Score}% ({Mode})";
}
