# Cloud-script proof against the real tools (issue 3). Included by the Makefile.
#
#   make bootstrap-cloud  install the pinned aws CLI, moto[server] and azure-cli into virtualenvs
#                         under $(CLOUD_TOOLS) (scripts/install-cloud-tools.sh; idempotent)
#   make test-cloud       tests/cloud_tools.rs with every tool required: bash -n and shellcheck on
#                         every script, the AWS scripts end to end against moto, every az and
#                         gcloud command line through the real parsers (all inside unshare -n)

CLOUD_TOOLS ?= $(or $(TUNNELSMITH_TOOLS),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tunnelsmith/cloud-tools)

.PHONY: bootstrap-cloud test-cloud

bootstrap-cloud:
	$(call stage,bootstrap (cloud tools),TUNNELSMITH_TOOLS='$(CLOUD_TOOLS)' scripts/install-cloud-tools.sh)

test-cloud: bootstrap-cloud
	$(call stage,cloud scripts against aws+moto / az / gcloud / shellcheck,PATH='$(CLOUD_TOOLS)/bin':"$$PATH" TUNNELSMITH_REQUIRE_TOOLS=1 cargo test --test cloud_tools -- --nocapture)

EXTRA_BOOTSTRAP += bootstrap-cloud
EXTRA_TESTS += test-cloud
SHELL_SCRIPTS += scripts/install-cloud-tools.sh
