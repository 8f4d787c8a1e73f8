#!/usr/bin/env bash
# Installs what the interop lab needs beyond the appliance daemons (scripts/install-appliance-tools.sh,
# which `make bootstrap-lab` runs first): FRR's zebra, bgpd and vtysh (Debian package frr), and
# jmespath for the stand-in clouds' Python (Debian package python3-jmespath). Idempotent: what is
# installed is skipped; a failed `apt-get install` is retried once after `apt-get update`.
# Used by `make bootstrap-lab`; needs root.
set -euo pipefail

APT_PACKAGES=(frr python3-jmespath)

say() { printf '[lab-tools] %s\n' "$*"; }
die() {
  printf '[lab-tools] error: %s\n' "$*" >&2
  exit 1
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

[[ "$(id -u)" == 0 ]] || die "run as root: the packages install system-wide and the lab creates network namespaces"
command -v apt-get >/dev/null || die "apt-get not found: this script installs Debian packages"
export DEBIAN_FRONTEND=noninteractive

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if installed "$pkg"; then
    say "skip: apt package $pkg is installed"
  else
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    say "apt-get install failed; apt-get update, then once more"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
  fi
fi

# The package may start its own daemons; the lab runs one zebra and bgpd per namespace.
if command -v systemctl >/dev/null && systemctl is-active --quiet frr 2>/dev/null; then
  say "stopping the frr service the package started"
  systemctl stop frr || true
fi
say "done: $(/usr/lib/frr/bgpd --version 2>/dev/null | head -1 || echo 'bgpd: ?')"
