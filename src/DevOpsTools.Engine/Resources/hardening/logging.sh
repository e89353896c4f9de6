# shellcheck shell=sh
# DevOpsTools hardening rules: Logging, audit, sudo and banners (CIS 6.x, 5.2, 1.7).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Services.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# LOG-001 auditd is installed and running
log_001_check() {
  installed auditd || { fail "auditd is not installed"; exit 0; }
  if systemctl is-enabled auditd >/dev/null 2>&1 && systemctl is-active auditd >/dev/null 2>&1; then pass "auditd enabled and active"; else fail "auditd is not enabled and active"; fi
}
log_001_fix() {
  apt_install auditd; run systemctl enable --now auditd
}

# LOG-002 Audit rules cover identity, sudo, logins, time and kernel modules
log_002_check() {
  has auditctl || { fail "auditctl is not installed"; exit 0; }
  l=$(auditctl -l 2>/dev/null)
  bad=""; for k in identity scope logins time-change kernel_modules perm_mod session; do printf '%s\n' "$l" | grep -q "key=$k" || bad="$bad $k"; done
  if [ -z "$bad" ]; then pass "audit rules loaded"; else fail "audit keys not loaded:$bad"; fi
}
log_002_fix() {
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
}

# LOG-003 journald keeps logs persistently
log_003_check() {
  s=$(cat /etc/systemd/journald.conf /etc/systemd/journald.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*Storage=//p' | tail -n 1)
  if [ "$s" = persistent ]; then pass "Storage=persistent"; else fail "journald Storage is '${s:-auto}', expected persistent"; fi
}
log_003_fix() {
  printf '# Managed by DevOpsTools Set-Hardening.\n[Journal]\nStorage=persistent\nCompress=yes\n' | put_file /etc/systemd/journald.conf.d/60-devopstools.conf 644 root:root
  run systemctl restart systemd-journald
}

# LOG-004 sudo uses a pty and logs to a file
log_004_check() {
  bad=""
  grep -qsE '^[[:space:]]*Defaults([^#]*[ ,])?use_pty' /etc/sudoers /etc/sudoers.d/* || bad="$bad no 'Defaults use_pty';"
  grep -qsE '^[[:space:]]*Defaults([^#]*[ ,])?logfile=' /etc/sudoers /etc/sudoers.d/* || bad="$bad no 'Defaults logfile=';"
  if [ -z "$bad" ]; then pass "use_pty and logfile set"; else fail "${bad# }"; fi
}
log_004_fix() {
  printf '# Managed by DevOpsTools Set-Hardening.\nDefaults use_pty\nDefaults logfile="/var/log/sudo.log"\n' > "$DT_TMP/sudoers"
  visudo -cqf "$DT_TMP/sudoers" || { echo "visudo rejected the sudoers drop-in" >&2; exit 1; }
  put_file /etc/sudoers.d/devopstools-hardening 440 root:root < "$DT_TMP/sudoers"
  mark sudo
}

# LOG-005 Login banners warn and reveal no system details
log_005_check() {
  bad=""
  for f in /etc/issue /etc/issue.net; do
    [ -s "$f" ] || { bad="$bad $f empty;"; continue; }
    grep -qE '\\[mrsvnl]|Debian|Ubuntu|GNU/Linux' "$f" && bad="$bad $f reveals system details;"
  done
  if [ -z "$bad" ]; then pass "banners set"; else fail "${bad# }"; fi
}
log_005_fix() {
  printf '%s\n' "$P_banner" | put_file /etc/issue 644 root:root
  printf '%s\n' "$P_banner" | put_file /etc/issue.net 644 root:root
}
