# Tunnelsmith: build, serve and test.
#
#   make serve      install what is missing, build the release bundle, serve it on http://127.0.0.1:8080
#   make test       install what is missing, then every check and test, in this order:
#                   lint (fmt, clippy native + wasm32, shellcheck), test-native (cargo test),
#                   test-wasm (wasm-bindgen-test in headless Chromium), build (trunk --release),
#                   test-e2e (Playwright: smoke test and wizard journeys against dist/), then the
#                   suites of mk/*.mk (appliance daemons, apply, cloud CLIs); the interop lab
#                   runs beside every stage after test-native (scripts/beside.sh)
#   make bootstrap  only install the tools (scripts/bootstrap.sh; idempotent)
#
# Every stage prints its wall time. The machine has 2 cores: stages share target/ and build
# each crate graph once (native debug, wasm32 debug, wasm32 release).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Stages must run in order, even under `make -j`.
.NOTPARALLEL:

WASM_TARGET := wasm32-unknown-unknown
# Tools installed by bootstrap: cargo's bin dir, and wasm-opt (npm binaryen) for Trunk.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# wasm-bindgen-test: run the wasm32 test binaries in headless Debian Chromium via ChromeDriver.
WASM_TEST_ENV := \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver \
	WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/tests/webdriver.json \
	WASM_BINDGEN_TEST_TIMEOUT=120
# The browser test crates: tests/web*.rs (the other tests/*.rs are native).
WASM_TESTS := $(patsubst tests/%.rs,--test %,$(wildcard tests/web*.rs))

SHELL_SCRIPTS := scripts/bootstrap.sh scripts/lib/apt.sh scripts/beside.sh scripts/build-web.sh .ci/run
# Node's test runner (node 20 does not match tests/e2e/*.mjs when given the folder).
E2E_TESTS := $(wildcard tests/e2e/*.mjs)

# Test suites that need more tools (real cloud CLIs, IPsec daemons) live in mk/*.mk. Each adds
# its install target to EXTRA_BOOTSTRAP, its test target to EXTRA_TESTS (run after the browser
# tests) or to BESIDE_TESTS (a suite that mostly waits: run beside every stage after test-native,
# which has built its test binary; scripts/beside.sh), and its scripts to SHELL_SCRIPTS.
EXTRA_BOOTSTRAP :=
EXTRA_TESTS :=
BESIDE_TESTS :=
-include $(sort $(wildcard mk/*.mk))

# $(call stage,NAME,COMMAND): run COMMAND, print its wall time, fail the make if it fails.
define stage
	@printf '\n==> %s\n' '$(1)'
	@t0=$$(date +%s); \
	if $(2); then \
		printf '<== %s: ok in %ss\n' '$(1)' "$$(( $$(date +%s) - t0 ))"; \
	else \
		rc=$$?; printf '<== %s: FAILED (exit %s) after %ss\n' '$(1)' "$$rc" "$$(( $$(date +%s) - t0 ))"; \
		exit $$rc; \
	fi
endef

.PHONY: fuzz help bootstrap bootstrap-build serve build test lint fmt-check clippy clippy-native \
	clippy-wasm shellcheck test-native test-wasm test-e2e fmt clean

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

## Tools ------------------------------------------------------------------------------------------

bootstrap:
	$(call stage,bootstrap (test tools),scripts/bootstrap.sh test)

bootstrap-build:
	$(call stage,bootstrap (build tools),scripts/bootstrap.sh build)

## Build and serve --------------------------------------------------------------------------------

# The release bundle in dist/ (wasm-opt'ed; Trunk.toml pins the tools and runs offline).
build:
	$(call stage,trunk build --release,trunk build --release)

# Trunk builds the release bundle into dist/, then serves it (address and port from Trunk.toml).
serve: bootstrap-build
	@echo "Building, then serving on http://127.0.0.1:8080 (Ctrl-C to stop)"
	trunk serve --release --no-autoreload

## Tests ------------------------------------------------------------------------------------------

test: bootstrap $(EXTRA_BOOTSTRAP) lint test-native
	@scripts/beside.sh '$(MAKE)' '$(BESIDE_TESTS)' test-wasm build test-e2e $(EXTRA_TESTS)
	@printf '\nAll stages passed.\n'

lint: fmt-check clippy shellcheck

fmt-check:
	$(call stage,cargo fmt --check,cargo fmt --all -- --check)

clippy: clippy-native clippy-wasm

clippy-native:
	$(call stage,clippy (native),cargo clippy --all-targets -- -D warnings)

clippy-wasm:
	$(call stage,clippy (wasm32),cargo clippy --target $(WASM_TARGET) --lib --bins $(WASM_TESTS) -- -D warnings)
	$(call stage,clippy (wasm32 split),cargo clippy --target $(WASM_TARGET) --lib --bins --features split -- -D warnings)

shellcheck:
	$(call stage,shellcheck,shellcheck -x $(SHELL_SCRIPTS))

# The engine's unit, property and golden tests and the doc examples (`cargo test` runs the
# doctests too: check::analyze, steps::steps, render::render, share::encode/decode; native; never
# compiles Leptos).
test-native:
	$(call stage,cargo test (native),TUNNELSMITH_SKIP_TOOLS=1 cargo test)

# Component tests (tests/web*.rs) compiled to wasm32 and run in headless Chromium.
test-wasm:
	$(call stage,wasm-bindgen-test (headless Chromium),env $(WASM_TEST_ENV) cargo test --target $(WASM_TARGET) $(WASM_TESTS))

# The release bundle in dist/ (run `make build` first) with Playwright + Chromium: the smoke test
# and the wizard's journeys (screenshots and figures in target/e2e/).
test-e2e:
	$(call stage,playwright journeys (dist/),node --test $(E2E_TESTS))

## Fuzzing ---------------------------------------------------------------------------------------

# The share-link decoder under arbitrary and damaged links, for minutes (issue 7). No nightly
# toolchain here for cargo-fuzz, so this is the proptest property of tests/share.rs with many
# cases, in release mode; `make test` runs the same property with 2,000 cases.
FUZZ_CASES ?= 2000000
fuzz:
	$(call stage,fuzz the share-link decoder ($(FUZZ_CASES) cases),PROPTEST_CASES=$(FUZZ_CASES) cargo test --release --test share the_decoder_never_panics)

## Helpers ----------------------------------------------------------------------------------------

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf dist target/e2e
