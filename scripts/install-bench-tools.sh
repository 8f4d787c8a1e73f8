#!/usr/bin/env bash
# Installs what `make bench` needs beyond `make bootstrap` (scripts/bootstrap.sh test: Rust, trunk,
# wasm-bindgen, Chromium, brotli, node_modules). Idempotent: what is present is skipped.
#
#   hyperfine   Debian package; times the whole `tunnelsmith generate` process. Optional: when
#               apt cannot install it, benches/cli.mjs times repeated runs itself.
#   brotli      Debian package (bootstrap installs it too); the bundle rows are `brotli -q 11`.
#   crates      of the reference page (benches/reference has its own workspace and Cargo.lock;
#               Trunk builds offline, so they must be downloaded first)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[bench-tools] %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
APT_TAG=bench-tools
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh

if have hyperfine; then
  say "skip: $(hyperfine --version) is installed"
elif apt_install hyperfine; then
  say "installed $(hyperfine --version)"
else
  say "hyperfine could not be installed (above): the CLI row falls back to repeated runs (benches/cli.mjs)"
fi

if have brotli; then
  say "skip: brotli $(brotli --version | awk '{print $2}') is installed"
elif ! apt_install brotli; then
  say "error: brotli is missing and apt cannot install it: the bundle rows need \`brotli -q 11\`" >&2
  exit 1
fi
if ! have /usr/bin/chromium; then
  say "error: /usr/bin/chromium is missing: run \`make bootstrap\` (scripts/bootstrap.sh test) first" >&2
  exit 1
fi

say "cargo fetch (benches/reference)"
cargo fetch --manifest-path benches/reference/Cargo.toml
