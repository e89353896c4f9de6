#!/bin/sh
# DevOpsTools hardening script (generated; one batch for the whole profile).
# shellcheck shell=sh
# The POSIX sh helpers every check and fix script starts with (library.sh, embedded in the
# engine; ScriptBuilder appends the category files and one call per rule). Rule functions use
# only these (plus ordinary tools), so plan mode (-WhatIf) can redirect every write to a
# staging copy. Output protocol, one record per line, fields separated by one space, free text
# base64:
#   @@FACT name b64(value)
#   @@RULE id PASS|FAIL|NA|ERROR b64(detail) | =detail (printable ASCII only)
#   @@CHANGE id b64(text)
#   @@FILE id b64(path) mode-before mode-after b64(before) b64(after)   ("-" = absent)
#   @@FIXFAIL id exit-code b64(stderr tail)
#   @@RELOAD group | @@ROLLBACK group b64(reason) | @@ARMED unit | @@PHASE name | @@END
export LC_ALL=C
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
DT_TMP=$(mktemp -d /run/devopstools-hardening.XXXXXX 2>/dev/null || mktemp -d /tmp/devopstools-hardening.XXXXXX) || { echo "@@FATAL mktemp"; exit 90; }
trap 'rm -rf "$DT_TMP"' EXIT
DT_PLAN=${DT_PLAN:-0}
DT_STAGE="$DT_TMP/stage"
DT_SECRET="/etc/shadow /etc/shadow- /etc/gshadow /etc/gshadow- /etc/security/opasswd"
# A re-run is ~70 checks, so every fork counts (about 3 ms each here): GNU base64 -w0 spares a tr.
if [ "$(printf x | base64 -w0 2>/dev/null)" = eA== ]; then b64() { base64 -w0; }; else b64() { base64 | tr -d '\n'; }; fi
# emit also notes, in a file (a check runs in a subshell), that this rule printed its result.
# Plain printable ASCII goes as "=text" (no base64 process, the common case); anything else,
# newlines included, is base64.
emit() {
  case $2 in
    *[!\ -~]*) printf '\n@@RULE %s %s %s\n' "$DT_RULE" "$1" "$(printf '%s' "$2" | b64)" ;;
    *) printf '\n@@RULE %s %s =%s\n' "$DT_RULE" "$1" "$2" ;;
  esac
  echo "$DT_RULE" >> "$DT_TMP/r"
}
pass() { emit PASS "$*"; }
fail() { emit FAIL "$*"; }
na() { emit NA "$*"; }
fact() { printf '\n@@FACT %s %s\n' "$1" "$(printf '%s' "$2" | b64)"; }
note() { printf '\n@@CHANGE %s %s\n' "$DT_RULE" "$(printf '%s' "$*" | b64)"; }
has() { command -v "$1" >/dev/null 2>&1; }
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
lc() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
mark() { : > "$DT_TMP/dirty.$1"; }

# ---- facts -----------------------------------------------------------------
dt_facts() {
  DT_VIRT=$(systemd-detect-virt --container 2>/dev/null) || true
  if [ -z "$DT_VIRT" ] || [ "$DT_VIRT" = none ]; then
    if [ -f /run/.containerenv ]; then DT_VIRT=podman; elif [ -f /.dockerenv ]; then DT_VIRT=docker; else DT_VIRT=none; fi
  fi
  DT_SSH_VER=$(ssh -V 2>&1 | sed -n 's/^OpenSSH_\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
  [ -n "$DT_SSH_VER" ] || DT_SSH_VER=$(dpkg-query -W -f='${Version}' openssh-server 2>/dev/null | sed -n 's/^\([0-9]*:\)\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\).*/\2/p')
  [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
  DT_SSHD_T=$(sshd -T 2>"$DT_TMP/sshd-T.err") || DT_SSHD_T=""
  DT_SSHD_ERR=$(tail -c 300 "$DT_TMP/sshd-T.err" 2>/dev/null)
  if has nft && nft list tables >/dev/null 2>&1; then DT_NFT=yes; else DT_NFT=no; fi
  if [ -w /proc/sys/net/ipv4/conf/all/rp_filter ]; then DT_NETSYSCTL=rw; else DT_NETSYSCTL=ro; fi
  DT_SSH_PORTS=$(printf '%s\n' "$DT_SSHD_T" | awk 'tolower($1)=="port"{print $2}' | sort -un | tr '\n' ' ')
  DT_PID1=$(ps -o comm= -p 1 2>/dev/null || cat /proc/1/comm 2>/dev/null)
}
dt_emit_facts() {
  fact virt "$DT_VIRT"; fact openssh "$DT_SSH_VER"; fact nft "$DT_NFT"; fact netsysctl "$DT_NETSYSCTL"
  fact sshports "$DT_SSH_PORTS"; fact pid1 "$DT_PID1"
  fact os "$(. /etc/os-release 2>/dev/null; printf '%s' "$PRETTY_NAME")"
  [ -n "$DT_SSHD_T" ] || fact sshderror "$DT_SSHD_ERR"
}

# ---- wrappers ----------------------------------------------------------------
dt_check_end() { # rc: an ERROR when the check printed no result (builtins only: no fork per rule)
  [ -s "$DT_TMP/r" ] || emit ERROR "the check printed no result (exit $1): $(tail -c 400 "$DT_TMP/e")"
}

# ---- read helpers ------------------------------------------------------------
sshd_get() { printf '%s\n' "$DT_SSHD_T" | DT_K=$(lc "$1") awk 'tolower($1)==ENVIRON["DT_K"] { $1=""; sub(/^ +/, ""); print; exit }'; }
ssh_expect() { # key expected
  [ -n "$DT_SSHD_T" ] || { fail "sshd -T failed: $DT_SSHD_ERR"; return 0; }
  v=$(sshd_get "$1")
  if [ "$(lc "$v")" = "$(lc "$2")" ]; then pass "$1 $v"; else fail "$1 is '${v:-unset}', expected '$2'"; fi
}
ssh_max() { # key max [min]: numeric effective value within bounds
  [ -n "$DT_SSHD_T" ] || { fail "sshd -T failed: $DT_SSHD_ERR"; return 0; }
  v=$(sshd_get "$1")
  if [ -n "$v" ] && [ "$v" -le "$2" ] 2>/dev/null && [ "$v" -ge "${3:-0}" ]; then pass "$1 $v"; else fail "$1 is '${v:-unset}', expected ${3:-0}..$2"; fi
}
kv_get() { # file key: value of the last "key value" or "key = value" line, comments skipped
  [ -f "$1" ] || return 0
  DT_K=$2 awk 'BEGIN { k = ENVIRON["DT_K"] } { sub(/#.*/, ""); l=$0; sub(/^[ \t]+/, "", l) } index(l, k)==1 && substr(l, length(k)+1, 1) ~ /[ \t=]/ { v=substr(l, length(k)+1); sub(/^[ \t]*=?[ \t]*/, "", v); sub(/[ \t]+$/, "", v); last=v } END { if (last!="") print last }' "$1"
}
sysctl_expect() { # key=value...: live values, and persisted when the host owns /proc/sys
  bad=""
  for kv in "$@"; do
    k=${kv%%=*}; want=${kv#*=}
    have=$(sysctl -n "$k" 2>/dev/null | tr -s ' \t' ' ')
    [ "$have" = "$want" ] || bad="$bad $k=${have:-missing} (want $want);"
    if [ "$DT_NETSYSCTL" = rw ] || [ "$DT_VIRT" = none ]; then
      p=$(kv_get /etc/sysctl.d/99-zz-devopstools.conf "$k")
      [ "$p" = "$want" ] || bad="$bad $k not persisted in /etc/sysctl.d/99-zz-devopstools.conf;"
    fi
  done
  if [ -z "$bad" ]; then pass "$*"; else fail "${bad# }"; fi
}
mode_of() { stat -c '%a' "$1" 2>/dev/null; }
owner_of() { stat -c '%U:%G' "$1" 2>/dev/null; }
perm_ok() { # path maxmode owner:group -> 0 when no bit beyond maxmode and owner matches
  m=$(mode_of "$1"); [ -n "$m" ] || return 0
  [ $(( 0$m & ~0$2 & 07777 )) -eq 0 ] && { [ -z "$3" ] || [ "$(owner_of "$1")" = "$3" ]; }
}
perm_expect() { # path maxmode owner:group ...(repeated triples)
  bad=""
  while [ $# -ge 3 ]; do
    if [ -e "$1" ] && ! perm_ok "$1" "$2" "$3"; then bad="$bad $1 is $(mode_of "$1") $(owner_of "$1") (want <= $2 $3);"; fi
    shift 3
  done
  if [ -z "$bad" ]; then pass "permissions ok"; else fail "${bad# }"; fi
}
pkgs_absent() { # packages that must not be installed (one dpkg-query for all)
  bad=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "$@" 2>/dev/null | awk '$1 == "installed" { printf " %s", $2 }')
  if [ -z "$bad" ]; then pass "none of: $*"; else fail "installed:$bad"; fi
}
dt_files() { # one walk of the local filesystems per script: "uid gid mode type path"
  [ -f "$DT_TMP/files.lst" ] || find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \) -prune -o -printf '%U %G %m %y %p\n' 2>/dev/null > "$DT_TMP/files.lst"
  cat "$DT_TMP/files.lst"
}

# ---- write helpers (plan mode writes to a staging copy, runs nothing) -----------
tgt() { # real path -> path to write
  if [ "$DT_PLAN" = 1 ]; then
    s="$DT_STAGE$1"
    if [ ! -e "$s" ] && [ ! -e "$s.absent" ]; then
      mkdir -p "${s%/*}"
      if [ -e "$1" ]; then cp -p "$1" "$s"; else : > "$s.absent"; fi
    fi
    printf '%s' "$s"
  else
    printf '%s' "$1"
  fi
}
exists() { t=$(tgt "$1"); [ -e "$t" ]; }
run() { # side-effecting command
  if [ "$DT_PLAN" = 1 ]; then note "would run: $*"; return 0; fi
  note "ran: $*"
  "$@" >>"$DT_TMP/run.log" 2>&1 || { rc=$?; tail -n 5 "$DT_TMP/run.log" >&2; return $rc; }
}
put_file() { # path mode owner:group <content on stdin>; writes only when different
  t=$(tgt "$1"); mkdir -p "${t%/*}"; cat > "$DT_TMP/new"
  if [ ! -f "$t" ] || ! cmp -s "$DT_TMP/new" "$t"; then cat "$DT_TMP/new" > "$t"; rm -f "$t.absent"; fi
  chmod "$2" "$t"; chown "$3" "$t"
}
set_kv() { # file key value [separator]: replace every "key ..." line or append
  t=$(tgt "$1"); sep=${4:- }; [ -f "$t" ] || { mkdir -p "${t%/*}"; : > "$t"; rm -f "$t.absent"; }
  DT_K=$2 DT_LINE="$2$sep$3" awk 'BEGIN { done=0; k=ENVIRON["DT_K"]; line=ENVIRON["DT_LINE"] } { s=$0; sub(/^[ \t]+/, "", s) } (s ~ "^"k"([ \t=]|$)") { if (!done) { print line; done=1 }; next } { print } END { if (!done) print line }' "$t" > "$DT_TMP/kv" && cat "$DT_TMP/kv" > "$t"
}
fix_perm() { # path maxmode owner:group ...(triples); existing paths only
  while [ $# -ge 3 ]; do
    if [ -e "$1" ] && ! perm_ok "$1" "$2" "$3"; then
      nm=$(printf '%o' $(( 0$(mode_of "$1") & 0$2 )))
      if [ -d "$1" ]; then run chmod "$nm" "$1"; [ -z "$3" ] || run chown "$3" "$1"
      else t=$(tgt "$1"); chmod "$nm" "$t"; [ -z "$3" ] || chown "$3" "$t"; fi
    fi
    shift 3
  done
}
DT_SSHD_DROPIN=/etc/ssh/sshd_config.d/00-devopstools.conf
ssh_set() { # Key Value: in the first-match drop-in, with the Include ensured in sshd_config
  m=$(tgt /etc/ssh/sshd_config)
  if [ -f "$m" ] && ! grep -qiE '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/' "$m"; then
    { echo 'Include /etc/ssh/sshd_config.d/*.conf'; cat "$m"; } > "$DT_TMP/m" && cat "$DT_TMP/m" > "$m"
  fi
  t=$(tgt "$DT_SSHD_DROPIN")
  if [ ! -f "$t" ]; then
    mkdir -p "${t%/*}"; rm -f "$t.absent"
    printf '# Managed by DevOpsTools Set-Hardening. Read first (Include at the top of sshd_config): first match wins.\n' > "$t"
  fi
  chmod 600 "$t"
  set_kv "$DT_SSHD_DROPIN" "$1" "$2"
  mark sshd
}
sysctl_set() { # key=value...: persist, then set live when /proc/sys is writable
  for kv in "$@"; do
    k=${kv%%=*}; v=${kv#*=}
    if [ "$DT_NETSYSCTL" = ro ] && [ "$DT_VIRT" != none ]; then
      [ "$(sysctl -n "$k" 2>/dev/null)" = "$v" ] || { echo "/proc/sys is read-only in this container: the container runtime must set $k=$v (podman run --sysctl $k=$v)" >&2; return 1; }
      continue
    fi
    t=$(tgt /etc/sysctl.d/99-zz-devopstools.conf)
    [ -f "$t" ] || { mkdir -p "${t%/*}"; rm -f "$t.absent"; printf '# Managed by DevOpsTools Set-Hardening.\n' > "$t"; }
    set_kv /etc/sysctl.d/99-zz-devopstools.conf "$k" "$v" " = "
    [ "$(sysctl -n "$k" 2>/dev/null)" = "$v" ] || run sysctl -q -w "$k=$v"
  done
}
DT_APT_LISTS=${DT_APT_LISTS:-/var/lib/apt/lists}
DT_APT_FRESH_MIN=${DT_APT_FRESH_MIN:-240}
apt_candidates() { # packages -> how many of them have an install candidate (one apt-cache for all)
  apt-cache policy "$@" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { n++ } END { print n + 0 }'
}
apt_lists_fresh() { # packages: the package lists are younger than DT_APT_FRESH_MIN minutes and know every package
  [ -n "$(find "$DT_APT_LISTS" -maxdepth 1 -type f -name '*_Packages*' -mmin "-$DT_APT_FRESH_MIN" 2>/dev/null | head -n 1)" ] || return 1
  [ "$(apt_candidates "$@")" -eq "$#" ]
}
apt_install() { # packages: installs the missing ones (one apt-get for the lot)
  miss=""; for p in "$@"; do installed "$p" || miss="$miss $p"; done
  [ -n "$miss" ] || return 0
  # shellcheck disable=SC2086
  if [ ! -f "$DT_TMP/apt-updated" ] && ! apt_lists_fresh $miss; then run apt-get update -qq; fi
  : > "$DT_TMP/apt-updated"
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold $miss
}
apt_purge() {
  inst=""; for p in "$@"; do installed "$p" && inst="$inst $p"; done
  [ -z "$inst" ] || run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $inst
}

dt_restore() { # file...: back to the copy taken before this run (absent then: removed)
  for f in "$@"; do
    if [ -e "$DT_BK/files$f" ]; then cp -p "$DT_BK/files$f" "$f"; else rm -f "$f"; fi
  done
}

# ---- before/after capture of managed files ------------------------------------
dt_snap() { # phase file...
  ph=$1; shift; i=0
  for f in "$@"; do
    i=$((i+1)); t=$(tgt "$f")
    if [ -e "$t" ] && [ ! -e "$t.absent" ]; then stat -c '%a:%U:%G' "$t" > "$DT_TMP/snap.$i.$ph.m"; cp "$t" "$DT_TMP/snap.$i.$ph"
    else echo - > "$DT_TMP/snap.$i.$ph.m"; rm -f "$DT_TMP/snap.$i.$ph"; fi
  done
}
dt_diff() { # file...: one @@FILE record per file whose content or mode changed
  i=0
  for f in "$@"; do
    i=$((i+1)); a="$DT_TMP/snap.$i.before"; b="$DT_TMP/snap.$i.after"
    ma=$(cat "$a.m"); mb=$(cat "$b.m")
    if [ "$ma" = "$mb" ] && { { [ ! -e "$a" ] && [ ! -e "$b" ]; } || cmp -s "$a" "$b"; }; then continue; fi
    if [ -e "$a" ]; then ca=$(b64 < "$a"); [ -n "$ca" ] || ca='='; else ca=-; fi
    if [ -e "$b" ]; then cb=$(b64 < "$b"); [ -n "$cb" ] || cb='='; else cb=-; fi
    case " $DT_SECRET " in *" $f "*) [ "$ca" = - ] || ca='*'; [ "$cb" = - ] || cb='*' ;; esac
    printf '\n@@FILE %s %s %s %s %s %s\n' "$DT_RULE" "$(printf '%s' "$f" | b64)" "$ma" "$mb" "$ca" "$cb"
  done
}
dt_fix_end() { # rc
  cat "$DT_TMP/o"
  [ "$1" -eq 0 ] || printf '\n@@FIXFAIL %s %s %s\n' "$DT_RULE" "$1" "$(tail -c 600 "$DT_TMP/e" | b64)"
}
