#!/usr/bin/env bash
# Installs what building and testing Tunnelsmith needs, on a fresh Debian machine that has only
# the Rust toolchain (rustup, cargo), python3 and node/npm. Idempotent: anything already present
# at the pinned version is skipped. Used by `make bootstrap`, `make serve` and `make test`.
#
# Usage: scripts/bootstrap.sh [build|test]
#   build  what `make build` / `make serve` need: the wasm32 target, trunk, wasm-bindgen-cli,
#          wasm-split-cli, the npm packages (wasm-opt, esbuild), the crates (cargo fetch; Trunk
#          builds offline)
#   test   (default) all of the above, plus clippy/rustfmt, Chromium and ChromeDriver for the
#          browser tests, and shellcheck and brotli
#
# Versions are pinned here and in Trunk.toml / package.json / Cargo.toml; keep them in step.
set -euo pipefail

TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than the toolchain here
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
WASM_SPLIT_VERSION=0.2.4       # wasm-split-cli, for the release bundle (scripts/build-web.sh)
WASM_TARGET=wasm32-unknown-unknown
APT_PACKAGES_TEST=(chromium chromium-driver shellcheck brotli)

mode="${1:-test}"
case "$mode" in
  build | test) ;;
  *)
    echo "usage: $0 [build|test]" >&2
    exit 2
    ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[bootstrap] %s\n' "$*"; }
die() {
  printf '[bootstrap] error: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
APT_TAG=bootstrap
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh

# --- the toolchain this script cannot install -------------------------------------------------
for tool in rustup cargo node npm; do
  have "$tool" || die "$tool is not on PATH; install the Rust toolchain (rustup) and Node.js 20+ first"
done

# --- Rust: wasm32 target and components -----------------------------------------------------------
# RUSTUP_AUTO_INSTALL=0 on these machines: add the target explicitly.
if rustup target list --installed | grep -qx "$WASM_TARGET"; then
  say "skip: rust target $WASM_TARGET is installed"
else
  say "rustup target add $WASM_TARGET"
  rustup target add "$WASM_TARGET"
fi

if [[ "$mode" == test ]]; then
  for component in clippy rustfmt; do
    if rustup component list --installed | grep -q "^$component"; then
      say "skip: rustup component $component is installed"
    else
      say "rustup component add $component"
      rustup component add "$component"
    fi
  done
fi

# --- Debian packages --------------------------------------------------------------------------------
# scripts/lib/apt.sh: skips what is installed; a failed install runs `apt-get update` once and
# tries again (a fresh machine's package lists may be empty or older than the archive).
if [[ "$mode" == test ]]; then
  apt_install "${APT_PACKAGES_TEST[@]}"
fi

# --- cargo-installed tools --------------------------------------------------------------------------
# `TOOL --version` prints e.g. "trunk 0.21.14" / "wasm-bindgen 0.2.130".
version_of() { "$1" --version 2>/dev/null | awk '{print $2}'; }

if [[ "$(version_of trunk)" == "$TRUNK_VERSION" ]]; then
  say "skip: trunk $TRUNK_VERSION is installed"
else
  say "cargo install --locked trunk --version $TRUNK_VERSION (about 17 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [[ "$(version_of wasm-bindgen)" == "$WASM_BINDGEN_VERSION" ]] &&
  [[ "$(version_of wasm-bindgen-test-runner)" == "$WASM_BINDGEN_VERSION" ]]; then
  say "skip: wasm-bindgen-cli $WASM_BINDGEN_VERSION is installed"
else
  # Not --locked: its lockfile names a crate version the registry does not serve.
  say "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-split-cli splits the release module at its lazy points (scripts/build-web.sh). It has no
# --version: cargo's own list of installed packages says which one is there.
if cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "skip: wasm-split-cli (wasm_split_cli_support $WASM_SPLIT_VERSION) is installed"
else
  say "cargo install --locked wasm_split_cli_support --version $WASM_SPLIT_VERSION --features build-binary (about 2 minutes)"
  cargo install --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary
fi

# --- npm packages (wasm-opt from binaryen, esbuild, playwright-core) ------------------------------
# `npm ci` against the committed lockfile, skipped while node_modules matches it. Playwright uses
# Debian's Chromium: never `npx playwright install`.
stamp=node_modules/.bootstrap-lock-sha256
want="$(sha256sum package-lock.json | awk '{print $1}')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x node_modules/.bin/wasm-opt ]]; then
  say "skip: node_modules matches package-lock.json"
else
  say "npm ci"
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi

# --- crates -------------------------------------------------------------------------------------------
# Trunk runs cargo with --offline (Trunk.toml), so every crate in Cargo.lock must be downloaded.
say "cargo fetch"
cargo fetch

say "done ($mode): $(trunk --version), $(wasm-bindgen --version), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}')"
if [[ "$mode" == test ]]; then
  say "browsers: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?'); $(/usr/bin/chromedriver --version 2>/dev/null | awk '{print $1, $2}')"
fi
