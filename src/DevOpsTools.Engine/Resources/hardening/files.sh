# shellcheck shell=sh
# DevOpsTools hardening rules: File permissions (CIS 7.1, 2.4).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Files.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# FIL-001 /etc/passwd is 0644 root:root
fil_001_check() {
  perm_expect /etc/passwd 644 root:root /etc/passwd- 644 root:root
}
fil_001_fix() {
  fix_perm /etc/passwd 644 root:root /etc/passwd- 644 root:root
}

# FIL-002 /etc/shadow is 0640 root:shadow
fil_002_check() {
  perm_expect /etc/shadow 640 root:shadow /etc/shadow- 640 root:shadow
}
fil_002_fix() {
  fix_perm /etc/shadow 640 root:shadow /etc/shadow- 640 root:shadow
}

# FIL-003 /etc/group is 0644 root:root
fil_003_check() {
  perm_expect /etc/group 644 root:root /etc/group- 644 root:root
}
fil_003_fix() {
  fix_perm /etc/group 644 root:root /etc/group- 644 root:root
}

# FIL-004 /etc/gshadow is 0640 root:shadow
fil_004_check() {
  perm_expect /etc/gshadow 640 root:shadow /etc/gshadow- 640 root:shadow
}
fil_004_fix() {
  fix_perm /etc/gshadow 640 root:shadow /etc/gshadow- 640 root:shadow
}

# FIL-005 cron files and directories are root-only
fil_005_check() {
  installed cron || installed cronie || { na "cron is not installed"; exit 0; }
  perm_expect /etc/crontab 600 root:root /etc/cron.hourly 700 root:root /etc/cron.daily 700 root:root /etc/cron.weekly 700 root:root /etc/cron.monthly 700 root:root /etc/cron.d 700 root:root
}
fil_005_fix() {
  fix_perm /etc/crontab 600 root:root /etc/cron.hourly 700 root:root /etc/cron.daily 700 root:root /etc/cron.weekly 700 root:root /etc/cron.monthly 700 root:root /etc/cron.d 700 root:root
}

# FIL-006 No world-writable files, nor world-writable directories without the sticky bit
fil_006_check() {
  f=$(dt_files | awk '{ m = $3; w = substr(m, length(m), 1); s = (length(m) == 4) ? substr(m, 1, 1) : "0" } w ~ /[2367]/ && ($4 == "f" || ($4 == "d" && s !~ /[1357]/)) { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; if (++n >= 20) exit }' | tr '\n' ' ')
  if [ -z "$f" ]; then pass "none found"; else fail "fix by hand: $f"; fi
}

# FIL-007 No files without a known owner or group
fil_007_check() {
  f=$(dt_files | awk 'BEGIN { while (("getent passwd" | getline l) > 0) { split(l, a, ":"); u[a[3]] = 1 } while (("getent group" | getline l) > 0) { split(l, a, ":"); g[a[3]] = 1 } } !($1 in u) || !($2 in g) { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; if (++n >= 20) exit }' | tr '\n' ' ')
  if [ -z "$f" ]; then pass "none found"; else fail "fix by hand: $f"; fi
}

# FIL-008 SUID/SGID bits are removed from rarely needed programs
fil_008_check() {
  bad=""; for f in $P_paths; do [ -f "$f" ] && { [ -u "$f" ] || [ -g "$f" ]; } && bad="$bad $f"; done
  if [ -z "$bad" ]; then pass "no listed program is SUID/SGID"; else fail "SUID/SGID:$bad"; fi
}
fil_008_fix() {
  for f in $P_paths; do [ -f "$f" ] && { [ -u "$f" ] || [ -g "$f" ]; } && run chmod ug-s "$f"; done; true
}

# FIL-009 File integrity is checked daily (AIDE installed, initialised, scheduled)
fil_009_check() {
  installed aide || { fail "aide is not installed"; exit 0; }
  bad=""
  [ -s /var/lib/aide/aide.db ] || bad="$bad no AIDE database (/var/lib/aide/aide.db);"
  grep -qx 'Checksums = sha512' /etc/aide/aide.conf || bad="$bad AIDE checksums are not sha512 (/etc/aide/aide.conf);"
  [ -f /etc/systemd/system/dailyaidecheck.service.d/devopstools.conf ] || bad="$bad dailyaidecheck.service runs as _aide without the capabilities a container lacks;"
  systemctl is-enabled dailyaidecheck.timer >/dev/null 2>&1 || bad="$bad dailyaidecheck.timer is not enabled;"
  if [ -z "$bad" ]; then pass "AIDE database present (sha512), daily check scheduled and runnable"; else fail "${bad# }"; fi
}
fil_009_fix() {
  apt_install aide aide-common
  # One explicit strong content hash (Debian's default is H, every hash AIDE knows).
  if ! grep -qx 'Checksums = sha512' /etc/aide/aide.conf; then
    set_kv /etc/aide/aide.conf Checksums sha512 ' = '
    run rm -f /var/lib/aide/aide.db
  fi
  # aide as root, not aideinit: aideinit and Debian's dailyaidecheck.service drop to _aide with
  # cap_dac_read_search, which a Podman server is not granted: the daily check then cannot read
  # the files or write its database (exit 18). The drop-in runs the daily check as root.
  printf '[Service]\nUser=root\nGroup=root\nAmbientCapabilities=\n' | put_file /etc/systemd/system/dailyaidecheck.service.d/devopstools.conf 0644 root:root
  run systemctl daemon-reload
  if [ ! -s /var/lib/aide/aide.db ]; then
    run aide --config=/etc/aide/aide.conf --init || [ -s /var/lib/aide/aide.db.new ] || exit 1
    run cp -p /var/lib/aide/aide.db.new /var/lib/aide/aide.db
  fi
  systemctl is-enabled dailyaidecheck.timer >/dev/null 2>&1 || run systemctl enable --now dailyaidecheck.timer
}

# FIL-010 Compilers and assemblers can be run by root only
# dpkg-statoverride, not chmod alone: dpkg applies the mode when a package installs or upgrades
# the file later (binutils arrives with needrestart, SVC-007, in the same run).
fil_010_check() {
  ov=$(dpkg-statoverride --list 2>/dev/null)
  bad=""; for f in $P_paths; do
    printf '%s\n' "$ov" | DT_F=$f awk '$4==ENVIRON["DT_F"] && $1=="root" && $2=="root" && ($3=="750" || $3=="0750") { ok=1 } END { exit !ok }' || bad="$bad $f(no override)"
    [ -f "$f" ] && [ "$(( 0$(stat -L -c %a "$f") & 05 ))" -ne 0 ] && bad="$bad $f(executable by others)"
  done
  if [ -z "$bad" ]; then pass "compilers and assemblers are 0750 root:root (dpkg-statoverride)"; else fail "not restricted:$bad"; fi
}
fil_010_fix() {
  ov=$(dpkg-statoverride --list 2>/dev/null)
  for f in $P_paths; do
    if ! printf '%s\n' "$ov" | DT_F=$f awk '$4==ENVIRON["DT_F"] && $1=="root" && $2=="root" && ($3=="750" || $3=="0750") { ok=1 } END { exit !ok }'; then
      if printf '%s\n' "$ov" | DT_F=$f awk '$4==ENVIRON["DT_F"] { ok=1 } END { exit !ok }'; then run dpkg-statoverride --remove "$f"; fi
      if [ -f "$f" ]; then run dpkg-statoverride --update --add root root 0750 "$f"; else run dpkg-statoverride --add root root 0750 "$f"; fi
    fi
    if [ -f "$f" ] && [ "$(( 0$(stat -L -c %a "$f") & 05 ))" -ne 0 ]; then run chmod 0750 "$f"; fi
  done; true
}
