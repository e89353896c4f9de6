# shellcheck shell=sh
# DevOpsTools hardening rules: Accounts and PAM (CIS 5.3, 5.4, 7.2).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Accounts.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# ACC-001 Passwords expire (PASS_MAX_DAYS)
acc_001_check() {
  v=$(kv_get /etc/login.defs PASS_MAX_DAYS)
  if [ -n "$v" ] && [ "$v" -le "$P_maxDays" ] 2>/dev/null; then pass "PASS_MAX_DAYS $v"; else fail "PASS_MAX_DAYS is '${v:-unset}', expected -le $P_maxDays"; fi
}
acc_001_fix() {
  set_kv /etc/login.defs PASS_MAX_DAYS "$P_maxDays" "	"
}

# ACC-002 Passwords cannot be changed again at once (PASS_MIN_DAYS)
acc_002_check() {
  v=$(kv_get /etc/login.defs PASS_MIN_DAYS)
  if [ -n "$v" ] && [ "$v" -ge "$P_minDays" ] 2>/dev/null; then pass "PASS_MIN_DAYS $v"; else fail "PASS_MIN_DAYS is '${v:-unset}', expected -ge $P_minDays"; fi
}
acc_002_fix() {
  set_kv /etc/login.defs PASS_MIN_DAYS "$P_minDays" "	"
}

# ACC-003 Users are warned before passwords expire (PASS_WARN_AGE)
acc_003_check() {
  v=$(kv_get /etc/login.defs PASS_WARN_AGE)
  if [ -n "$v" ] && [ "$v" -ge "$P_warnAge" ] 2>/dev/null; then pass "PASS_WARN_AGE $v"; else fail "PASS_WARN_AGE is '${v:-unset}', expected -ge $P_warnAge"; fi
}
acc_003_fix() {
  set_kv /etc/login.defs PASS_WARN_AGE "$P_warnAge" "	"
}

# ACC-004 New home files are private (login.defs UMASK)
acc_004_check() {
  v=$(kv_get /etc/login.defs UMASK)
  if [ -n "$v" ] && [ $(( 0$v & 0$P_umask )) -eq $(( 0$P_umask )) ]; then pass "UMASK $v"; else fail "UMASK is '${v:-unset}', expected $P_umask or stricter"; fi
}
acc_004_fix() {
  set_kv /etc/login.defs UMASK "$P_umask" "	"
}

# ACC-005 Password hashes are SHA512 with many rounds (or yescrypt)
acc_005_check() {
  m=$(kv_get /etc/login.defs ENCRYPT_METHOD); r=$(kv_get /etc/login.defs SHA_CRYPT_MIN_ROUNDS)
  case "$m" in
    YESCRYPT) pass "ENCRYPT_METHOD YESCRYPT" ;;
    SHA512) if [ "${r:-0}" -ge "$P_rounds" ]; then pass "ENCRYPT_METHOD SHA512, $r rounds"; else fail "SHA_CRYPT_MIN_ROUNDS is '${r:-unset}', expected >= $P_rounds"; fi ;;
    *) fail "ENCRYPT_METHOD is '${m:-unset}', expected SHA512 or YESCRYPT" ;;
  esac
}
acc_005_fix() {
  m=$(kv_get /etc/login.defs ENCRYPT_METHOD)
  [ "$m" = YESCRYPT ] || set_kv /etc/login.defs ENCRYPT_METHOD SHA512 " "
  [ "$m" = YESCRYPT ] || { set_kv /etc/login.defs SHA_CRYPT_MIN_ROUNDS "$P_rounds" " "; set_kv /etc/login.defs SHA_CRYPT_MAX_ROUNDS "$P_rounds" " "; }
}

# ACC-006 Password quality is enforced (pam_pwquality)
acc_006_check() {
  installed libpam-pwquality || { fail "libpam-pwquality is not installed"; exit 0; }
  grep -qs 'pam_pwquality\.so' /etc/pam.d/common-password || { fail "pam_pwquality is not in /etc/pam.d/common-password"; exit 0; }
  l=$(kv_get /etc/security/pwquality.conf minlen); c=$(kv_get /etc/security/pwquality.conf minclass)
  if [ "${l:-0}" -ge "$P_minLength" ] && [ "${c:-0}" -ge "$P_minClass" ]; then pass "minlen $l, minclass $c"; else fail "minlen '${l:-unset}' (want >= $P_minLength), minclass '${c:-unset}' (want >= $P_minClass)"; fi
}
acc_006_fix() {
  apt_install libpam-pwquality
  set_kv /etc/security/pwquality.conf minlen "$P_minLength" " = "
  set_kv /etc/security/pwquality.conf minclass "$P_minClass" " = "
  grep -qs 'pam_pwquality\.so' /etc/pam.d/common-password || run pam-auth-update --enable pwquality
}

# ACC-007 Accounts lock after failed logins (pam_faillock)
acc_007_check() {
  grep -qs 'pam_faillock\.so' /etc/pam.d/common-auth && grep -qs 'pam_faillock\.so' /etc/pam.d/common-account || { fail "pam_faillock is not in common-auth and common-account"; exit 0; }
  d=$(kv_get /etc/security/faillock.conf deny); u=$(kv_get /etc/security/faillock.conf unlock_time)
  if [ "${d:-99}" -le "$P_deny" ] && [ "${d:-0}" -ge 1 ] && [ "${u:-0}" -ge "$P_unlockTime" ]; then pass "deny $d, unlock_time $u"; else fail "deny '${d:-unset}' (want 1..$P_deny), unlock_time '${u:-unset}' (want >= $P_unlockTime)"; fi
}
acc_007_fix() {
  set_kv /etc/security/faillock.conf deny "$P_deny" " = "
  set_kv /etc/security/faillock.conf unlock_time "$P_unlockTime" " = "
  printf 'Name: Lock accounts after failed logins (DevOpsTools)\nDefault: yes\nPriority: 0\nAuth-Type: Primary\nAuth:\n\t[default=die] pam_faillock.so authfail\n' | put_file /usr/share/pam-configs/devopstools-faillock 644 root:root
  printf 'Name: Count failed logins, reset on success (DevOpsTools)\nDefault: yes\nPriority: 1024\nAuth-Type: Primary\nAuth:\n\trequisite pam_faillock.so preauth\nAccount-Type: Primary\nAccount:\n\trequired pam_faillock.so\n' | put_file /usr/share/pam-configs/devopstools-faillock-notify 644 root:root
  grep -qs 'pam_faillock\.so' /etc/pam.d/common-auth || run pam-auth-update --enable devopstools-faillock --enable devopstools-faillock-notify
}

# ACC-008 Recent passwords cannot be reused (pam_pwhistory)
acc_008_check() {
  r=$(sed -n 's/.*pam_pwhistory\.so.*remember=\([0-9][0-9]*\).*/\1/p' /etc/pam.d/common-password 2>/dev/null | head -n 1)
  if [ "${r:-0}" -ge "$P_remember" ]; then pass "pam_pwhistory remember=$r"; else fail "pam_pwhistory remember is '${r:-unset}', expected >= $P_remember"; fi
}
acc_008_fix() {
  printf 'Name: Password history (DevOpsTools)\nDefault: yes\nPriority: 1024\nPassword-Type: Primary\nPassword:\n\trequisite pam_pwhistory.so remember=%s enforce_for_root try_first_pass use_authtok\n' "$P_remember" | put_file /usr/share/pam-configs/devopstools-pwhistory 644 root:root
  run pam-auth-update --enable devopstools-pwhistory
}

# ACC-009 No account has an empty password
acc_009_check() {
  u=$(awk -F: '$2 == "" { print $1 }' /etc/shadow | tr '\n' ' ')
  if [ -z "$u" ]; then pass "no empty password"; else fail "empty password: $u"; fi
}
acc_009_fix() {
  for u in $(awk -F: '$2 == "" { print $1 }' /etc/shadow); do run passwd -l "$u"; done
}

# ACC-010 Only root has UID 0
acc_010_check() {
  u=$(awk -F: '$3 == 0 && $1 != "root" { print $1 }' /etc/passwd | tr '\n' ' ')
  if [ -z "$u" ]; then pass "only root"; else fail "UID 0 besides root (remove by hand): $u"; fi
}

# ACC-011 System accounts have no login shell
acc_011_check() {
  min=$(kv_get /etc/login.defs UID_MIN); min=${min:-1000}
  u=$(DT_MIN=$min awk -F: '$3 < ENVIRON["DT_MIN"] + 0 && $1 != "root" && $1 != "sync" && $1 != "shutdown" && $1 != "halt" && $7 !~ /(nologin|false)$/ { print $1 }' /etc/passwd | tr '\n' ' ')
  if [ -z "$u" ]; then pass "no system account with a login shell"; else fail "login shell on system accounts: $u"; fi
}
acc_011_fix() {
  min=$(kv_get /etc/login.defs UID_MIN); min=${min:-1000}
  for u in $(DT_MIN=$min awk -F: '$3 < ENVIRON["DT_MIN"] + 0 && $1 != "root" && $1 != "sync" && $1 != "shutdown" && $1 != "halt" && $7 !~ /(nologin|false)$/ { print $1 }' /etc/passwd); do
    t=$(tgt /etc/passwd); DT_U=$u awk -F: 'BEGIN { OFS = ":" } $1 == ENVIRON["DT_U"] { $7 = "/usr/sbin/nologin" } { print }' "$t" > "$DT_TMP/passwd" && cat "$DT_TMP/passwd" > "$t"
  done
}

# ACC-012 root's PATH is sane
acc_012_check() {
  p=$(env -i HOME=/root TERM=dumb sh -lc 'printf %s "$PATH"' 2>/dev/null)
  bad=""
  case ":$p:" in *::*) bad="$bad empty entry;" ;; esac
  case ":$p:" in *:.:*) bad="$bad '.' in PATH;" ;; esac
  IFS=:; for d in $p; do [ -z "$d" ] && continue; [ -d "$d" ] || continue
    [ "$(stat -Lc %U "$d")" = root ] || bad="$bad $d not owned by root;"
    [ $(( 0$(stat -Lc %a "$d") & 022 )) -eq 0 ] || bad="$bad $d group/world-writable;"
  done; unset IFS
  if [ -z "$bad" ]; then pass "PATH $p"; else fail "${bad# }"; fi
}
acc_012_fix() {
  p=$(env -i HOME=/root TERM=dumb sh -lc 'printf %s "$PATH"' 2>/dev/null)
  IFS=:; for d in $p; do [ -d "$d" ] || continue; unset IFS
    [ $(( 0$(stat -Lc %a "$d") & 022 )) -eq 0 ] || run chmod go-w "$d"; IFS=:
  done; unset IFS
}

# ACC-013 The default shell umask is 027
acc_013_check() {
  if grep -qsE '^[[:space:]]*umask[[:space:]]+0?27[[:space:]]*$' /etc/profile.d/*.sh /etc/profile /etc/bash.bashrc; then pass "umask 027 set for login shells"; else fail "no 'umask 027' in /etc/profile, /etc/profile.d or /etc/bash.bashrc"; fi
}
acc_013_fix() {
  printf '# Managed by DevOpsTools Set-Hardening.\numask 027\n' | put_file /etc/profile.d/devopstools-umask.sh 644 root:root
}

# ACC-014 Idle shells time out (readonly TMOUT)
acc_014_check() {
  f=/etc/profile.d/devopstools-tmout.sh
  v=$(sed -n 's/^[[:space:]]*TMOUT=\([0-9][0-9]*\)[[:space:]]*$/\1/p' "$f" 2>/dev/null | tail -n 1)
  if [ -n "$v" ] && [ "$v" -ge 1 ] && [ "$v" -le "$P_idleTimeout" ] && grep -qs '^[[:space:]]*readonly[[:space:]]\{1,\}TMOUT' "$f"; then pass "TMOUT=$v readonly in $f"
  else fail "no readonly TMOUT of 1..$P_idleTimeout s in $f (found '${v:-none}')"; fi
}
acc_014_fix() {
  printf '# Managed by DevOpsTools Set-Hardening: idle interactive shells exit (CIS 5.4.3.2).\nTMOUT=%s\nreadonly TMOUT\nexport TMOUT\n' "$P_idleTimeout" \
    | put_file /etc/profile.d/devopstools-tmout.sh 644 root:root
}

# ACC-015 Each login gets a private temporary directory (pam_tmpdir)
acc_015_check() {
  installed libpam-tmpdir || { fail "libpam-tmpdir is not installed"; exit 0; }
  if grep -qsE '^[[:space:]]*session[[:space:]].*pam_tmpdir\.so' /etc/pam.d/common-session; then pass "pam_tmpdir in common-session"; else fail "pam_tmpdir is not in /etc/pam.d/common-session"; fi
}
acc_015_fix() {
  apt_install libpam-tmpdir
  grep -qsE '^[[:space:]]*session[[:space:]].*pam_tmpdir\.so' /etc/pam.d/common-session || run env DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable tmpdir
}
