#!/usr/bin/env bash
# Installs the real cloud CLIs that the cloud-script tests run against (tests/cloud_tools.rs):
# the AWS CLI and a local moto server (PyPI), the Azure CLI (PyPI), and checks for the Google
# Cloud CLI. Idempotent: a tool already present at its pinned version is skipped.
#
# Usage: scripts/install-cloud-tools.sh
#   Each Python tool gets its own virtualenv under $TUNNELSMITH_TOOLS (default
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tunnelsmith/cloud-tools), and a link in its bin/ folder:
#   put "$TUNNELSMITH_TOOLS/bin" first on PATH (mk/cloud.mk does).
#   Network: PyPI only (pip), plus Debian's archive if the Google Cloud CLI is looked for there.
#
# Installs (Debian packages, when missing) python3-venv, and util-linux and iproute2 for the
# loopback-only network namespace the tests run the CLIs in.
set -euo pipefail

# Pinned versions; the closing note of issue 3 lists what each accepted.
AWSCLI_VERSION=1.45.11
MOTO_VERSION=5.2.1
AZURE_CLI_VERSION=2.91.0

TOOLS="${TUNNELSMITH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tunnelsmith/cloud-tools}"
PYTHON="${PYTHON:-python3}"

say() { printf '[cloud-tools] %s\n' "$*"; }
die() {
  printf '[cloud-tools] error: %s\n' "$*" >&2
  exit 1
}

APT_TAG=cloud-tools
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# apt_need PACKAGE...: install Debian packages that are missing (scripts/lib/apt.sh).
apt_need() { apt_install "$@" || die "could not install $*"; }

command -v "$PYTHON" >/dev/null 2>&1 || apt_need python3
# Debian's python3 has the venv module but not ensurepip, without which `python3 -m venv` fails.
if "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  say "skip: $PYTHON can make virtualenvs"
else
  apt_need python3-venv
fi
# The tests run the CLIs in a network namespace with loopback only: unshare (util-linux) and ip.
for tool in unshare:util-linux ip:iproute2; do
  if command -v "${tool%%:*}" >/dev/null 2>&1; then
    say "skip: ${tool%%:*} is installed"
  else
    apt_need "${tool#*:}"
  fi
done
mkdir -p "$TOOLS/bin"

# venv_tool NAME PIP_SPEC VERSION_CHECK BINARIES...: a virtualenv $TOOLS/NAME holding PIP_SPEC,
# skipped when VERSION_CHECK (a Python expression printing the installed version) already says VERSION.
venv_tool() {
  local name="$1" spec="$2" dist="$3" version="$4"
  shift 4
  local venv="$TOOLS/$name"
  local have=""
  if [[ -x "$venv/bin/python" ]]; then
    have="$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$dist'))" 2>/dev/null || true)"
  fi
  if [[ "$have" == "$version" ]]; then
    say "skip: $dist $version is installed in $venv"
  else
    say "installing $spec into $venv (was: ${have:-absent})"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
  fi
  local b
  for b in "$@"; do
    [[ -x "$venv/bin/$b" ]] || die "$venv/bin/$b is missing after installing $spec"
    ln -sfn "$venv/bin/$b" "$TOOLS/bin/$b"
  done
}

venv_tool aws "awscli==$AWSCLI_VERSION" awscli "$AWSCLI_VERSION" aws
venv_tool moto "moto[server]==$MOTO_VERSION" moto "$MOTO_VERSION" moto_server
# The Azure CLI is big (about 1 GB installed): its own virtualenv, installed once.
venv_tool az "azure-cli==$AZURE_CLI_VERSION" azure-cli "$AZURE_CLI_VERSION" az

# The Google Cloud CLI is not on PyPI. Debian machine images here may carry it as
# /usr/bin/gcloud (package google-cloud-cli); otherwise try Debian's configured sources, and if
# no source has it, say so: the gcloud tests then report that they were skipped and why.
if command -v gcloud >/dev/null 2>&1; then
  say "skip: gcloud is installed ($(gcloud --version 2>/dev/null | head -n1))"
elif command -v apt-get >/dev/null 2>&1 && apt-cache show google-cloud-cli >/dev/null 2>&1; then
  apt_need google-cloud-cli
else
  say "gcloud: no package source here has the Google Cloud CLI; its tests will be skipped (and fail under TUNNELSMITH_REQUIRE_TOOLS=1)"
fi

say "done: add $TOOLS/bin to PATH"
for b in aws moto_server az; do
  say "  $b -> $(readlink "$TOOLS/bin/$b")"
done
