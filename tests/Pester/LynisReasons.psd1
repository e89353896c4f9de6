# Why a Lynis suggestion is left after Set-Hardening: Hardening.Lynis.Tests.ps1 prints every
# remaining suggestion with its reason from here and fails on one that has none. Keys are Lynis
# test ids; 'ID:detail' (the report's third field) is looked up before the bare id.
# NotApplicable: out of reach in a container (the kernel, mounts and clock are the host's).
# Left: a control that this module does not take on, and why.
@{
    # ---- not applicable in a container (about 16 points of Lynis's total)
    'USB-1000'   = 'NotApplicable: USB storage drivers are modules of the host''s kernel; a container has no USB bus of its own (blacklist them on the host)'
    'STRG-1846'  = 'NotApplicable: firewire storage drivers are modules of the host''s kernel; a container has no firewire bus (blacklist them on the host)'
    'KRNL-5788'  = 'NotApplicable: a container boots no kernel image (/vmlinuz); it runs on the host''s kernel'
    'KRNL-6000'  = 'NotApplicable: the sysctls Lynis compares (kernel.*, fs.*) are kernel-wide: the host''s, not writable from a container (KRN-* rules are NotApplicable here)'
    'NETW-3200'  = 'NotApplicable: Lynis asks whether the protocol modules are loadable in the running kernel, the host''s; the blacklist files (MOD-002) are written and take effect on a host that owns its kernel'
    'FILE-6310'  = 'NotApplicable: a container has one root filesystem given by the runtime; separate /home and /var partitions are a host or volume decision'
    'ACCT-9622'  = 'NotApplicable: process accounting (acct) needs the kernel''s accounting switch, kernel-wide and not namespaced'
    'ACCT-9626'  = 'NotApplicable: sysstat reads the host''s kernel counters; resource accounting of a container is the runtime''s (podman stats)'
    'ACCT-9628'  = 'NotApplicable: the kernel audit subsystem is not namespaced; auditd cannot run in a container (LOG-001 is NotApplicable here)'
    'TIME-3104'  = 'NotApplicable: a container cannot set the clock; time is the host''s (SVC-004 installs timesyncd, which skips itself in a container)'
    'BOOT-5264'  = 'Left: per-unit systemd sandboxing (systemd-analyze security) is a per-service decision for the applications deployed, not a generic hardening rule'
    # ---- left on purpose
    'LYNIS'      = 'Left: the auditor is Debian''s packaged Lynis 3.0.8 on purpose (the version the goal is stated for), so it reports its own age'
    'SSH-7408:Port (set 22 to )' = 'Left: moving sshd off port 22 is obscurity, not a control; the firewall (FW-001) and key-only login protect it'
    'AUTH-9284'  = 'Left: the locked account is admin, key-only by design (no password to log in with, sudo by key login)'
    'NAME-4028'  = 'Left: the DNS domain is the network''s (podman''s resolver), not the server''s to set'
    'LOGG-2154'  = 'Left: remote log shipping needs a log host of the environment; none exists in a test environment'
    'TOOL-5002'  = 'Left: the configuration management tool is DevOpsTools itself, agentless over SSH, which Lynis cannot see'
    'DEB-0880'   = 'Left (Baseline; Strict has SVC-008): fail2ban bans addresses after failed logins; with key-only login, MaxAuthTries and MaxStartups the gain is small'
    'DEB-0810'   = 'Left: apt-listbugs pulls in Ruby (about 30 MB) on every server; apt-listchanges (PKG-004) shows the changes before an upgrade'
    'FILE-7524'  = 'Left: Lynis''s wish list of modes stricter than Debian''s (for example /etc/cron.d 0700 even without cron) beyond CIS''s file rules (FIL-*)'
    'HOME-9304'  = 'Left: home directories are 0750 by Debian''s adduser; Lynis asks for 0700 or stricter without a CIS rule behind it'
    'DEB-0280'   = 'Left (Baseline; Strict has ACC-015): libpam-tmpdir gives each login its own TMPDIR; the servers have one admin login and /tmp is the runtime''s mount'
}
