#!/usr/bin/env bash
# Installs the real IPsec daemons the appliance tests run the generated configs against, on a fresh
# Debian machine. Idempotent: what is present is skipped. Used by `make bootstrap-appliance`.
#
#   libreswan        Debian package (pluto, `ipsec addconn --checkconfig`, `ipsec algparse`)
#   strongSwan       charon, swanctl and the kernel-libipsec plugin. Debian's strongSwan packages
#                    conflict with libreswan, so they are fetched with `apt-get download` and unpacked
#                    with `dpkg -x` into a private root ($STRONGSWAN_ROOT); the tests run charon in a
#                    mount namespace that overlays that root's /usr/lib on /usr/lib. Nothing of it
#                    is registered with dpkg, and nothing outside the private root changes.
#   nftables         `nft -c` checks the generated firewall; the tunnel tests load it
#   iputils-ping     the ping that crosses the namespace tunnel
#   ShellCheck       lints the generated install scripts (Debian package shellcheck)
#   $EXTRA_APT_PACKAGES  more Debian packages, e.g. the interop lab's `frr python3-jmespath` (mk/lab.mk)
#
# Only Debian's own packages, from the configured apt sources.
set -euo pipefail

STRONGSWAN_ROOT="${STRONGSWAN_ROOT:-/opt/tunnelsmith-tools/strongswan}"
APT_PACKAGES=(libreswan nftables iproute2 iputils-ping shellcheck)
read -r -a EXTRA <<<"${EXTRA_APT_PACKAGES:-}"
# Runtime libraries of the unpacked strongSwan packages (their Depends: outside strongSwan).
STRONGSWAN_DEPS=(libgmp10 libcap2 libssl3 libip4tc2 libpam0g libsystemd0)
STRONGSWAN_PACKAGES=(libstrongswan libstrongswan-standard-plugins strongswan-libcharon strongswan-charon
  strongswan-swanctl libcharon-extra-plugins)

say() { printf '[appliance-tools] %s\n' "$*"; }
die() {
  printf '[appliance-tools] error: %s\n' "$*" >&2
  exit 1
}
APT_TAG=appliance-tools
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

[[ "$(id -u)" == 0 ]] || die "run as root: the packages install system-wide and the tests create network namespaces"
command -v apt-get >/dev/null || die "apt-get not found: this script installs Debian packages"

apt_install "${APT_PACKAGES[@]}" "${STRONGSWAN_DEPS[@]}" "${EXTRA[@]}"

# The Debian libreswan package starts nothing the tests need; keep the host's IKE ports free.
if command -v systemctl >/dev/null && systemctl is-active --quiet ipsec 2>/dev/null; then
  say "stopping the ipsec service the package started (the tests run their own pluto per namespace)"
  systemctl stop ipsec || true
fi

stamp="$STRONGSWAN_ROOT/.packages"
want="${STRONGSWAN_PACKAGES[*]}"
if [[ -x "$STRONGSWAN_ROOT/usr/lib/ipsec/charon" && -x "$STRONGSWAN_ROOT/usr/sbin/swanctl" &&
  -f "$STRONGSWAN_ROOT/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so" &&
  "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
  say "skip: strongSwan is unpacked in $STRONGSWAN_ROOT"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  apt_download "$work" "${STRONGSWAN_PACKAGES[@]}"
  rm -rf "$STRONGSWAN_ROOT"
  mkdir -p "$STRONGSWAN_ROOT"
  for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$STRONGSWAN_ROOT"
  done
  echo "$want" >"$stamp"
  say "unpacked strongSwan into $STRONGSWAN_ROOT"
fi

empty_conf="$(mktemp)"
# `swanctl --version` asks the running daemon; its usage text names the unpacked version.
swanctl_version="$( (STRONGSWAN_CONF="$empty_conf" LD_LIBRARY_PATH="$STRONGSWAN_ROOT/usr/lib/ipsec" \
  "$STRONGSWAN_ROOT/usr/sbin/swanctl" --help 2>/dev/null || true) | sed -n 's/^\(strongSwan [0-9.]*\).*/\1/p' | head -1)"
rm -f "$empty_conf"
say "done: $(ipsec --version 2>/dev/null | head -1 || echo 'libreswan: ?'); ${swanctl_version:-swanctl: ?}; $(nft --version 2>/dev/null || true)"
