# shellcheck shell=sh
# DevOpsTools hardening rules: Services and packages (CIS 2.x, 1.x).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Services.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# SVC-001 Legacy network services and clients are removed
svc_001_check() {
  pkgs_absent $P_packages
}
svc_001_fix() {
  apt_purge $P_packages
}

# SVC-002 prelink is removed
svc_002_check() {
  pkgs_absent prelink
}
svc_002_fix() {
  if has prelink; then run prelink -ua; fi; apt_purge prelink
}

# SVC-003 Security updates install unattended
security_codename() { (. /etc/os-release 2>/dev/null; printf '%s' "${VERSION_CODENAME:-}"); }
security_source() { # 0 when apt has a <codename>-security source (one-line or deb822 files)
  c=$(security_codename); [ -n "$c" ] || return 1
  grep -qsE "^[[:space:]]*deb[[:space:]].*[[:space:]]${c}-security([[:space:]]|\$)|^[[:space:]]*Suites:.*[[:space:]]${c}-security([[:space:]]|\$)" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}
svc_003_check() {
  installed unattended-upgrades || { fail "unattended-upgrades is not installed"; exit 0; }
  security_source || { fail "apt has no $(security_codename)-security source: unattended-upgrades has no security updates to install"; exit 0; }
  c=$(apt-config dump 2>/dev/null)
  if printf '%s\n' "$c" | grep -q '^APT::Periodic::Unattended-Upgrade "1";' && printf '%s\n' "$c" | grep -q '^APT::Periodic::Update-Package-Lists "1";'; then pass "unattended upgrades enabled, $(security_codename)-security source present"; else fail "APT::Periodic::Unattended-Upgrade / Update-Package-Lists are not \"1\""; fi
}
svc_003_fix() {
  apt_install unattended-upgrades
  printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' | put_file /etc/apt/apt.conf.d/20auto-upgrades 644 root:root
  if ! security_source; then
    c=$(security_codename)
    case $P_securityMirror in http://*|https://*) ;; *) echo "securityMirror '$P_securityMirror' is not an http(s) URI" >&2; exit 1 ;; esac
    case $P_securityMirror in *[[:space:]]*) echo "securityMirror must not contain spaces" >&2; exit 1 ;; esac
    [ -n "$c" ] || { echo "no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
    printf '# Managed by DevOpsTools Set-Hardening: the security source of unattended-upgrades.\ndeb %s %s-security main\n' "$P_securityMirror" "$c" \
      | put_file /etc/apt/sources.list.d/devopstools-security.list 644 root:root
    run apt-get update -qq
  fi
}

# SVC-004 Time is synchronised
svc_004_check() {
  if systemctl is-enabled chrony >/dev/null 2>&1 || systemctl is-enabled systemd-timesyncd >/dev/null 2>&1; then pass "chrony or systemd-timesyncd enabled"; else fail "no time synchronisation service enabled"; fi
}
svc_004_fix() {
  installed chrony || { apt_install systemd-timesyncd; run systemctl enable --now systemd-timesyncd; }
}

# SVC-005 Core dumps are disabled (limits and systemd-coredump)
svc_005_check() {
  bad=""
  grep -qsE '^[[:space:]]*\*[[:space:]]+hard[[:space:]]+core[[:space:]]+0' /etc/security/limits.conf /etc/security/limits.d/*.conf || bad="$bad no '* hard core 0' limit;"
  s=$(cat /etc/systemd/coredump.conf /etc/systemd/coredump.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*Storage=//p' | tail -n 1)
  [ "$s" = none ] || bad="$bad systemd-coredump Storage is '${s:-default}' (want none);"
  if [ -z "$bad" ]; then pass "core dumps off"; else fail "${bad# }"; fi
}
svc_005_fix() {
  printf '# Managed by DevOpsTools Set-Hardening.\n* hard core 0\n' | put_file /etc/security/limits.d/60-devopstools-coredump.conf 644 root:root
  printf '# Managed by DevOpsTools Set-Hardening.\n[Coredump]\nStorage=none\nProcessSizeMax=0\n' | put_file /etc/systemd/coredump.conf.d/60-devopstools.conf 644 root:root
}

# SVC-006 A rootkit scanner runs daily (chkrootkit)
svc_006_check() {
  installed chkrootkit || { fail "chkrootkit is not installed"; exit 0; }
  if systemctl is-enabled chkrootkit.timer >/dev/null 2>&1; then pass "chkrootkit.timer enabled"; else fail "chkrootkit.timer is not enabled"; fi
}
svc_006_fix() {
  apt_install chkrootkit
  systemctl is-enabled chkrootkit.timer >/dev/null 2>&1 || run systemctl enable --now chkrootkit.timer
}

# SVC-007 Package tools verify files, show changes and restart outdated services
svc_007_check() {
  miss=""; for p in debsums apt-listchanges needrestart apt-show-versions; do installed "$p" || miss="$miss $p"; done
  if [ -z "$miss" ]; then pass "debsums, apt-listchanges, needrestart, apt-show-versions installed"; else fail "not installed:$miss"; fi
}
svc_007_fix() {
  apt_install debsums apt-listchanges needrestart apt-show-versions
}

# SVC-008 Repeated failed SSH logins are banned (fail2ban, journal backend, nftables)
svc_008_check() {
  installed fail2ban || { fail "fail2ban is not installed"; exit 0; }
  bad=""
  [ -f /etc/fail2ban/jail.d/devopstools.conf ] || bad="$bad no sshd jail (/etc/fail2ban/jail.d/devopstools.conf);"
  systemctl is-active fail2ban >/dev/null 2>&1 || bad="$bad fail2ban is not running;"
  if [ -z "$bad" ]; then pass "fail2ban running with the sshd jail"; else fail "${bad# }"; fi
}
svc_008_fix() {
  apt_install fail2ban python3-systemd
  # The journal, not /var/log/auth.log (Debian 12 has no rsyslog by default); bans in nftables (FW-001).
  printf '[DEFAULT]\nbackend = systemd\nbanaction = nftables-multiport\nbanaction_allports = nftables-allports\n\n[sshd]\nenabled = true\n' |
    put_file /etc/fail2ban/jail.d/devopstools.conf 0644 root:root
  systemctl is-enabled fail2ban >/dev/null 2>&1 || run systemctl enable fail2ban
  run systemctl restart fail2ban
}
