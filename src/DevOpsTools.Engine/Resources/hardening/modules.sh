# shellcheck shell=sh
# DevOpsTools hardening rules: Kernel modules (CIS 1.1.1, 3.2).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Kernel.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# MOD-001 Unused filesystem modules cannot be loaded
mod_001_check() {
  bad=""
  for m in $P_modules; do
    grep -qsE "^[[:space:]]*install[[:space:]]+${m}[[:space:]]+/bin/(false|true)" /etc/modprobe.d/*.conf || bad="$bad $m (loadable)"
    lsmod 2>/dev/null | grep -q "^$m " && bad="$bad $m (loaded)"
  done
  if [ -z "$bad" ]; then pass "disabled: $P_modules"; else fail "${bad# }"; fi
}
mod_001_fix() {
  { echo "# Managed by DevOpsTools Set-Hardening."; for m in $P_modules; do echo "blacklist $m"; echo "install $m /bin/false"; done; } | put_file /etc/modprobe.d/devopstools-filesystems.conf 644 root:root
  for m in $P_modules; do lsmod 2>/dev/null | grep -q "^$m " && run modprobe -r "$m"; done; true
}

# MOD-002 Unused network protocol modules cannot be loaded
mod_002_check() {
  bad=""
  for m in $P_modules; do
    grep -qsE "^[[:space:]]*install[[:space:]]+${m}[[:space:]]+/bin/(false|true)" /etc/modprobe.d/*.conf || bad="$bad $m (loadable)"
    lsmod 2>/dev/null | grep -q "^$m " && bad="$bad $m (loaded)"
  done
  if [ -z "$bad" ]; then pass "disabled: $P_modules"; else fail "${bad# }"; fi
}
mod_002_fix() {
  { echo "# Managed by DevOpsTools Set-Hardening."; for m in $P_modules; do echo "blacklist $m"; echo "install $m /bin/false"; done; } | put_file /etc/modprobe.d/devopstools-protocols.conf 644 root:root
  for m in $P_modules; do lsmod 2>/dev/null | grep -q "^$m " && run modprobe -r "$m"; done; true
}
