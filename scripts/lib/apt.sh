# shellcheck shell=bash
# Debian packages for the install scripts (sourced; one copy of this logic for all of them).
#
#   apt_installed PKG         true when dpkg has PKG installed
#   apt_install PKG...        installs those of PKG... that are not installed (a skip line for each
#                             one that is)
#   apt_download DIR PKG...   downloads the .deb files of PKG... into DIR (no install)
#
# A machine's package lists can be older than the archive: a package then has a candidate, but
# its file is gone from the mirror (404), and the command fails. So every install and download that
# fails runs `apt-get update` (once per script run) and tries again; a second failure returns 1
# after a message naming the packages. Messages start with "[$APT_TAG]" (default "apt").
# Runs apt-get as root, or through sudo when not root. Callers run under `set -euo pipefail`;
# these functions return their status explicitly, so they also work inside `if`.

apt__updated=false

apt__say() { printf '[%s] %s\n' "${APT_TAG:-apt}" "$*"; }
apt__err() { printf '[%s] error: %s\n' "${APT_TAG:-apt}" "$*" >&2; }

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# apt__as_root CMD...: CMD as root (itself when root, else through sudo).
apt__as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    apt__err "not root and no sudo: cannot run $*"
    return 1
  fi
}

# apt__try WHAT PACKAGES -- CMD...: run CMD, its output kept in a log that is shown only on
# failure; on failure `apt-get update` (once per script run) and CMD again.
apt__try() {
  local what="$1" pkgs="$2"
  shift 3
  local log rc=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || rc=$?
  if ((rc != 0)) && ! $apt__updated; then
    sed 's/^/    /' "$log" >&2
    apt__say "$what $pkgs failed (exit $rc): the package lists may be older than the archive; apt-get update, then once more"
    if ! apt__as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; then
      sed 's/^/    /' "$log" >&2
      apt__err "apt-get update failed"
    fi
    apt__updated=true
    rc=0
    "$@" >"$log" 2>&1 || rc=$?
  fi
  if ((rc != 0)); then
    sed 's/^/    /' "$log" >&2
    apt__err "$what $pkgs failed (exit $rc) even after apt-get update: install them by hand, or check the apt sources (/etc/apt/sources.list*)"
  fi
  rm -f "$log"
  return "$rc"
}

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    if apt_installed "$pkg"; then
      apt__say "skip: apt package $pkg is installed"
    else
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]})) || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    apt__err "apt-get not found; install by hand: ${missing[*]}"
    return 1
  fi
  apt__say "apt-get install ${missing[*]}"
  apt__try "apt-get install" "${missing[*]}" -- \
    apt__as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

apt_download() {
  local dir="$1"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    apt__err "apt-get not found; cannot download: $*"
    return 1
  fi
  apt__say "apt-get download $*"
  # _apt cannot write into a private mktemp directory: download as root there.
  apt__try "apt-get download" "$*" -- \
    apt__in_dir "$dir" apt__as_root apt-get download -o APT::Sandbox::User=root "$@"
}

apt__in_dir() {
  local dir="$1"
  shift
  (cd "$dir" && "$@")
}
