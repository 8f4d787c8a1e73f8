# Performance budgets (issue 9; docs/PERFORMANCE.md). Included by the Makefile.
#
#   make bench         install what is missing (make bootstrap, then scripts/install-bench-tools.sh:
#                      hyperfine, brotli, the reference page's crates), build the release CLI, the
#                      app's release bundle (dist/) and the reference Leptos page (benches/reference,
#                      into target/bench/reference-dist), measure, then print one table (row |
#                      figure | budget | result) and write it to target/bench.json. Exits non-zero
#                      when any row fails; a measurement that breaks fails its rows, the rest still run.
#   make bench-report  print the table again from the last run's measurements
#
# Measurements (target/bench/ and target/criterion/): criterion benches of the engine and the overlap
# detector (benches/engine.rs, benches/overlap.rs), the CLI's whole process (benches/cli.mjs), and the
# browser figures against the reference page in the same run (benches/browser.mjs). Not part of
# `make test`: it holds no timing assertion.

BENCH_OUT := target/bench

.PHONY: bench bench-tools bench-build bench-report

bench-tools:
	$(call stage,bootstrap (bench tools),scripts/install-bench-tools.sh)

# The app's bundle is the Makefile's `build` (dist/); the CLI and the reference page besides.
bench-build: build
	$(call stage,cargo build --release (CLI),cargo build --release --bin tunnelsmith)
	$(call stage,trunk build --release (reference page),cd benches/reference && CARGO_TARGET_DIR='$(CURDIR)/target/bench/reference' trunk build --release)

bench: bootstrap bench-tools bench-build
	@mkdir -p $(BENCH_OUT) && touch $(BENCH_OUT)/run-started
	$(call stage,bench: engine and overlap detector (criterion),cargo bench --bench engine --bench overlap)
	$(call stage,bench: tunnelsmith generate (whole process),node benches/cli.mjs)
	$(call stage,bench: browser (app and reference page),node benches/browser.mjs)
	$(call stage,bench: report,node benches/report.mjs)

bench-report:
	@node benches/report.mjs

SHELL_SCRIPTS += scripts/install-bench-tools.sh
