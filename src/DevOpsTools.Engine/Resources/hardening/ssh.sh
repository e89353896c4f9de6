# shellcheck shell=sh
# DevOpsTools hardening rules: SSH server (CIS 5.1, dev-sec ssh_hardening).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Ssh.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# Helper: the algorithm list to configure (the P_ list, comma-joined, else the version table's),
# refused when a name is not in this server's own `ssh -Q <kind>` list.
ssh_algos() { # kind "space list" "default,comma,list"
  if [ -n "$2" ]; then l=$(printf '%s' "$2" | tr ' ' ','); else l=$3; fi
  q=$(ssh -Q "$1" 2>/dev/null) || { echo "ssh -Q $1 failed on the server" >&2; return 1; }
  for a in $(printf '%s' "$l" | tr ',' ' '); do
    printf '%s\n' "$q" | grep -qxF -- "$a" || { echo "$a is not in this server's 'ssh -Q $1' list" >&2; return 1; }
  done
  printf '%s' "$l"
}

# SSH-001 SSH root login is disabled
ssh_001_check() {
  ssh_expect PermitRootLogin "no"
}
ssh_001_fix() {
  ssh_set PermitRootLogin "no"
}

# SSH-002 SSH password authentication is disabled
ssh_002_check() {
  ssh_expect PasswordAuthentication "no"
}
ssh_002_fix() {
  ssh_set PasswordAuthentication "no"
}

# SSH-003 SSH keyboard-interactive authentication is disabled
ssh_003_check() {
  ssh_expect KbdInteractiveAuthentication "no"
}
ssh_003_fix() {
  ssh_set KbdInteractiveAuthentication "no"
}

# SSH-004 SSH empty passwords are refused
ssh_004_check() {
  ssh_expect PermitEmptyPasswords "no"
}
ssh_004_fix() {
  ssh_set PermitEmptyPasswords "no"
}

# SSH-005 SSH MaxAuthTries is limited
ssh_005_check() {
  ssh_max MaxAuthTries "$P_maxAuthTries" 1
}
ssh_005_fix() {
  ssh_set MaxAuthTries "$P_maxAuthTries"
}

# SSH-006 SSH LoginGraceTime is short
ssh_006_check() {
  ssh_max LoginGraceTime "$P_loginGraceTime" 1
}
ssh_006_fix() {
  ssh_set LoginGraceTime "$P_loginGraceTime"
}

# SSH-007 SSH idle sessions are timed out (ClientAliveInterval/CountMax)
ssh_007_check() {
  i=$(sshd_get ClientAliveInterval); c=$(sshd_get ClientAliveCountMax)
  if [ "${i:-0}" -ge 1 ] && [ "$i" -le "$P_clientAliveInterval" ] && [ "${c:-0}" -ge 1 ] && [ "$c" -le "$P_clientAliveCountMax" ]; then pass "ClientAliveInterval $i, ClientAliveCountMax $c"
  else fail "ClientAliveInterval is '${i:-unset}' (want 1..$P_clientAliveInterval), ClientAliveCountMax '${c:-unset}' (want 1..$P_clientAliveCountMax)"; fi
}
ssh_007_fix() {
  ssh_set ClientAliveInterval "$P_clientAliveInterval"; ssh_set ClientAliveCountMax "$P_clientAliveCountMax"
}

# SSH-008 SSH X11 forwarding is disabled
ssh_008_check() {
  ssh_expect X11Forwarding "no"
}
ssh_008_fix() {
  ssh_set X11Forwarding "no"
}

# SSH-009 SSH agent forwarding is disabled (parameter for bastions)
ssh_009_check() {
  w=no; [ "$P_allowForwarding" = true ] && w=yes; ssh_expect AllowAgentForwarding $w
}
ssh_009_fix() {
  w=no; [ "$P_allowForwarding" = true ] && w=yes; ssh_set AllowAgentForwarding $w
}

# SSH-010 SSH TCP forwarding is disabled (parameter for bastions)
ssh_010_check() {
  w=no; [ "$P_allowForwarding" = true ] && w=yes; ssh_expect AllowTcpForwarding $w
}
ssh_010_fix() {
  w=no; [ "$P_allowForwarding" = true ] && w=yes; ssh_set AllowTcpForwarding $w
}

# SSH-011 SSH PermitUserEnvironment is disabled
ssh_011_check() {
  ssh_expect PermitUserEnvironment "no"
}
ssh_011_fix() {
  ssh_set PermitUserEnvironment "no"
}

# SSH-012 SSH tunnels are disabled
ssh_012_check() {
  ssh_expect PermitTunnel "no"
}
ssh_012_fix() {
  ssh_set PermitTunnel "no"
}

# SSH-013 SSH host-based authentication is disabled
ssh_013_check() {
  ssh_expect HostbasedAuthentication "no"
}
ssh_013_fix() {
  ssh_set HostbasedAuthentication "no"
}

# SSH-014 SSH ignores .rhosts files
ssh_014_check() {
  ssh_expect IgnoreRhosts "yes"
}
ssh_014_fix() {
  ssh_set IgnoreRhosts "yes"
}

# SSH-015 SSH LogLevel is VERBOSE
ssh_015_check() {
  ssh_expect LogLevel "VERBOSE"
}
ssh_015_fix() {
  ssh_set LogLevel "VERBOSE"
}

# SSH-016 SSH does not resolve client names (UseDNS no)
ssh_016_check() {
  ssh_expect UseDNS "no"
}
ssh_016_fix() {
  ssh_set UseDNS "no"
}

# SSH-017 SSH shows the login banner
ssh_017_check() {
  ssh_expect Banner "/etc/issue.net"
}
ssh_017_fix() {
  ssh_set Banner "/etc/issue.net"
}

# SSH-018 SSH key exchange algorithms are strong (chosen by OpenSSH version)
ssh_018_check() {
  w=$(ssh_algos kex "$P_kexAlgorithms" "$DT_KEX" 2>"$DT_TMP/algos") || { fail "$(cat "$DT_TMP/algos")"; return 0; }
  ssh_expect KexAlgorithms "$w"
}
ssh_018_fix() {
  w=$(ssh_algos kex "$P_kexAlgorithms" "$DT_KEX")
  ssh_set KexAlgorithms "$w"
}

# SSH-019 SSH ciphers are strong (chosen by OpenSSH version)
ssh_019_check() {
  w=$(ssh_algos cipher "$P_ciphers" "$DT_CIPHERS" 2>"$DT_TMP/algos") || { fail "$(cat "$DT_TMP/algos")"; return 0; }
  ssh_expect Ciphers "$w"
}
ssh_019_fix() {
  w=$(ssh_algos cipher "$P_ciphers" "$DT_CIPHERS")
  ssh_set Ciphers "$w"
}

# SSH-020 SSH MACs are strong (chosen by OpenSSH version)
ssh_020_check() {
  w=$(ssh_algos mac "$P_macs" "$DT_MACS" 2>"$DT_TMP/algos") || { fail "$(cat "$DT_TMP/algos")"; return 0; }
  ssh_expect MACs "$w"
}
ssh_020_fix() {
  w=$(ssh_algos mac "$P_macs" "$DT_MACS")
  ssh_set MACs "$w"
}

# SSH-021 sshd_config and its drop-ins are 0600 root:root
ssh_021_check() {
  set -- /etc/ssh/sshd_config 600 root:root; for f in /etc/ssh/sshd_config.d/*.conf; do [ -e "$f" ] && set -- "$@" "$f" 600 root:root; done; perm_expect "$@"
}
ssh_021_fix() {
  set -- /etc/ssh/sshd_config 600 root:root; for f in /etc/ssh/sshd_config.d/*.conf; do [ -e "$f" ] && set -- "$@" "$f" 600 root:root; done; fix_perm "$@"
}

# SSH-022 Weak Diffie-Hellman moduli are removed
ssh_022_check() {
  [ -f /etc/ssh/moduli ] || { pass "no /etc/ssh/moduli"; exit 0; }
  n=$(DT_M=$P_minModulusBits awk '$1 !~ /^#/ && NF >= 7 && $5 + 1 < ENVIRON["DT_M"] + 0' /etc/ssh/moduli | wc -l)
  if [ "$n" -eq 0 ]; then pass "no modulus under $P_minModulusBits bits"; else fail "$n moduli under $P_minModulusBits bits"; fi
}
ssh_022_fix() {
  t=$(tgt /etc/ssh/moduli)
  DT_M=$P_minModulusBits awk '$1 ~ /^#/ || NF < 7 || $5 + 1 >= ENVIRON["DT_M"] + 0' "$t" > "$DT_TMP/moduli" && cat "$DT_TMP/moduli" > "$t"
  mark sshd
}

# SSH-023 SSH GSSAPI authentication is disabled
ssh_023_check() {
  ssh_expect GSSAPIAuthentication "no"
}
ssh_023_fix() {
  ssh_set GSSAPIAuthentication "no"
}

# SSH-024 SSH MaxSessions and MaxStartups are limited
ssh_024_check() {
  s=$(sshd_get MaxSessions); st=$(sshd_get MaxStartups)
  if [ "${s:-99}" -ge 1 ] && [ "${s:-99}" -le "$P_maxSessions" ] && [ "$st" = "10:30:60" ]; then pass "MaxSessions $s, MaxStartups $st"; else fail "MaxSessions '${s:-unset}' (want 1..$P_maxSessions), MaxStartups '${st:-unset}' (want 10:30:60)"; fi
}
ssh_024_fix() {
  ssh_set MaxSessions "$P_maxSessions"; ssh_set MaxStartups 10:30:60
}

# SSH-025 SSH logins are limited to listed users (AllowUsers)
ssh_025_check() {
  have=$(printf '%s\n' "$DT_SSHD_T" | awk 'tolower($1)=="allowusers"{ for (i=2; i<=NF; i++) print $i }' | sort -u | tr '\n' ' ' | sed 's/ $//')
  want=$(for u in $P_allowUsers; do echo "$u"; done | sort -u | tr '\n' ' ' | sed 's/ $//')
  if [ "$have" = "$want" ]; then pass "AllowUsers $have"; else fail "AllowUsers is '${have:-unset}', expected '$want'"; fi
}
ssh_025_fix() {
  ssh_set AllowUsers "$P_allowUsers"
}

# SSH-026 SSH host private keys are 0600 root:root
ssh_026_check() {
  set --; for f in /etc/ssh/ssh_host_*_key; do [ -e "$f" ] && set -- "$@" "$f" 600 root:root; done; perm_expect "$@"
}
ssh_026_fix() {
  set --; for f in /etc/ssh/ssh_host_*_key; do [ -e "$f" ] && set -- "$@" "$f" 600 root:root; done; fix_perm "$@"
}

# SSH-027 SSH compression is disabled
ssh_027_check() {
  ssh_expect Compression "no"
}
ssh_027_fix() {
  ssh_set Compression "no"
}

# SSH-028 SSH TCP keep-alive is off (ClientAlive probes time out idle sessions)
ssh_028_check() {
  ssh_expect TCPKeepAlive "no"
}
ssh_028_fix() {
  ssh_set TCPKeepAlive "no"
}
