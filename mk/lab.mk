# The interop lab (issue 20; tests/lab.rs, tests/lab/). Included by the Makefile.
#
#   make bootstrap-lab    the appliance daemons and, besides them, FRR (zebra, bgpd, vtysh) and
#                         python3-jmespath from Debian (scripts/install-appliance-tools.sh with
#                         EXTRA_APT_PACKAGES; root; skips what is installed)
#   make test-lab         every lab test, two plans at a time (each with namespaces, folders and
#                         daemons of its own; a lab mostly waits on IKE and BGP): the five presets
#                         and the extra plans of tests/fixtures/plans/ that tests/lab.rs names pass;
#                         the mutation tests fail the way they must. Every tool required; root.
#   make lab PLAN=path    one plan, by hand: apply to the stand-ins, both ends of every tunnel in
#                         namespaces, then per tunnel IKE established or not (and why), per BGP
#                         session its state and the prefixes learned, per runbook ping its result;
#                         exits 1 when anything the runbook promises fails.
#
# Namespaces are named per run and deleted when a lab ends; if the test process is killed, the
# trap below stops what runs in them and deletes them (their names are listed in LAB_NETNS_FILE).

LAB_ENV = PATH='$(CLOUD_TOOLS)/bin':"$$PATH" TUNNELSMITH_REQUIRE_TOOLS=1
# $(call lab_run,COMMAND): COMMAND with LAB_NETNS_FILE set, and the namespaces it leaves cleaned up.
define lab_run
nsf="$$(mktemp)"; \
cleanup() { while read -r ns; do \
    for p in $$(ip netns pids "$$ns" 2>/dev/null); do kill "$$p" 2>/dev/null || true; done; \
    ip netns del "$$ns" 2>/dev/null || true; done <"$$nsf"; rm -f "$$nsf"; }; \
trap cleanup EXIT INT TERM; \
LAB_NETNS_FILE="$$nsf" $(1)
endef

.PHONY: bootstrap-lab test-lab lab

bootstrap-lab:
	$(call stage,bootstrap (interop lab: appliance daemons + frr),EXTRA_APT_PACKAGES='frr python3-jmespath' scripts/install-appliance-tools.sh)

test-lab: bootstrap-cloud
	$(call stage,interop lab (presets / pairings / mutations),$(call lab_run,$(LAB_ENV) cargo test --test lab -- --test-threads=2 --nocapture))

lab:
	@test -n '$(PLAN)' || { echo 'usage: make lab PLAN=path/to/plan.json' >&2; exit 2; }
	@$(call lab_run,$(LAB_ENV) LAB_PLAN='$(abspath $(PLAN))' cargo test -q --test lab lab_plan -- --ignored --nocapture --test-threads=1)

EXTRA_BOOTSTRAP += bootstrap-lab
# The lab mostly waits (IKE and BGP timers, pings: about half a core): it runs beside the other
# stages (Makefile, scripts/beside.sh).
BESIDE_TESTS += test-lab
