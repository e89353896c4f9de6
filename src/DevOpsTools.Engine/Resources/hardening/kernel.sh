# shellcheck shell=sh
# DevOpsTools hardening rules: Kernel parameters (CIS 3.3, 1.5).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Kernel.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# KRN-001 Reverse path filtering is on
krn_001_check() {
  sysctl_expect net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
}
krn_001_fix() {
  sysctl_set net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
}

# KRN-002 ICMP redirects are not accepted
krn_002_check() {
  sysctl_expect net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.default.accept_redirects=0 net.ipv4.conf.all.secure_redirects=0 net.ipv4.conf.default.secure_redirects=0 net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.accept_redirects=0
}
krn_002_fix() {
  sysctl_set net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.default.accept_redirects=0 net.ipv4.conf.all.secure_redirects=0 net.ipv4.conf.default.secure_redirects=0 net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.accept_redirects=0
}

# KRN-003 ICMP redirects are not sent
krn_003_check() {
  sysctl_expect net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
}
krn_003_fix() {
  sysctl_set net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
}

# KRN-004 Source-routed packets are refused
krn_004_check() {
  sysctl_expect net.ipv4.conf.all.accept_source_route=0 net.ipv4.conf.default.accept_source_route=0 net.ipv6.conf.all.accept_source_route=0 net.ipv6.conf.default.accept_source_route=0
}
krn_004_fix() {
  sysctl_set net.ipv4.conf.all.accept_source_route=0 net.ipv4.conf.default.accept_source_route=0 net.ipv6.conf.all.accept_source_route=0 net.ipv6.conf.default.accept_source_route=0
}

# KRN-005 Martian packets are logged
krn_005_check() {
  sysctl_expect net.ipv4.conf.all.log_martians=1 net.ipv4.conf.default.log_martians=1
}
krn_005_fix() {
  sysctl_set net.ipv4.conf.all.log_martians=1 net.ipv4.conf.default.log_martians=1
}

# KRN-006 TCP SYN cookies are on
krn_006_check() {
  sysctl_expect net.ipv4.tcp_syncookies=1
}
krn_006_fix() {
  sysctl_set net.ipv4.tcp_syncookies=1
}

# KRN-007 Broadcast and bogus ICMP is ignored
krn_007_check() {
  sysctl_expect net.ipv4.icmp_echo_ignore_broadcasts=1 net.ipv4.icmp_ignore_bogus_error_responses=1
}
krn_007_fix() {
  sysctl_set net.ipv4.icmp_echo_ignore_broadcasts=1 net.ipv4.icmp_ignore_bogus_error_responses=1
}

# KRN-008 IPv6 router advertisements are not accepted
krn_008_check() {
  sysctl_expect net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}
krn_008_fix() {
  sysctl_set net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}

# KRN-009 IP forwarding is off (parameter for container hosts)
krn_009_check() {
  v=0; [ "$P_allowForwarding" = true ] && v=1; sysctl_expect net.ipv4.ip_forward=$v
}
krn_009_fix() {
  v=0; [ "$P_allowForwarding" = true ] && v=1; sysctl_set net.ipv4.ip_forward=$v
}

# KRN-010 Address space layout randomisation is full (randomize_va_space 2)
krn_010_check() {
  sysctl_expect kernel.randomize_va_space=2
}
krn_010_fix() {
  sysctl_set kernel.randomize_va_space=2
}

# KRN-011 Kernel pointers are hidden (kptr_restrict 2)
krn_011_check() {
  sysctl_expect kernel.kptr_restrict=2
}
krn_011_fix() {
  sysctl_set kernel.kptr_restrict=2
}

# KRN-012 dmesg is restricted to root
krn_012_check() {
  sysctl_expect kernel.dmesg_restrict=1
}
krn_012_fix() {
  sysctl_set kernel.dmesg_restrict=1
}

# KRN-013 ptrace is restricted (yama.ptrace_scope)
krn_013_check() {
  sysctl_expect kernel.yama.ptrace_scope=$P_ptraceScope
}
krn_013_fix() {
  sysctl_set kernel.yama.ptrace_scope=$P_ptraceScope
}

# KRN-014 Link and FIFO protections are on (fs.protected_*)
krn_014_check() {
  sysctl_expect fs.protected_hardlinks=1 fs.protected_symlinks=1 fs.protected_fifos=1 fs.protected_regular=2
}
krn_014_fix() {
  sysctl_set fs.protected_hardlinks=1 fs.protected_symlinks=1 fs.protected_fifos=1 fs.protected_regular=2
}

# KRN-015 SUID programs do not dump core (fs.suid_dumpable 0)
krn_015_check() {
  sysctl_expect fs.suid_dumpable=0
}
krn_015_fix() {
  sysctl_set fs.suid_dumpable=0
}

# KRN-016 Magic SysRq and kexec are disabled
krn_016_check() {
  sysctl_expect kernel.sysrq=0 kernel.kexec_load_disabled=1
}
krn_016_fix() {
  sysctl_set kernel.sysrq=0 kernel.kexec_load_disabled=1
}
