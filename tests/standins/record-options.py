#!/usr/bin/env python3
"""Record the options the real aws, az and gcloud parsers accept, for the test stand-ins.

The stand-in CLIs (tests/standins/standin.py) check every command line tunnelsmith runs against
this record: the command must exist, every option must be one the real CLI lists, every required
option must be present and, where the real help lists allowed values, the value must be one of
them. Regenerate after upgrading a CLI (make -f mk/apply.mk is not needed; run it directly):

    PATH="$HOME/.cache/tunnelsmith/cloud-tools/bin:$PATH" tests/standins/record-options.py

It reads each command's own help (`aws ec2 X help`, `az X --help`, `gcloud X --help`) with no
login and no network, and writes tests/standins/options.json. `--only aws,gcloud` records only
those CLIs and keeps the others' record as it is (for a machine that lacks one of them). tests/apply_standins.rs checks that
every command the steps, checks, deletes and status probes use is in the record.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

AWS = [
    "sts get-caller-identity",
] + ["ec2 " + c for c in """
describe-availability-zones describe-route-tables create-vpc associate-vpc-cidr-block create-subnet create-internet-gateway
attach-internet-gateway create-route-table create-route associate-route-table create-transit-gateway
describe-transit-gateways create-transit-gateway-vpc-attachment create-vpn-gateway attach-vpn-gateway
describe-vpn-gateways create-customer-gateway create-vpn-connection describe-vpn-connections
create-vpn-connection-route describe-transit-gateway-attachments create-transit-gateway-route
enable-vgw-route-propagation create-security-group authorize-security-group-ingress
create-network-interface describe-network-interfaces modify-network-interface-attribute
allocate-address describe-addresses associate-address
delete-vpc delete-subnet delete-internet-gateway detach-internet-gateway delete-route-table
disassociate-route-table delete-transit-gateway delete-transit-gateway-vpc-attachment
delete-vpn-gateway detach-vpn-gateway delete-customer-gateway delete-vpn-connection
delete-security-group delete-network-interface release-address disassociate-address
describe-vpcs describe-subnets describe-internet-gateways describe-customer-gateways
describe-transit-gateway-vpc-attachments search-transit-gateway-routes describe-security-groups
modify-vpn-tunnel-options modify-vpn-connection-options delete-route delete-transit-gateway-route
""".split()]

AZ = """
account show
group exists
group create
group delete
group show
network vnet create
network vnet delete
network vnet show
network vnet subnet create
network vnet subnet show
network vnet subnet update
network public-ip create
network public-ip delete
network public-ip show
network vnet-gateway create
network vnet-gateway show
network vnet-gateway update
network vnet-gateway delete
network vnet-gateway list-bgp-peer-status
network local-gateway create
network local-gateway delete
network local-gateway show
network vpn-connection create
network vpn-connection update
network vpn-connection delete
network vpn-connection show
network vpn-connection ipsec-policy add
network vpn-connection ipsec-policy list
network vpn-connection ipsec-policy clear
network vpn-connection shared-key update
network local-gateway update
network nsg create
network nsg delete
network nsg show
network nsg rule create
network nsg rule show
network nic create
network nic delete
network nic show
network route-table create
network route-table delete
network route-table show
network route-table route create
network route-table route show
""".strip().splitlines()

GCLOUD = """
config list
compute networks create
compute networks delete
compute networks describe
compute networks subnets create
compute networks subnets delete
compute networks subnets describe
compute firewall-rules create
compute firewall-rules delete
compute firewall-rules describe
compute vpn-gateways create
compute vpn-gateways describe
compute vpn-gateways delete
compute routers create
compute routers delete
compute routers describe
compute routers add-interface
compute routers add-bgp-peer
compute routers get-status
compute routers update
compute routers update-bgp-peer
compute routers remove-bgp-peer
compute routers remove-interface
compute firewall-rules update
compute external-vpn-gateways create
compute external-vpn-gateways delete
compute external-vpn-gateways describe
compute vpn-tunnels create
beta compute vpn-tunnels create
compute vpn-tunnels delete
compute vpn-tunnels describe
compute addresses create
compute addresses delete
compute addresses describe
compute routes create
compute routes delete
compute routes describe
""".strip().splitlines()

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(argv, env):
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    return re.sub(r".\x08", "", ANSI.sub("", out.stdout + out.stderr))


def section(text, title, titles):
    """The lines of a help section (from its title to the next title)."""
    lines = text.splitlines()
    out, inside = [], False
    for line in lines:
        stripped = line.strip()
        if stripped in titles or (line and not line[0].isspace() and stripped.isupper()):
            inside = stripped == title
            continue
        if inside:
            out.append(line)
    return out


def aws(env):
    cmds = {}
    for cmd in AWS:
        text = run(["aws"] + cmd.split() + ["help"], env)
        syn = section(text, "SYNOPSIS", ["SYNOPSIS", "OPTIONS", "DESCRIPTION"])
        options, required = set(), set()
        for line in syn:
            for m in re.finditer(r"(\[?)(--[a-z0-9-]+)", line):
                options.add(m.group(2))
                if not line.strip().startswith("["):
                    required.add(m.group(2))
        if not options:
            sys.exit(f"aws {cmd}: no options found in its help")
        cmds[cmd] = {"options": sorted(options), "required": sorted(required), "choices": {}, "positionals": 0}
    return cmds


def az(env):
    cmds = {}
    for cmd in AZ:
        text = run(["az"] + cmd.split() + ["--help"], env)
        options, required, choices = set(), set(), {}
        current = None
        for line in text.splitlines():
            m = re.match(r"^    (--[a-z0-9-]+)((?: -[a-zA-Z]+| --[a-z0-9-]+)*)\s*(\[Required\])?\s*:", line)
            if m:
                names = [m.group(1)] + m.group(2).split()
                current = m.group(1)
                for n in names:
                    options.add(n)
                if m.group(3):
                    required.add(current)
                choices_text = line
            elif current and line.startswith("    ") and line.strip():
                choices_text = choices_text + " " + line.strip()
            else:
                current = None
                continue
            a = re.search(r"Allowed values: ([^.]*(?:\.[0-9][^.]*)*)\.", choices_text)
            if a and current:
                choices[current] = [v.strip() for v in a.group(1).split(",")]
        if not options:
            sys.exit(f"az {cmd}: no options found in its help:\n{text}")
        cmds[cmd] = {"options": sorted(options), "required": sorted(required), "choices": choices, "positionals": 0}
    return cmds


def gcloud(env):
    cmds = {}
    wide = set(re.findall(r"^     (--[a-z0-9-]+)", run(["gcloud", "--help"], env), re.M))
    for cmd in GCLOUD:
        text = run(["gcloud"] + cmd.split() + ["--help"], env)
        syn = " ".join(section(text, "SYNOPSIS", []))
        options, required, choices = set(wide), set(), {}
        for m in re.finditer(r"--(\[no-\])?([a-z0-9-]+)", syn):
            options.add("--" + m.group(2))
            if m.group(1):
                options.add("--no-" + m.group(2))
        head = syn.split("--")[0].split()
        positionals = sum(1 for w in head[len(cmd.split()) + 1:] if re.fullmatch(r"\[?[A-Z_]+\]?", w))
        for line in section(text, "REQUIRED FLAGS", []):
            m = re.match(r"^     (--[a-z0-9-]+)", line)
            if m:
                required.add(m.group(1))
        # "FLAG must be one of:" followed by the values, one per line, indented.
        flag = None
        lines = text.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^     (--[a-z0-9-]+)", line)
            if m:
                flag = m.group(1)
            if flag and "must be one of" in line and not line.rstrip().endswith(":") is False:
                vals = []
                for nxt in lines[i + 1:]:
                    mm = re.match(r"^         ([A-Za-z0-9_-]+)\s*$", nxt)
                    if mm:
                        vals.append(mm.group(1))
                    elif nxt.strip() == "" or re.match(r"^            ", nxt):
                        continue
                    else:
                        break
                if vals:
                    choices[flag] = vals
        cmds[cmd] = {"options": sorted(options), "required": sorted(required), "choices": choices,
                     "positionals": positionals}
    return cmds


def version(argv, env):
    return run(argv, env).strip().splitlines()[0]


def main():
    tmp = tempfile.mkdtemp(prefix="record-options-")
    env = dict(os.environ, PAGER="cat", MANPAGER="cat", AWS_CONFIG_FILE="/dev/null",
               AZURE_CONFIG_DIR=tmp + "/az", AZURE_CORE_COLLECT_TELEMETRY="0", AZURE_CORE_NO_COLOR="1",
               CLOUDSDK_CONFIG=tmp + "/gcloud", CLOUDSDK_CORE_DISABLE_PROMPTS="1",
               CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK="true", COLUMNS="100", TERM="dumb")
    only = {"aws", "az", "gcloud"}
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        only = set(sys.argv[2].split(","))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "options.json")
    record = {"versions": {}}
    if only != {"aws", "az", "gcloud"}:
        with open(path) as f:
            record = json.load(f)
    record["_about"] = "Options of the real CLIs, recorded by tests/standins/record-options.py; do not edit by hand."
    versions = {"aws": ["aws", "--version"], "az": ["az", "version", "--query", '"azure-cli"', "--output", "tsv"],
                "gcloud": ["gcloud", "version"]}
    for cli, read in (("aws", aws), ("az", az), ("gcloud", gcloud)):
        if cli in only:
            record["versions"][cli] = version(versions[cli], env)
            record[cli] = read(env)
    with open(path, "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: {len(AWS)} aws, {len(AZ)} az, {len(GCLOUD)} gcloud commands")


if __name__ == "__main__":
    main()
