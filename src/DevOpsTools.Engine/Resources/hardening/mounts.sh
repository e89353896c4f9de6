# shellcheck shell=sh
# DevOpsTools hardening rules: Mounts (CIS 1.1.2).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Services.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# MNT-001 /dev/shm is mounted nodev,nosuid,noexec
mnt_001_check() {
  o=$(findmnt -kn -o OPTIONS /dev/shm 2>/dev/null)
  [ -n "$o" ] || { fail "/dev/shm is not a separate mount"; exit 0; }
  bad=""; for x in nodev nosuid noexec; do case ",$o," in *",$x,"*) ;; *) bad="$bad $x" ;; esac; done
  if [ -z "$bad" ]; then pass "/dev/shm $o"; else fail "/dev/shm lacks:$bad"; fi
}
mnt_001_fix() {
  t=$(tgt /etc/fstab)
  awk '$2 != "/dev/shm"' "$t" > "$DT_TMP/fstab"
  echo "tmpfs /dev/shm tmpfs defaults,rw,nosuid,nodev,noexec,relatime 0 0" >> "$DT_TMP/fstab"
  cat "$DT_TMP/fstab" > "$t"
  if findmnt -kn /dev/shm >/dev/null; then run mount -o remount,nodev,nosuid,noexec /dev/shm; else run mount /dev/shm; fi
}

# MNT-002 /tmp is mounted nodev,nosuid,noexec
mnt_002_check() {
  o=$(findmnt -kn -o OPTIONS /tmp 2>/dev/null)
  [ -n "$o" ] || { fail "/tmp is not a separate mount"; exit 0; }
  bad=""; for x in nodev nosuid noexec; do case ",$o," in *",$x,"*) ;; *) bad="$bad $x" ;; esac; done
  if [ -z "$bad" ]; then pass "/tmp $o"; else fail "/tmp lacks:$bad"; fi
}
mnt_002_fix() {
  t=$(tgt /etc/fstab)
  awk '$2 != "/tmp"' "$t" > "$DT_TMP/fstab"
  echo "tmpfs /tmp tmpfs defaults,rw,nosuid,nodev,noexec,relatime 0 0" >> "$DT_TMP/fstab"
  cat "$DT_TMP/fstab" > "$t"
  if findmnt -kn /tmp >/dev/null; then run mount -o remount,nodev,nosuid,noexec /tmp; else run mount /tmp; fi
}
