# tunnelsmith plan | apply | status | destroy (issue 8). Included by the Makefile.
#
#   make test-apply   the executor against the stand-in aws/az/gcloud (tests/standins/: every argv
#                     checked against the options recorded from the real CLIs): the journey, a
#                     failure at every step of seed 004 then resume, SIGKILL then resume, the lock,
#                     preflight; and the real aws CLI against moto (inside unshare -n) with the
#                     stand-ins for Azure and Google Cloud; day 2 (plan as a diff, apply converging,
#                     rotate-keys, drift, random edit sequences). Every tool required.
#   make bench-apply  seed 004 on the stand-ins with simulated durations (Azure gateway 3 s, every
#                     command 50 ms): apply's wall time against the plan's critical path and the
#                     sequential sum (target: wall <= 1.15 x critical path). Not part of make test.
#
# The stand-ins' option lists come from the real CLIs' help: regenerate them after upgrading a CLI
# with tests/standins/record-options.py (see its header).

.PHONY: test-apply bench-apply

test-apply: bootstrap-cloud
	$(call stage,apply against the stand-ins and aws+moto,PATH='$(CLOUD_TOOLS)/bin':"$$PATH" TUNNELSMITH_REQUIRE_TOOLS=1 cargo test --test apply_standins --test apply_moto --test apply_day2 --test apply_property -- --nocapture)

bench-apply: bootstrap-cloud
	$(call stage,bench: apply wall time vs critical path (seed 004 on the stand-ins),PATH='$(CLOUD_TOOLS)/bin':"$$PATH" TUNNELSMITH_REQUIRE_TOOLS=1 cargo test --release --test apply_bench -- --ignored --nocapture)

EXTRA_TESTS += test-apply
# The aws shim the moto tests (tests/apply_moto.rs, tests/cloud_tools.rs) put on PATH.
SHELL_SCRIPTS += tests/standins/aws-moto
