# Appliance configs (issue 4) against the real daemons. Included by the Makefile.
#
#   make bootstrap-appliance  install libreswan, nftables, ping, shellcheck (Debian packages) and
#                             unpack strongSwan into a private root (scripts/install-appliance-tools.sh;
#                             needs root; idempotent)
#   make test-appliance       the daemon tests with every tool required (a missing one fails):
#                             Libreswan addconn/algparse and an IKEv2 negotiation between network
#                             namespaces, swanctl --load-all, strongSwan tunnels with a ping through
#                             them, shellcheck and nft -c of the generated files. Needs root.
#
# The VyOS grammar test (tests/vyos_grammar.rs) needs no tool and runs in plain `cargo test`.

.PHONY: bootstrap-appliance test-appliance

bootstrap-appliance:
	$(call stage,bootstrap (appliance daemons),scripts/install-appliance-tools.sh)

test-appliance:
	$(call stage,appliance daemons (libreswan / strongswan / nft),env TUNNELSMITH_REQUIRE_TOOLS=1 cargo test --test appliance_daemons --test vyos_grammar)

EXTRA_BOOTSTRAP += bootstrap-appliance
EXTRA_TESTS += test-appliance
SHELL_SCRIPTS += scripts/install-appliance-tools.sh
