# shellcheck shell=sh
# DevOpsTools hardening rules: Firewall (CIS 4.3).
# One function per check (<id>_check, read-only: reports through pass/fail/na) and per fix
# (<id>_fix, idempotent: writes only through tgt/put_file/set_kv/run so -WhatIf changes nothing).
# The metadata (title, references, parameters) is in HardeningCatalog.Services.cs; a rule's
# parameters arrive as P_<name> variables, set by ScriptBuilder before each call.
# shellcheck disable=SC2154 # DT_* facts come from library.sh, P_* parameters from ScriptBuilder.

# Helpers: the ports to open (sshd's own, P_allowedPorts and those of P_allowedSources), the
# ports open only to some sources (P_allowedSources: port=address[,address...] items, validated
# by HardeningParameterValidator as IPv4/IPv6 addresses or CIDRs) and the rule set they make.
fw_ports() { for p in $DT_SSH_PORTS $P_allowedPorts $(fw_restricted); do echo "$p"; done | sort -un; }
fw_restricted() { for i in $P_allowedSources; do echo "${i%%=*}"; done | sort -un; }
fw_is_restricted() { fw_restricted | grep -qx "$1"; }
# The sources of port $1 of family $2 (4 or 6), comma-separated.
fw_sources() {
  for i in $P_allowedSources; do
    [ "${i%%=*}" = "$1" ] || continue
    printf '%s\n' "${i#*=}" | tr ',' '\n'
  done | sort -u | while read -r a; do
    case "$a" in *:*) [ "$2" = 6 ] && echo "$a" ;; *) [ "$2" = 4 ] && echo "$a" ;; esac
  done | paste -sd, - | sed 's/,/, /g'
}
fw_render() {
  echo '# Managed by DevOpsTools Set-Hardening: inbound default deny; loopback, replies, ICMP, SSH and declared ports allowed.'
  echo 'table inet devopstools {}'
  echo 'delete table inet devopstools'
  echo 'table inet devopstools {'
  echo '  chain input {'
  echo '    type filter hook input priority filter; policy drop;'
  echo '    iif "lo" accept'
  echo '    ct state established,related accept'
  echo '    ct state invalid drop'
  echo '    meta l4proto { 1, 58 } accept'
  for p in $(fw_ports); do
    if fw_is_restricted "$p"; then
      s4=$(fw_sources "$p" 4); s6=$(fw_sources "$p" 6)
      [ -z "$s4" ] || echo "    ip saddr { $s4 } tcp dport $p accept"
      [ -z "$s6" ] || echo "    ip6 saddr { $s6 } tcp dport $p accept"
    else
      echo "    tcp dport $p accept"
    fi
  done
  echo '  }'
  echo '}'
}

# FW-001 nftables denies inbound traffic by default (SSH and declared ports open)
fw_001_check() {
  fw_render > "$DT_TMP/fw"
  bad=""
  cmp -s "$DT_TMP/fw" /etc/devopstools/firewall.nft || bad="$bad /etc/devopstools/firewall.nft is missing or differs;"
  c=$(nft list chain inet devopstools input 2>/dev/null)
  printf '%s\n' "$c" | grep -q 'policy drop' || bad="$bad no input chain with policy drop in table inet devopstools;"
  for p in $(fw_ports); do
    if fw_is_restricted "$p"; then
      # Open only to its sources: a saddr rule, and no rule that opens it to every source.
      printf '%s\n' "$c" | grep -q "saddr .* tcp dport $p accept" || bad="$bad port $p not open to its sources;"
      printf '%s\n' "$c" | grep -Eq "^[[:space:]]*tcp dport $p accept" && bad="$bad port $p open to every source (allowed: $(fw_sources "$p" 4) $(fw_sources "$p" 6));"
    else
      printf '%s\n' "$c" | grep -q "tcp dport $p accept" || bad="$bad port $p not open;"
    fi
  done
  systemctl is-enabled devopstools-firewall.service >/dev/null 2>&1 || bad="$bad devopstools-firewall.service not enabled (rules lost at boot);"
  if [ -z "$bad" ]; then pass "default deny; open: $(fw_ports | tr '\n' ' ')${P_allowedSources:+(sources: $P_allowedSources)}"; else fail "${bad# }"; fi
}
fw_001_fix() {
  [ -n "$DT_SSH_PORTS" ] || { echo "cannot tell which port sshd listens on (sshd -T failed): not closing the firewall" >&2; exit 1; }
  fw_render | put_file /etc/devopstools/firewall.nft 600 root:root
  t=$(tgt /etc/devopstools/firewall.nft)
  nft -c -f "$t" || { echo "nft -c rejected the rule set" >&2; exit 1; }
  printf '[Unit]\nDescription=DevOpsTools host firewall (nftables table inet devopstools)\nWants=network-pre.target\nBefore=network-pre.target\nDefaultDependencies=no\nAfter=local-fs.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/sbin/nft -f /etc/devopstools/firewall.nft\nExecStop=/usr/sbin/nft delete table inet devopstools\n\n[Install]\nWantedBy=multi-user.target\n' | put_file /etc/systemd/system/devopstools-firewall.service 644 root:root
  mark firewall
  run nft -f /etc/devopstools/firewall.nft
  run systemctl daemon-reload
  run systemctl enable devopstools-firewall.service
}
