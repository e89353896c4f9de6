# shellcheck shell=sh
# DevOpsTools hardening rules: Kernel modules (CIS 1.1.1, 3.2).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Kernel.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# In a container the modprobe.d files are written (they document intent and take effect on a
# host that owns its kernel) but the running kernel, the host's, is never read or changed.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

modules_blocked_check() { # the modules of P_modules cannot be loaded (and, on an own kernel, are not loaded)
  bad=""
  for m in $P_modules; do
    grep -qsE "^[[:space:]]*install[[:space:]]+${m}[[:space:]]+/bin/(false|true)" /etc/modprobe.d/*.conf || bad="$bad $m (loadable)"
    if [ "$DT_VIRT" = none ]; then lsmod 2>/dev/null | grep -q "^$(printf '%s' "$m" | tr - _) " && bad="$bad $m (loaded)"; fi
  done
  if [ -z "$bad" ]; then pass "disabled: $P_modules"; else fail "${bad# }"; fi
}
modules_blocked_fix() { # file
  { echo "# Managed by DevOpsTools Set-Hardening."; for m in $P_modules; do echo "blacklist $m"; echo "install $m /bin/false"; done; } | put_file "$1" 644 root:root
  if [ "$DT_VIRT" = none ]; then
    for m in $P_modules; do lsmod 2>/dev/null | grep -q "^$(printf '%s' "$m" | tr - _) " && run modprobe -r "$m"; done
  fi
  true
}

# MOD-001 Unused filesystem modules cannot be loaded
mod_001_check() {
  modules_blocked_check
}
mod_001_fix() {
  modules_blocked_fix /etc/modprobe.d/devopstools-filesystems.conf
}

# MOD-002 Unused network protocol modules cannot be loaded
mod_002_check() {
  modules_blocked_check
}
mod_002_fix() {
  modules_blocked_fix /etc/modprobe.d/devopstools-protocols.conf
}

# MOD-003 USB and firewire storage drivers cannot be loaded
mod_003_check() {
  modules_blocked_check
}
mod_003_fix() {
  modules_blocked_fix /etc/modprobe.d/devopstools-storage.conf
}
