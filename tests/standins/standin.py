#!/usr/bin/env python3
"""Stand-in `aws`, `az` and `gcloud` for the apply tests (tests/apply*.rs); never for real use.

On PATH under the three names: the harness (tests/apply_support, `python_shim`) writes a small
executable per name that imports this module and calls main(), with a Python that has jmespath;
imported, it is compiled once, not on every call. Run directly, it works the same.
Each call:
  1. checks its argv against the real CLI's recorded options (options.json, made from the real
     help output by record-options.py): unknown command or option, missing required option or a
     value outside the listed choices -> exit 2, as the real parser does;
  2. acts on a small persistent world (world.json in $STANDIN_DIR, under a lock): resources are
     created, read, updated and deleted with the real CLI's rules that matter here (names unique,
     "not found" errors with the real exit codes and messages, dependencies that block deletion);
  3. answers with JSON shaped like the real output, filtered by --query (JMESPath) or --format
     value(...) and printed as --output text/tsv/json, like the real CLI;
  4. logs the call (calls.log: one JSON line each) and counts creations per resource.

Told by the environment:
  STANDIN_DIR            the world, the log and the counters (required)
  STANDIN_OPTIONS        options.json (default: beside this file)
  STANDIN_DELAY          seconds every call takes (before it acts); default 0
  STANDIN_GATEWAY_SECS   seconds an Azure VPN gateway takes to provision; default 0
  STANDIN_FAIL_AT        fail the Nth call (1-based, counting every call of the three CLIs)
  STANDIN_FAIL_STEP      fail the first call made for this step (TUNNELSMITH_STEP), once
  STANDIN_FAIL_AFTER_STEP  act for this step, then fail as if the answer was lost, once
  STANDIN_THROTTLE_STEP  ID:N, answer the first N calls of that step with a throttling error
  STANDIN_LOGGED_OUT     a CLI name (aws, az, gcloud) that is not logged in
  STANDIN_NO_PROJECT     set: gcloud has an account but no project configured
  STANDIN_VERSION_<CLI>  the version that CLI reports (e.g. STANDIN_VERSION_AZ=2.40.0)
  STANDIN_TGW_SECS       seconds a transit gateway stays `pending`; default 0
  STANDIN_KILL_AT        after the Nth call has acted (world saved), SIGKILL the caller (tunnelsmith)
  STANDIN_MODIFY_SECS    seconds a VPN connection stays `modifying` after modify-vpn-tunnel-options; 0

The timeline (timeline.log in $STANDIN_DIR, one JSON line per change): after every call that
changes the world, the tunnels are worked out from what the clouds hold (an AWS VPN connection's
tunnels, an Azure connection, a Google Cloud VPN tunnel: each end knows its own outside
addresses, the peer's address and its key) and every tunnel that came up or went down is logged
as {"n": call, "t": time, "tunnel": "<ip>~<ip>", "up": true|false}. A tunnel is up when both
ends exist, each names the other's address, and their keys are equal.
"""
import fcntl
import json
import os
import re
import shlex
import sys
import time

PROG = os.path.basename(sys.argv[0])
ARGV = sys.argv[1:]
DIR = os.environ.get("STANDIN_DIR") or sys.exit("standin: STANDIN_DIR is not set")
STEP = os.environ.get("TUNNELSMITH_STEP", "")
PROJECT = "standin-project"
SUB = "00000000-0000-0000-0000-000000000000"


class Exit(Exception):
    def __init__(self, code, err="", out=""):
        self.code, self.err, self.out = code, err, out


def sha1(text):
    # Imported here: most calls only read, and the import is a tenth of a call's start-up.
    import hashlib
    return hashlib.sha1(text.encode())


def h(*parts, n=8):
    return sha1("/".join(str(p) for p in parts)).hexdigest()[:n]


def ip_of(*parts):
    d = sha1("/".join(parts)).digest()
    return f"203.0.{113 if d[0] % 2 else 112}.{1 + d[1] % 250}"


# ---- argv against the recorded options -------------------------------------------------------

def split_command(known):
    """(command words, rest) by the longest recorded command that starts argv."""
    words = []
    for w in ARGV:
        if w.startswith("-"):
            break
        words.append(w)
    for n in range(len(words), 0, -1):
        cmd = " ".join(words[:n])
        if cmd in known:
            return cmd, ARGV[n:]
    raise Exit(2, f"{PROG}: '{' '.join(words)}' is not a command the recorded {PROG} has (tests/standins/options.json)")


FROM_FILES = []  # [path, mode] of the files this call's values were read from


def from_file(tok):
    """A value the real CLI reads from a file: aws `file://PATH` (any parameter), az `@PATH` (any
    argument; a trailing newline dropped). A missing file fails as the real CLI does."""
    path = None
    if PROG == "aws" and tok.startswith("file://"):
        path = tok[len("file://"):]
    elif PROG == "az" and tok.startswith("@"):
        path = tok[1:]
    if path is None:
        return tok
    try:
        FROM_FILES.append([path, oct(os.stat(path).st_mode & 0o777)])
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise Exit(255 if PROG == "aws" else 1, f"{PROG}: error: cannot read {tok}: {e}")
    return text.rstrip("\n") if PROG == "az" else text


def flags_file(path):
    """gcloud --flags-file: a YAML dictionary of flags, each injected as `--flag=value`. Only the
    forms Tunnelsmith writes are read here: `--flag: value` and the literal block `--flag: |2-`."""
    try:
        FROM_FILES.append([path, oct(os.stat(path).st_mode & 0o777)])
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError:
        raise Exit(1, f"ERROR: (gcloud) --flags-file [{path}] not found.")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        name, _, value = line.partition(": ")
        if value == "|2-":
            block = []
            while i < len(lines) and lines[i].startswith("  "):
                block.append(lines[i][2:])
                i += 1
            value = "\n".join(block)
        out.append(f"{name}={value}")
    return out


def expand_flags_files(rest):
    if PROG != "gcloud":
        return rest
    out, it = [], iter(rest)
    for tok in it:
        if tok == "--flags-file":
            out.extend(flags_file(next(it, "")))
        elif tok.startswith("--flags-file="):
            out.extend(flags_file(tok.partition("=")[2]))
        else:
            out.append(tok)
    return out


def parse(rec, rest):
    """Options to their values, and positionals; errors like the real parser."""
    opts, pos, cur = {}, [], None
    for tok in map(from_file, expand_flags_files(rest)):
        if tok.startswith("--"):
            name, eq, val = tok.partition("=")
            if name not in rec["options"]:
                raise Exit(2, f"{PROG}: error: unrecognized arguments: {name}")
            opts.setdefault(name, [])
            cur = name
            if eq:
                opts[name].append(val)
        elif cur is None:
            pos.append(tok)
        else:
            opts[cur].append(tok)
    if len(pos) > rec.get("positionals", 0):
        raise Exit(2, f"{PROG}: error: unrecognized arguments: {' '.join(pos)}")
    for r in rec["required"]:
        if r not in opts:
            raise Exit(2, f"{PROG}: error: the following arguments are required: {r}")
    for name, vals in opts.items():
        allowed = rec["choices"].get(name)
        if allowed and vals:
            low = [a.lower() for a in allowed]
            for v in vals:
                if v.lower() not in low:
                    raise Exit(2, f"{PROG}: error: argument {name}: invalid choice: '{v}' (choose from {', '.join(allowed)})")
    return opts, pos


def one(opts, name, default=None):
    v = opts.get(name)
    return v[0] if v else default


# ---- output ----------------------------------------------------------------------------------

def text_of(v):
    if v is None:
        return "None" if PROG == "aws" else ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, list):
        if all(not isinstance(x, (list, dict)) for x in v):
            return "\t".join(text_of(x) for x in v)
        return "\n".join(text_of(x) for x in v)
    if isinstance(v, dict):
        return "\t".join(text_of(x) for x in v.values())
    return str(v)


def gvalue(doc, key):
    cur = [doc]
    multi = False
    for seg in key.split("."):
        name, _, idx = seg.partition("[")
        nxt = []
        for c in cur:
            if isinstance(c, list):
                multi = True
                items = c
            else:
                items = [c]
            for it in items:
                if isinstance(it, dict) and name in it:
                    v = it[name]
                    if idx:
                        i = int(idx.rstrip("]"))
                        v = v[i] if isinstance(v, list) and i < len(v) else None
                    nxt.append(v)
        cur = [x for x in nxt if x is not None]
    flat = []
    for c in cur:
        flat.extend(c if isinstance(c, list) else [c])
    if multi or len(flat) > 1:
        return ";".join(text_of(x) for x in flat)
    return text_of(flat[0]) if flat else ""


def emit(doc, opts):
    if PROG == "gcloud":
        fmt = one(opts, "--format", "json")
        if fmt.startswith("value(") and fmt.endswith(")"):
            docs = doc if isinstance(doc, list) else [doc]
            lines = ["\t".join(gvalue(d, k.strip()) for k in fmt[6:-1].split(",")) for d in docs]
            return "\n".join(lines) + "\n"
        return json.dumps(doc, indent=2) + "\n"
    q = one(opts, "--query")
    if q:
        import jmespath
        doc = jmespath.search(q, doc)
    out = one(opts, "--output", "json")
    if out in ("text", "tsv"):
        return text_of(doc) + "\n"
    if out == "none":
        return ""
    return json.dumps(doc, indent=2) + "\n"


# ---- AWS -------------------------------------------------------------------------------------

AWS_TYPES = {
    # create op: (type, id prefix, response key, list key for describe)
    "create-vpc": ("vpc", "vpc", "Vpc", "Vpcs", "VpcId"),
    "create-subnet": ("subnet", "subnet", "Subnet", "Subnets", "SubnetId"),
    "create-internet-gateway": ("igw", "igw", "InternetGateway", "InternetGateways", "InternetGatewayId"),
    "create-route-table": ("rtb", "rtb", "RouteTable", "RouteTables", "RouteTableId"),
    "create-vpn-gateway": ("vgw", "vgw", "VpnGateway", "VpnGateways", "VpnGatewayId"),
    "create-customer-gateway": ("cgw", "cgw", "CustomerGateway", "CustomerGateways", "CustomerGatewayId"),
    "create-vpn-connection": ("vpn", "vpn", "VpnConnection", "VpnConnections", "VpnConnectionId"),
    "create-transit-gateway": ("tgw", "tgw", "TransitGateway", "TransitGateways", "TransitGatewayId"),
    "create-transit-gateway-vpc-attachment": ("tgw-attach", "tgw-attach", "TransitGatewayVpcAttachment",
                                              "TransitGatewayVpcAttachments", "TransitGatewayAttachmentId"),
}
DESCRIBE = {v[3]: (v[0], v[4]) for v in AWS_TYPES.values()}
DESCRIBE["TransitGatewayAttachments"] = ("tgw-attach", "TransitGatewayAttachmentId")
DESCRIBE_OPS = {"describe-vpcs": "Vpcs", "describe-subnets": "Subnets", "describe-internet-gateways": "InternetGateways",
                "describe-route-tables": "RouteTables", "describe-vpn-gateways": "VpnGateways",
                "describe-customer-gateways": "CustomerGateways", "describe-vpn-connections": "VpnConnections",
                "describe-transit-gateways": "TransitGateways",
                "describe-transit-gateway-vpc-attachments": "TransitGatewayVpcAttachments",
                "describe-transit-gateway-attachments": "TransitGatewayAttachments"}
ID_FLAGS = {"vpc": "--vpc-ids", "subnet": "--subnet-ids", "igw": "--internet-gateway-ids", "rtb": "--route-table-ids",
            "vgw": "--vpn-gateway-ids", "cgw": "--customer-gateway-ids", "vpn": "--vpn-connection-ids",
            "tgw": "--transit-gateway-ids", "tgw-attach": "--transit-gateway-attachment-ids"}
NOT_FOUND = {"vpc": "InvalidVpcID.NotFound", "subnet": "InvalidSubnetID.NotFound",
             "igw": "InvalidInternetGatewayID.NotFound", "rtb": "InvalidRouteTableID.NotFound",
             "vgw": "InvalidVpnGatewayID.NotFound", "cgw": "InvalidCustomerGatewayID.NotFound",
             "vpn": "InvalidVpnConnectionID.NotFound", "tgw": "InvalidTransitGatewayID.NotFound",
             "tgw-attach": "InvalidTransitGatewayAttachmentID.NotFound",
             "tgw-rtb": "InvalidRouteTableID.NotFound"}


# What ModifyVpnTunnelOptions' TunnelOptions accepts (ModifyVpnTunnelOptionsSpecification).
MODIFIABLE_TUNNEL_OPTIONS = {
    "TunnelInsideCidr", "TunnelInsideIpv6Cidr", "PreSharedKey", "Phase1LifetimeSeconds", "Phase2LifetimeSeconds",
    "RekeyMarginTimeSeconds", "RekeyFuzzPercentage", "ReplayWindowSize", "DPDTimeoutSeconds", "DPDTimeoutAction",
    "Phase1EncryptionAlgorithms", "Phase2EncryptionAlgorithms", "Phase1IntegrityAlgorithms",
    "Phase2IntegrityAlgorithms", "Phase1DHGroupNumbers", "Phase2DHGroupNumbers", "IKEVersions", "StartupAction",
    "LogOptions", "EnableTunnelLifecycleControl"}


def aws_err(op, code, msg, rc=254):
    name = "".join(p.capitalize() for p in op.split("-"))
    raise Exit(rc, f"\nAn error occurred ({code}) when calling the {name} operation: {msg}")


def tags_of(opts):
    spec = one(opts, "--tag-specifications", "")
    tags = []
    for part in spec.split("{Key=")[1:]:
        k, _, rest = part.partition(",Value=")
        tags.append({"Key": k, "Value": rest.split("}")[0]})
    return tags


FILTER_FIELDS = {"vpc-id": "VpcId", "resource-id": "ResourceId", "resource-type": "ResourceType",
                 "transit-gateway-id": "TransitGatewayId"}


def shorthand(text):
    """`K=V,K=V` (the CLI's shorthand syntax for a structure of scalars) as a dict."""
    return dict(kv.split("=", 1) for kv in (text or "").split(",") if "=" in kv)


def settle(r, busy, ready):
    """A resource that is `busy` until its `_ready_at`, then `ready`."""
    if r.get("State") == busy and time.time() >= r.get("_ready_at", 0):
        r["State"] = ready
    return r


def aws_get(w, op, typ, rid):
    r = w["aws"].get(rid)
    if not r or r["_type"] != typ or r.get("State") == "deleted":
        aws_err(op, NOT_FOUND[typ], f"The ID '{rid}' does not exist")
    settle(r, "pending" if typ == "tgw" else "modifying", "available")
    return r


def filters_match(r, filters):
    for f in filters:
        name, _, values = f.partition(",Values=")
        name = name[len("Name="):]
        vals = values.split(",")
        if name.startswith("tag:"):
            have = [t["Value"] for t in r.get("Tags", []) if t["Key"] == name[4:]]
            if not any(v in vals for v in have):
                return False
        elif name == "state":
            if r.get("State", "available") not in vals:
                return False
        elif name in FILTER_FIELDS:
            if str(r.get(FILTER_FIELDS[name])) not in vals:
                return False
        else:
            raise Exit(2, f"standin: filter {name} is not modelled")
    return True


def aws(w, cmd, opts):
    if cmd == "sts get-caller-identity":
        return {"UserId": "AIDASTANDIN", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/standin"}
    op = cmd.split()[1]
    live = lambda typ: [r for r in w["aws"].values() if r["_type"] == typ and r.get("State") != "deleted"]
    if op in AWS_TYPES:
        typ, prefix, key, _, idf = AWS_TYPES[op]
        tags = tags_of(opts)
        name = next((t["Value"] for t in tags if t["Key"] == "Name"), "")
        rid = f"{prefix}-{h(typ, name, json.dumps(sorted(opts.items())), n=17)}"
        r = {"_type": typ, idf: rid, "Tags": tags, "State": "available"}
        if typ == "vpc":
            cidr = one(opts, "--cidr-block")
            r.update(CidrBlock=cidr, CidrBlockAssociationSet=[
                {"AssociationId": f"vpc-cidr-assoc-{h(rid, cidr, n=17)}", "CidrBlock": cidr,
                 "CidrBlockState": {"State": "associated"}}])
        elif typ == "subnet":
            aws_get(w, op, "vpc", one(opts, "--vpc-id"))
            r.update(VpcId=one(opts, "--vpc-id"), CidrBlock=one(opts, "--cidr-block"))
        elif typ == "igw":
            r.update(Attachments=[])
            del r["State"]
        elif typ == "rtb":
            vpc = aws_get(w, op, "vpc", one(opts, "--vpc-id"))
            r.update(VpcId=vpc["VpcId"], Routes=[{"DestinationCidrBlock": vpc["CidrBlock"], "GatewayId": "local"}],
                     Associations=[], PropagatingVgws=[])
            del r["State"]
        elif typ == "vgw":
            r.update(Type="ipsec.1", AmazonSideAsn=int(one(opts, "--amazon-side-asn", "64512")), VpcAttachments=[])
        elif typ == "cgw":
            r.update(Type="ipsec.1", IpAddress=one(opts, "--public-ip"), BgpAsn=one(opts, "--bgp-asn"))
        elif typ == "tgw":
            o = shorthand(one(opts, "--options"))
            rtb = f"tgw-rtb-{h(rid, 'rtb', n=17)}"
            r.update(State="pending", _ready_at=time.time() + float(os.environ.get("STANDIN_TGW_SECS", "0")),
                     Description=one(opts, "--description", ""),
                     Options={"AmazonSideAsn": int(o.get("AmazonSideAsn", "64512")),
                              "VpnEcmpSupport": o.get("VpnEcmpSupport", "enable"),
                              "DefaultRouteTableAssociation": o.get("DefaultRouteTableAssociation", "enable"),
                              "DefaultRouteTablePropagation": o.get("DefaultRouteTablePropagation", "enable"),
                              "AssociationDefaultRouteTableId": rtb, "PropagationDefaultRouteTableId": rtb})
            w["aws"][rtb] = {"_type": "tgw-rtb", "TransitGatewayRouteTableId": rtb, "TransitGatewayId": rid,
                             "State": "available", "Routes": []}
        elif typ == "tgw-attach":
            tgw = aws_get(w, op, "tgw", one(opts, "--transit-gateway-id"))
            if tgw["State"] != "available":
                aws_err(op, "IncorrectState", f"tgw {tgw['TransitGatewayId']} is in invalid state")
            aws_get(w, op, "vpc", one(opts, "--vpc-id"))
            for sub in opts.get("--subnet-ids", []):
                aws_get(w, op, "subnet", sub)
            r.update(TransitGatewayId=tgw["TransitGatewayId"], VpcId=one(opts, "--vpc-id"), ResourceType="vpc",
                     ResourceId=one(opts, "--vpc-id"), SubnetIds=opts.get("--subnet-ids", []))
        elif typ == "vpn":
            aws_get(w, op, "cgw", one(opts, "--customer-gateway-id"))
            target = {}
            if "--transit-gateway-id" in opts:
                tgw = aws_get(w, op, "tgw", one(opts, "--transit-gateway-id"))
                if tgw["State"] != "available":
                    aws_err(op, "IncorrectState", f"tgw {tgw['TransitGatewayId']} is in invalid state")
                target["TransitGatewayId"] = tgw["TransitGatewayId"]
                att = f"tgw-attach-{h(rid, 'vpn', n=17)}"
                w["aws"][att] = {"_type": "tgw-attach", "TransitGatewayAttachmentId": att, "State": "available",
                                 "TransitGatewayId": tgw["TransitGatewayId"], "ResourceType": "vpn",
                                 "ResourceId": rid, "Tags": []}
            else:
                target["VpnGatewayId"] = aws_get(w, op, "vgw", one(opts, "--vpn-gateway-id"))["VpnGatewayId"]
            options = json.loads(one(opts, "--options", "{}"))
            tunnels = []
            # AWS never hands out one outside address twice; the hash has 500 values, so draw again
            # on a clash with any VPN connection's tunnel (one in five 16-tunnel plans clashed).
            taken = {x.get("OutsideIpAddress") for v in w["aws"].values() if isinstance(v, dict) and v.get("_type") == "vpn"
                     for x in v.get("Options", {}).get("TunnelOptions", [])}
            for i, t in enumerate(options.get("TunnelOptions", [{}, {}])):
                ip, salt = ip_of(rid, str(i)), 0
                while ip in taken:
                    salt += 1
                    ip = ip_of(rid, str(i), str(salt))
                taken.add(ip)
                tunnels.append(dict(t, OutsideIpAddress=ip))
            r.update(Type="ipsec.1", CustomerGatewayId=one(opts, "--customer-gateway-id"), **target, Routes=[],
                     Options={"StaticRoutesOnly": options.get("StaticRoutesOnly", False), "TunnelOptions": tunnels},
                     VgwTelemetry=[{"OutsideIpAddress": t["OutsideIpAddress"], "Status": "UP",
                                    "StatusMessage": "2 BGP ROUTES", "AcceptedRouteCount": 2} for t in tunnels])
        w["aws"][rid] = r
        created(w, f"aws {typ} {name}")
        return {key: {k: v for k, v in r.items() if not k.startswith("_")}}
    if op == "describe-availability-zones":
        # Three available zones in every region (commercial regions have at least three); the
        # filters the generator passes (zone type, state) select all of them.
        region = one(opts, "--region", "us-east-1")
        return {"AvailabilityZones": [{"ZoneName": f"{region}{s}", "State": "available", "RegionName": region,
                                       "ZoneType": "availability-zone"} for s in "abc"]}
    if op in DESCRIBE_OPS:
        lst = DESCRIBE_OPS[op]
        typ, idf = DESCRIBE[lst]
        ids = opts.get(ID_FLAGS[typ], [])
        if ids:
            items = [aws_get(w, op, typ, i) for i in ids]
        else:
            items = [r for r in w["aws"].values() if r["_type"] == typ and filters_match(r, opts.get("--filters", []))]
        if lst == "TransitGatewayVpcAttachments":
            items = [r for r in items if r.get("ResourceType") == "vpc"]
        for r in items:
            settle(r, "pending" if typ == "tgw" else "modifying", "available")
        return {lst: [{k: v for k, v in r.items() if not k.startswith("_")} for r in items]}
    if op == "associate-vpc-cidr-block":
        vpc = aws_get(w, op, "vpc", one(opts, "--vpc-id"))
        a = {"AssociationId": f"vpc-cidr-assoc-{h(vpc['VpcId'], one(opts, '--cidr-block'), n=17)}",
             "CidrBlock": one(opts, "--cidr-block"), "CidrBlockState": {"State": "associated"}}
        vpc["CidrBlockAssociationSet"].append(a)
        return {"CidrBlockAssociation": a, "VpcId": vpc["VpcId"]}
    if op == "attach-internet-gateway":
        igw = aws_get(w, op, "igw", one(opts, "--internet-gateway-id"))
        aws_get(w, op, "vpc", one(opts, "--vpc-id"))
        if igw["Attachments"]:
            aws_err(op, "Resource.AlreadyAssociated", "resource is already attached")
        igw["Attachments"] = [{"State": "available", "VpcId": one(opts, "--vpc-id")}]
        created(w, f"aws igw-attachment {igw['InternetGatewayId']}")
        return None
    if op == "detach-internet-gateway":
        igw = aws_get(w, op, "igw", one(opts, "--internet-gateway-id"))
        if not igw["Attachments"]:
            aws_err(op, "Gateway.NotAttached", "resource is not attached")
        igw["Attachments"] = []
        return None
    if op == "create-route":
        rt = aws_get(w, op, "rtb", one(opts, "--route-table-id"))
        dest = one(opts, "--destination-cidr-block")
        if any(r["DestinationCidrBlock"] == dest for r in rt["Routes"]):
            aws_err(op, "RouteAlreadyExists", f"The route identified by {dest} already exists.")
        # The target as describe-route-tables shows it (Route: GatewayId, NetworkInterfaceId, ...).
        names = {"--gateway-id": "GatewayId", "--network-interface-id": "NetworkInterfaceId",
                 "--transit-gateway-id": "TransitGatewayId"}
        target = {names[k]: v[0] for k, v in opts.items() if k in names}
        if "--transit-gateway-id" in opts:
            aws_get(w, op, "tgw", one(opts, "--transit-gateway-id"))
        rt["Routes"].append({"DestinationCidrBlock": dest, **target})
        created(w, f"aws route {rt['RouteTableId']} {dest}")
        return {"Return": True}
    if op == "associate-route-table":
        rt = aws_get(w, op, "rtb", one(opts, "--route-table-id"))
        sub = aws_get(w, op, "subnet", one(opts, "--subnet-id"))
        if any(a["SubnetId"] == sub["SubnetId"] for a in rt["Associations"]):
            aws_err(op, "Resource.AlreadyAssociated", "the subnet is already associated")
        aid = f"rtbassoc-{h(rt['RouteTableId'], sub['SubnetId'], n=17)}"
        rt["Associations"].append({"RouteTableAssociationId": aid, "SubnetId": sub["SubnetId"],
                                   "RouteTableId": rt["RouteTableId"]})
        created(w, f"aws rtb-association {aid}")
        return {"AssociationId": aid, "AssociationState": {"State": "associated"}}
    if op == "disassociate-route-table":
        aid = one(opts, "--association-id")
        for rt in live("rtb"):
            if any(a["RouteTableAssociationId"] == aid for a in rt["Associations"]):
                rt["Associations"] = [a for a in rt["Associations"] if a["RouteTableAssociationId"] != aid]
                return None
        aws_err(op, "InvalidAssociationID.NotFound", f"The association ID '{aid}' does not exist")
    if op == "attach-vpn-gateway":
        vgw = aws_get(w, op, "vgw", one(opts, "--vpn-gateway-id"))
        aws_get(w, op, "vpc", one(opts, "--vpc-id"))
        if any(a["State"] == "attached" for a in vgw["VpcAttachments"]):
            aws_err(op, "VpnGatewayAttachmentLimitExceeded", "the gateway is already attached")
        vgw["VpcAttachments"] = [{"VpcId": one(opts, "--vpc-id"), "State": "attached"}]
        created(w, f"aws vgw-attachment {vgw['VpnGatewayId']}")
        return {"VpcAttachment": {"VpcId": one(opts, "--vpc-id"), "State": "attaching"}}
    if op == "detach-vpn-gateway":
        vgw = aws_get(w, op, "vgw", one(opts, "--vpn-gateway-id"))
        if not any(a["State"] == "attached" for a in vgw["VpcAttachments"]):
            aws_err(op, "InvalidVpnGatewayAttachment.NotFound", "the attachment does not exist")
        vgw["VpcAttachments"] = [{"VpcId": one(opts, "--vpc-id"), "State": "detached"}]
        return None
    if op == "create-vpn-connection-route":
        vpn = aws_get(w, op, "vpn", one(opts, "--vpn-connection-id"))
        vpn["Routes"].append({"DestinationCidrBlock": one(opts, "--destination-cidr-block"), "State": "available"})
        return None
    if op == "delete-route":
        rt = aws_get(w, op, "rtb", one(opts, "--route-table-id"))
        dest = one(opts, "--destination-cidr-block")
        if not any(r["DestinationCidrBlock"] == dest for r in rt["Routes"]):
            aws_err(op, "InvalidRoute.NotFound", f"no route with destination-cidr-block {dest} in route table {rt['RouteTableId']}")
        rt["Routes"] = [r for r in rt["Routes"] if r["DestinationCidrBlock"] != dest]
        return None
    if op == "create-transit-gateway-route":
        rtb = aws_get(w, op, "tgw-rtb", one(opts, "--transit-gateway-route-table-id"))
        dest = one(opts, "--destination-cidr-block")
        att = aws_get(w, op, "tgw-attach", one(opts, "--transit-gateway-attachment-id"))
        if any(r["DestinationCidrBlock"] == dest for r in rtb["Routes"]):
            aws_err(op, "RouteAlreadyExists", f"Route {dest} already exists in Transit Gateway Route Table {rtb['TransitGatewayRouteTableId']}.")
        route = {"DestinationCidrBlock": dest, "Type": "static", "State": "active", "TransitGatewayAttachments": [
            {"TransitGatewayAttachmentId": att["TransitGatewayAttachmentId"], "ResourceId": att["ResourceId"],
             "ResourceType": att["ResourceType"]}]}
        rtb["Routes"].append(route)
        created(w, f"aws tgw-route {rtb['TransitGatewayRouteTableId']} {dest}")
        return {"Route": route}
    if op == "delete-transit-gateway-route":
        rtb = aws_get(w, op, "tgw-rtb", one(opts, "--transit-gateway-route-table-id"))
        dest = one(opts, "--destination-cidr-block")
        if not any(r["DestinationCidrBlock"] == dest for r in rtb["Routes"]):
            aws_err(op, "InvalidRoute.NotFound", f"No route with destination-cidr-block {dest} in Transit Gateway Route Table {rtb['TransitGatewayRouteTableId']}")
        rtb["Routes"] = [r for r in rtb["Routes"] if r["DestinationCidrBlock"] != dest]
        return {"Route": {"DestinationCidrBlock": dest, "State": "deleted"}}
    if op == "search-transit-gateway-routes":
        # SearchTransitGatewayRoutes: the table's routes that match every filter (the check of a
        # create-transit-gateway-route, and drift, ask with route-search.exact-match).
        rtb = aws_get(w, op, "tgw-rtb", one(opts, "--transit-gateway-route-table-id"))
        routes = rtb["Routes"]
        fields = {"route-search.exact-match": "DestinationCidrBlock", "type": "Type", "state": "State"}
        for f in opts.get("--filters", []):
            name, _, values = f.partition(",Values=")
            name = name[len("Name="):]
            if name not in fields:
                raise Exit(2, f"standin: filter {name} is not modelled")
            routes = [r for r in routes if r.get(fields[name]) in values.split(",")]
        return {"Routes": routes, "AdditionalRoutesAvailable": False}
    if op == "modify-vpn-tunnel-options":
        # ModifyVpnTunnelOptions: one tunnel, named by its outside address; the connection is
        # `modifying` meanwhile and refuses another modification (IncorrectState) until done.
        # On AWS that lasts minutes (the Terraform AWS provider waits up to 30 from `modifying` to
        # `available`); here it lasts until STANDIN_MODIFY_SECS have passed and the connection is
        # described by its ID, so a search by tags and `state` filter still sees `modifying`.
        vpn = aws_get(w, op, "vpn", one(opts, "--vpn-connection-id"))
        if vpn["State"] == "modifying":
            aws_err(op, "IncorrectState", f"Vpn connection {vpn['VpnConnectionId']} is in modifying state")
        ip = one(opts, "--vpn-tunnel-outside-ip-address")
        tun = next((x for x in vpn["Options"]["TunnelOptions"] if x["OutsideIpAddress"] == ip), None)
        if tun is None:
            aws_err(op, "InvalidParameterValue", f"Tunnel with outside IP address {ip} does not exist in {vpn['VpnConnectionId']}")
        spec = json.loads(one(opts, "--tunnel-options"))
        bad = sorted(set(spec) - MODIFIABLE_TUNNEL_OPTIONS)
        if bad:
            raise Exit(252, f"\nParameter validation failed:\nUnknown parameter in TunnelOptions: \"{bad[0]}\", must be one of: {', '.join(sorted(MODIFIABLE_TUNNEL_OPTIONS))}")
        tun.update(spec)
        vpn["State"] = "modifying"
        vpn["_modifying"] = ip
        vpn["_ready_at"] = time.time() + float(os.environ.get("STANDIN_MODIFY_SECS", "0"))
        return {"VpnConnection": {k: v for k, v in vpn.items() if not k.startswith("_")}}
    if op == "modify-vpn-connection-options":
        vpn = aws_get(w, op, "vpn", one(opts, "--vpn-connection-id"))
        for flag, key in (("--local-ipv4-network-cidr", "LocalIpv4NetworkCidr"), ("--remote-ipv4-network-cidr", "RemoteIpv4NetworkCidr")):
            if flag in opts:
                vpn["Options"][key] = one(opts, flag)
        return {"VpnConnection": {k: v for k, v in vpn.items() if not k.startswith("_")}}
    if op == "enable-vgw-route-propagation":
        rt = aws_get(w, op, "rtb", one(opts, "--route-table-id"))
        gw = one(opts, "--gateway-id")
        if not any(p["GatewayId"] == gw for p in rt["PropagatingVgws"]):
            rt["PropagatingVgws"].append({"GatewayId": gw})
        return None
    if op.startswith("delete-"):
        typ = {"delete-vpc": "vpc", "delete-subnet": "subnet", "delete-internet-gateway": "igw",
               "delete-route-table": "rtb", "delete-vpn-gateway": "vgw", "delete-customer-gateway": "cgw",
               "delete-vpn-connection": "vpn", "delete-transit-gateway": "tgw",
               "delete-transit-gateway-vpc-attachment": "tgw-attach"}.get(op)
        if typ is None:
            raise Exit(2, f"standin: aws ec2 {op} is not modelled")
        flag = [k for k in opts if k.endswith("-id")][0]
        r = aws_get(w, op, typ, one(opts, flag))
        rid = one(opts, flag)
        busy = []
        if typ == "vpc":
            busy = [x for x in live("subnet") + live("rtb") if x.get("VpcId") == rid]
            busy += [x for x in live("igw") if any(a["VpcId"] == rid for a in x["Attachments"])]
            busy += [x for x in live("vgw") if any(a["VpcId"] == rid and a["State"] == "attached" for a in x["VpcAttachments"])]
        elif typ == "igw":
            busy = r["Attachments"]
        elif typ == "rtb":
            busy = r["Associations"]
        elif typ == "vgw":
            busy = [a for a in r["VpcAttachments"] if a["State"] == "attached"]
            busy += [x for x in live("vpn") if x.get("VpnGatewayId") == rid]
        elif typ == "cgw":
            busy = [x for x in live("vpn") if x.get("CustomerGatewayId") == rid]
        elif typ == "tgw":
            busy = [x for x in live("tgw-attach") if x.get("TransitGatewayId") == rid]
            if busy:
                aws_err(op, "IncorrectState", f"tgw {rid} has non-deleted Transit Gateway Attachments: {busy[0]['TransitGatewayAttachmentId']}.")
        elif typ == "vpc":
            busy += [x for x in live("tgw-attach") if x.get("ResourceType") == "vpc" and x.get("VpcId") == rid]
        if busy:
            aws_err(op, "DependencyViolation", f"The {typ} '{rid}' has dependencies and cannot be deleted.")
        if typ == "vpn":
            for a in live("tgw-attach"):
                if a.get("ResourceId") == rid:
                    a["State"] = "deleted"
        if typ == "tgw":
            for t in live("tgw-rtb"):
                if t.get("TransitGatewayId") == rid:
                    t["State"] = "deleted"
        if typ in ("vgw", "cgw", "vpn", "tgw", "tgw-attach"):
            r["State"] = "deleted"
        else:
            del w["aws"][rid]
        return None
    raise Exit(2, f"standin: aws {cmd} is not modelled")


# ---- Azure -----------------------------------------------------------------------------------

AZ_WRAP = {"vnet": "newVNet", "public-ip": "publicIp", "nsg": "NewNSG", "nic": "NewNIC", "vpn-connection": "resource"}
AZ_PROVIDER = {"vnet": "virtualNetworks", "vnet subnet": "virtualNetworks/subnets", "public-ip": "publicIPAddresses",
               "vnet-gateway": "virtualNetworkGateways", "local-gateway": "localNetworkGateways",
               "vpn-connection": "connections", "nsg": "networkSecurityGroups", "nsg rule": "securityRules",
               "nic": "networkInterfaces", "route-table": "routeTables", "route-table route": "routes"}
AZ_PARENT = {"vnet subnet": ("--vnet-name", "vnet"), "nsg rule": ("--nsg-name", "nsg"),
             "route-table route": ("--route-table-name", "route-table")}


def az_key(kind, rg, name, opts):
    parent = ""
    if kind in AZ_PARENT:
        parent = one(opts, AZ_PARENT[kind][0]) + "/"
    return f"{rg}/{kind}/{parent}{name}"


def az_not_found(kind, name, rg):
    raise Exit(3, f"ERROR: (ResourceNotFound) The Resource 'Microsoft.Network/{AZ_PROVIDER.get(kind, kind)}/{name}' "
                  f"under resource group '{rg}' was not found.\nCode: ResourceNotFound")


def az_set(doc, path, value):
    try:
        value = json.loads(value)
    except ValueError:
        pass
    cur = doc
    segs = path.split(".")
    for i, seg in enumerate(segs):
        name, _, idx = seg.partition("[")
        last = i == len(segs) - 1
        if idx:
            lst = cur.setdefault(name, [])
            k = int(idx.rstrip("]"))
            while len(lst) <= k:
                lst.append({})
            if last:
                lst[k] = value
            cur = lst[k]
        elif last:
            cur[name] = value
        else:
            cur = cur.setdefault(name, {})


def az_gateway_key(ref, rg):
    """The store key of a virtual network gateway named by name (in `rg`) or by resource ID."""
    m = re.match(r"/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft.Network/virtualNetworkGateways/([^/]+)$", ref or "", re.I)
    return f"{m.group(1)}/vnet-gateway/{m.group(2)}" if m else f"{rg}/vnet-gateway/{ref}"


def gateway_state(g):
    if g.get("provisioningState") == "Updating":
        if time.time() >= g["_ready_at"]:
            g["provisioningState"] = "Succeeded"
    return g


def az(w, cmd, opts):
    words = cmd.split()
    if cmd == "account show":
        return {"id": SUB, "name": "Standin Subscription", "user": {"name": "standin@example.com", "type": "user"}}
    rg = one(opts, "--resource-group")
    store = w["az"]
    if words[0] == "group":
        name = one(opts, "--name")
        key = f"{name}/group/{name}"
        if words[1] == "exists":
            return key in store
        if words[1] == "create":
            g = store.setdefault(key, {"id": f"/subscriptions/{SUB}/resourceGroups/{name}", "name": name,
                                       "location": one(opts, "--location"), "properties": {}})
            g["properties"]["provisioningState"] = "Succeeded"
            created(w, f"az group {name}")
            return g
        if key not in store:
            raise Exit(3, f"ERROR: (ResourceGroupNotFound) Resource group '{name}' could not be found.\nCode: ResourceGroupNotFound")
        if words[1] == "delete":
            for k in [k for k in store if k.startswith(name + "/")]:
                del store[k]
            return None
        return store[key]
    verb = words[-1]
    kind = " ".join(words[1:-1])
    if kind == "vpn-connection ipsec-policy":
        ckey = f"{rg}/vpn-connection/{one(opts, '--connection-name')}"
        if ckey not in store:
            az_not_found("vpn-connection", one(opts, "--connection-name"), rg)
        conn = store[ckey]
        if verb == "add":
            # The policy as `ipsec-policy list` shows it (IpsecPolicy: the eight fields, sizes as numbers).
            conn.setdefault("ipsecPolicies", []).append(
                {"saLifeTimeSeconds": int(one(opts, "--sa-lifetime")), "saDataSizeKilobytes": int(one(opts, "--sa-max-size")),
                 "dhGroup": one(opts, "--dh-group"), "pfsGroup": one(opts, "--pfs-group"),
                 "ikeEncryption": one(opts, "--ike-encryption"), "ikeIntegrity": one(opts, "--ike-integrity"),
                 "ipsecEncryption": one(opts, "--ipsec-encryption"), "ipsecIntegrity": one(opts, "--ipsec-integrity")})
            created(w, f"az ipsec-policy {ckey}")
            return conn["ipsecPolicies"]
        if verb == "clear":
            conn["ipsecPolicies"] = []
            return None if "--no-wait" in opts else {k: v for k, v in conn.items() if not k.startswith("_") and k != "sharedKey"}
        return conn.get("ipsecPolicies", [])
    if kind == "vpn-connection shared-key":
        ckey = f"{rg}/vpn-connection/{one(opts, '--connection-name')}"
        if ckey not in store:
            az_not_found("vpn-connection", one(opts, "--connection-name"), rg)
        if verb == "update":
            store[ckey]["sharedKey"] = one(opts, "--value")
        # The key itself is what `shared-key show` returns; tunnelsmith never asks for it.
        return {"id": f"{store[ckey]['id']}/sharedkey", "value": store[ckey]["sharedKey"]}
    if f"{rg}/group/{rg}" not in store:
        raise Exit(3, f"ERROR: (ResourceGroupNotFound) Resource group '{rg}' could not be found.\nCode: ResourceGroupNotFound")
    name = one(opts, "--name")
    key = az_key(kind, rg, name, opts)
    if verb == "create":
        if kind in AZ_PARENT:
            pkey = f"{rg}/{AZ_PARENT[kind][1]}/{one(opts, AZ_PARENT[kind][0])}"
            if pkey not in store:
                az_not_found(AZ_PARENT[kind][1], one(opts, AZ_PARENT[kind][0]), rg)
        r = {"id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/"
                   f"{AZ_PROVIDER.get(kind, kind)}/{name}", "name": name, "provisioningState": "Succeeded",
             "location": one(opts, "--location")}
        if kind == "public-ip":
            r["ipAddress"] = ip_of(rg, name)
        if kind == "vnet subnet":
            r["addressPrefix"] = one(opts, "--address-prefixes")
        if kind == "vnet-gateway":
            vnet = f"{rg}/vnet/{one(opts, '--vnet')}"
            if vnet not in store or f"{rg}/vnet subnet/{one(opts, '--vnet')}/GatewaySubnet" not in store:
                raise Exit(1, "ERROR: (InvalidRequestFormat) the virtual network has no GatewaySubnet")
            pips = opts.get("--public-ip-addresses", [])
            for p in pips:
                if f"{rg}/public-ip/{p}" not in store:
                    az_not_found("public-ip", p, rg)
            # The gateway's default BGP addresses are its instances' private addresses in the
            # GatewaySubnet [AZ-BGP]: as Azure hands them out, the subnet's last usable address for
            # an active-standby gateway, its fifth and sixth (.4, .5) for the two active-active
            # instances. VNet-to-VNet BGP runs between these [AZ-V2V].
            import ipaddress  # here: only a gateway's creation needs it (start-up cost)
            gsub = ipaddress.ip_network(store[f"{rg}/vnet subnet/{one(opts, '--vnet')}/GatewaySubnet"].get("addressPrefix") or "192.168.1.0/27")
            default_bgp = [str(gsub.broadcast_address - 1)] if len(pips) == 1 else [str(gsub.network_address + 4 + i) for i in range(len(pips))]
            # As `vnet-gateway show` prints it: the SKU as {name, tier}, the types, BGP settings.
            sku = one(opts, "--sku", "VpnGw1")
            r.update(provisioningState="Updating", _ready_at=time.time() + float(os.environ.get("STANDIN_GATEWAY_SECS", "0")),
                     vnet=one(opts, "--vnet"), publicIps=pips, sku={"name": sku, "tier": sku},
                     gatewayType=one(opts, "--gateway-type", "Vpn"), vpnType=one(opts, "--vpn-type", "RouteBased"),
                     activeActive=len(pips) > 1, enableBgp="--asn" in opts,
                     bgpSettings={"asn": int(one(opts, "--asn", "65515")), "bgpPeeringAddresses": [
                         {"ipconfigurationId": f"{r['id']}/ipConfigurations/vnetGatewayConfig{i}",
                          "customBgpIpAddresses": [], "defaultBgpIpAddresses": [default_bgp[i]],
                          "tunnelIpAddresses": [ip_of(rg, pips[i])]}
                         for i in range(len(pips))]})
            if key in store:
                raise Exit(1, "ERROR: (AnotherOperationInProgress) Another operation on this or dependent resource is in progress.")
        if kind == "route-table route":
            r.update(addressPrefix=one(opts, "--address-prefix"), nextHopType=one(opts, "--next-hop-type"))
            if "--next-hop-ip-address" in opts:
                r["nextHopIpAddress"] = one(opts, "--next-hop-ip-address")
        if kind == "local-gateway":
            r.update(gatewayIpAddress=one(opts, "--gateway-ip-address"),
                     localNetworkAddressSpace={"addressPrefixes": opts.get("--local-address-prefixes", [])})
            if "--asn" in opts:
                r["bgpSettings"] = {"asn": int(one(opts, "--asn")), "bgpPeeringAddress": one(opts, "--bgp-peering-address")}
        if kind == "vpn-connection":
            gw = store.get(f"{rg}/vnet-gateway/{one(opts, '--vnet-gateway1')}")
            if gw is None:
                az_not_found("vnet-gateway", one(opts, "--vnet-gateway1"), rg)
            if gateway_state(gw)["provisioningState"] != "Succeeded":
                raise Exit(1, "ERROR: (AnotherOperationInProgress) Another operation on this or dependent resource is in progress.")
            if "--vnet-gateway2" in opts:
                # VNet-to-VNet: the other gateway by name (this group) or resource ID [AZ-V2V].
                gw2 = az_gateway_key(one(opts, "--vnet-gateway2"), rg)
                if gw2 not in store:
                    az_not_found("vnet-gateway", one(opts, "--vnet-gateway2"), rg)
                r.update(connectionType="Vnet2Vnet", virtualNetworkGateway2={"id": store[gw2]["id"]})
            else:
                if f"{rg}/local-gateway/{one(opts, '--local-gateway2')}" not in store:
                    az_not_found("local-gateway", one(opts, "--local-gateway2"), rg)
                r.update(connectionType="IPsec", localGateway=one(opts, "--local-gateway2"))
            r.update(gateway=one(opts, "--vnet-gateway1"), sharedKey=one(opts, "--shared-key"),
                     connectionStatus="Connected", enableBgp="--enable-bgp" in opts)
        # Azure create is a PUT: the same name again updates it, but some properties cannot change.
        old = store.get(key)
        if old is not None:
            if old.get("location") and r.get("location") and old["location"] != r["location"]:
                raise Exit(1, f"ERROR: (InvalidResourceLocation) The resource '{name}' already exists in location "
                              f"'{old['location']}' in resource group '{rg}'. A resource with the same name cannot be "
                              f"created in location '{r['location']}'. Please select a new resource name.")
            ends = ("gateway", "localGateway", "virtualNetworkGateway2")
            if kind == "vpn-connection" and [old.get(k) for k in ends] != [r.get(k) for k in ends]:
                raise Exit(1, "ERROR: (VirtualNetworkGatewayConnectionCannotChangeGateways) The virtual network "
                              "gateways of an existing connection cannot be changed.")
            for k in ("ipsecPolicies", "gatewayCustomBgpIpAddresses", "dpdTimeoutSeconds"):
                if k in old and k not in r:
                    r[k] = old[k]
        store[key] = r
        created(w, f"az {kind} {key}")
        if "--no-wait" in opts:
            return None
        shown = {k: v for k, v in r.items() if not k.startswith("_") and k != "sharedKey"}
        return {AZ_WRAP[kind]: shown} if kind in AZ_WRAP else shown
    if verb == "list-bgp-peer-status":
        gw = store.get(key)
        if gw is None:
            az_not_found(kind, name, rg)
        return {"value": [{"neighbor": one(opts, "--peer"), "asn": 65000, "state": "Connected", "routesReceived": 4}]}
    if key not in store:
        if verb == "delete":
            return None  # Azure answers 204 for a resource already gone
        az_not_found(kind, name, rg)
    r = store[key]
    if kind == "vnet-gateway":
        gateway_state(r)
    if verb == "show":
        return {k: v for k, v in r.items() if not k.startswith("_") and k != "sharedKey"}
    if verb == "update":
        for s in opts.get("--set", []):
            path, _, value = s.partition("=")
            az_set(r, path, value)
        if kind == "vpn-connection" and "--enable-bgp" in opts:
            # az's three-state flag: `--enable-bgp true|false` (the property `enableBgp`) [AZ-CONN].
            r["enableBgp"] = one(opts, "--enable-bgp").lower() in ("true", "yes", "1")
        if kind == "vnet-gateway":
            # A gateway is resized within its SKU family: not to or from Basic (a new gateway).
            if "--sku" in opts:
                sku = one(opts, "--sku")
                if (sku.lower() == "basic") != (r["sku"]["name"].lower() == "basic"):
                    raise Exit(1, f"ERROR: (BadRequest) A {r['sku']['name']} gateway cannot be resized "
                                  f"to {sku}: delete the gateway and create it again.")
                r["sku"] = {"name": sku, "tier": sku}
            if "--asn" in opts:
                r.setdefault("bgpSettings", {})["asn"] = int(one(opts, "--asn"))
        if kind == "local-gateway":
            if "--gateway-ip-address" in opts:
                r["gatewayIpAddress"] = one(opts, "--gateway-ip-address")
            if "--local-address-prefixes" in opts:
                r["localNetworkAddressSpace"] = {"addressPrefixes": opts["--local-address-prefixes"]}
            if "--asn" in opts:
                r.setdefault("bgpSettings", {})["asn"] = int(one(opts, "--asn"))
            if "--bgp-peering-address" in opts:
                r.setdefault("bgpSettings", {})["bgpPeeringAddress"] = one(opts, "--bgp-peering-address")
        return {k: v for k, v in r.items() if not k.startswith("_") and k != "sharedKey"}
    if verb == "delete":
        users = []
        if kind == "vnet":
            users = [k for k, v in store.items() if "/vnet-gateway/" in k and v.get("vnet") == name]
        elif kind == "public-ip":
            users = [k for k, v in store.items() if "/vnet-gateway/" in k and name in v.get("publicIps", [])]
        elif kind == "vnet-gateway":
            users = [k for k, v in store.items() if "/vpn-connection/" in k
                     and ((k.startswith(rg + "/") and v.get("gateway") == name)
                          or v.get("virtualNetworkGateway2", {}).get("id") == r["id"])]
        elif kind == "local-gateway":
            users = [k for k, v in store.items() if "/vpn-connection/" in k and v.get("localGateway") == name]
        if users:
            raise Exit(1, f"ERROR: (InUseSubnetCannotBeDeleted) {name} is in use by {users[0]} and cannot be deleted.")
        for k in [k for k in store if k == key or k.startswith(f"{rg}/{kind} ") and f"/{name}/" in k]:
            del store[k]
        return None
    raise Exit(2, f"standin: az {cmd} is not modelled")


# ---- Google Cloud ----------------------------------------------------------------------------

def g_not_found(cmd, coll, name, region):
    where = f"regions/{region}" if region else "global"
    raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) Could not fetch resource:\n"
                  f" - The resource 'projects/{PROJECT}/{where}/{coll}/{name}' was not found\n")


def g_advertise(d, opts):
    """A router's `bgp` or a BGP peer as Compute Engine holds them: advertiseMode upper case,
    advertisedIpRanges as [{"range": ...}] (`RANGE=DESCRIPTION` keeps the range)."""
    if "--advertisement-mode" in opts:
        d["advertiseMode"] = one(opts, "--advertisement-mode").upper()
    if "--set-advertisement-ranges" in opts:
        d["advertisedIpRanges"] = [{"range": x.split("=")[0]}
                                   for x in ",".join(opts["--set-advertisement-ranges"]).split(",") if x]


def g_firewall(r, opts):
    """A firewall rule's fields as `firewall-rules describe` shows them: sourceRanges, targetTags
    and destinationRanges as lists, allowed as [{"IPProtocol": p, "ports": [...]}]."""
    for flag, field in (("--source-ranges", "sourceRanges"), ("--target-tags", "targetTags"),
                        ("--destination-ranges", "destinationRanges")):
        if flag in opts:
            r[field] = [x for x in ",".join(opts[flag]).split(",") if x]
    if "--allow" in opts:
        allowed = []
        for x in ",".join(opts["--allow"]).split(","):
            proto, _, port = x.partition(":")
            rule = next((a for a in allowed if a["IPProtocol"] == proto), None)
            if rule is None:
                rule = {"IPProtocol": proto}
                allowed.append(rule)
            if port:
                rule.setdefault("ports", []).append(port)
        r["allowed"] = allowed
    if "--direction" in opts:
        r["direction"] = one(opts, "--direction")


def g_tunnel(r):
    """A Cloud VPN tunnel as `vpn-tunnels describe --format json` shows it (the Compute Engine
    VpnTunnel resource [GCE-TUN]): ikeVersion and the interfaces as numbers, the gateways and the
    router as resource URLs, the ciphers as cipherSuite.phase1/phase2 lists. (The world keeps
    what create was given, by flag name, for the timeline.) Never the secret."""
    url = lambda where, c, n: f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/{where}/{c}/{n}"
    region = f"regions/{r.get('region')}"
    out = {k: r[k] for k in ("name", "kind", "region", "selfLink", "status", "detailedStatus", "description") if k in r}
    out["ikeVersion"] = int(r.get("ike-version", 2))
    if "vpn-gateway" in r:
        out.update(vpnGateway=url(region, "vpnGateways", r["vpn-gateway"]), vpnGatewayInterface=int(r.get("interface", 0)))
    if "peer-external-gateway" in r:
        out.update(peerExternalGateway=url("global", "externalVpnGateways", r["peer-external-gateway"]),
                   peerExternalGatewayInterface=int(r.get("peer-external-gateway-interface", 0)))
    if "peer-gcp-gateway" in r:
        gw = r["peer-gcp-gateway"]
        out["peerGcpGateway"] = gw if "/" in gw else url(region, "vpnGateways", gw)
    if "router" in r:
        out["router"] = url(region, "routers", r["router"])
    suite = {}
    for phase, fields in (("phase1", ("encryption", "integrity", "prf", "dh")), ("phase2", ("encryption", "integrity", "pfs"))):
        for f in fields:
            if f"{phase}-{f}" in r:
                suite.setdefault(phase, {})[f] = [x for x in r[f"{phase}-{f}"].split(",") if x]
    if suite:
        out["cipherSuite"] = suite
    return out


def gcloud(w, cmd, opts, pos):
    if cmd == "config list":
        if os.environ.get("STANDIN_NO_PROJECT"):
            return {"core": {"account": "standin@example.com"}}
        return {"core": {"account": "standin@example.com", "project": PROJECT}}
    words = cmd.split()
    if words[0] == "beta":  # the same resources as GA
        words = words[1:]
        cmd = " ".join(words)
    verb = words[-1]
    coll = ".".join(words[1:-1])
    name = pos[0] if pos else ""
    region = one(opts, "--region")
    store = w["gcloud"]
    key = f"{coll}/{name}"
    if verb == "create":
        if key in store:
            raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) Could not fetch resource:\n"
                          f" - The resource 'projects/{PROJECT}/{coll}/{name}' already exists\n")
        r = {"name": name, "kind": f"compute#{coll}", "region": region,
             "selfLink": f"https://compute.googleapis.com/compute/v1/projects/{PROJECT}/{coll}/{name}"}
        for k, v in opts.items():
            if k not in ("--format", "--quiet", "--region") and v:
                r[k[2:]] = v[0]
        needs = {"network": "networks", "router": "routers", "vpn-gateway": "vpn-gateways",
                 "peer-external-gateway": "external-vpn-gateways"}
        for field, c in needs.items():
            if field in r and f"{c}/{r[field]}" not in store:
                g_not_found(f"compute {c} describe", c, r[field], region)
        if coll == "vpn-gateways":
            r["vpnInterfaces"] = [{"id": i, "ipAddress": ip_of(name, str(i))} for i in range(2)]
        if coll == "external-vpn-gateways":
            ifs = [x.split("=") for x in r.get("interfaces", "").split(",") if x]
            r["interfaces"] = [{"id": int(a), "ipAddress": b} for a, b in ifs]
            r["redundancyType"] = {1: "SINGLE_IP_INTERNALLY_REDUNDANT", 2: "TWO_IPS_REDUNDANCY"}.get(len(ifs), "FOUR_IPS_REDUNDANCY")
        if coll == "routers":
            r.update(bgp={"asn": int(r.get("asn", 0)), "advertiseMode": "DEFAULT"}, interfaces=[], bgpPeers=[])
            g_advertise(r["bgp"], opts)
        if coll == "firewall-rules":
            g_firewall(r, opts)
        if coll == "routes":
            # As `routes describe` shows it: destRange, nextHopIp or a tunnel's URL, priority.
            r.update(destRange=one(opts, "--destination-range"), priority=int(one(opts, "--priority", "1000")))
            if "--next-hop-address" in opts:
                r["nextHopIp"] = one(opts, "--next-hop-address")
            if "--next-hop-vpn-tunnel" in opts:
                r["nextHopVpnTunnel"] = (f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/"
                                         f"{one(opts, '--next-hop-vpn-tunnel-region')}/vpnTunnels/{one(opts, '--next-hop-vpn-tunnel')}")
        if coll == "vpn-tunnels":
            r.update(status="ESTABLISHED", detailedStatus="Tunnel is up and running.")
            r["_secret"] = r.pop("shared-secret", None)
        if coll == "addresses":
            r["address"] = ip_of(name)
        store[key] = r
        created(w, f"gcloud {coll} {name}")
        if coll == "vpn-tunnels":
            return g_tunnel(r)
        return {k: v for k, v in r.items() if not k.startswith("_")}
    if coll == "routers" and verb in ("update", "update-bgp-peer", "remove-bgp-peer", "remove-interface"):
        if key not in store:
            g_not_found(cmd, coll, name, region)
        r = store[key]
        adv = lambda d: g_advertise(d, opts)
        if verb == "update":
            adv(r["bgp"])
            if "--asn" in opts:
                r["bgp"]["asn"] = int(one(opts, "--asn"))
            r["set-advertisement-ranges"] = one(opts, "--set-advertisement-ranges", r.get("set-advertisement-ranges"))
            r["advertisement-mode"] = one(opts, "--advertisement-mode", r.get("advertisement-mode"))
            r["asn"] = one(opts, "--asn", r.get("asn"))
            return r
        if verb == "update-bgp-peer":
            p = next((p for p in r["bgpPeers"] if p["name"] == one(opts, "--peer-name")), None)
            if p is None:
                raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) peer `{one(opts, '--peer-name')}` not found")
            for flag, k in (("--peer-asn", "peerAsn"), ("--peer-ip-address", "peerIpAddress"), ("--interface", "interfaceName")):
                if flag in opts:
                    p[k] = int(one(opts, flag)) if k == "peerAsn" else one(opts, flag)
            adv(p)
            return r
        if verb == "remove-bgp-peer":
            n = one(opts, "--peer-name")
            if not any(p["name"] == n for p in r["bgpPeers"]):
                raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) peer `{n}` not found")
            r["bgpPeers"] = [p for p in r["bgpPeers"] if p["name"] != n]
            return r
        n = one(opts, "--interface-name")
        if not any(i["name"] == n for i in r["interfaces"]):
            raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) interface `{n}` not found")
        if any(p["interfaceName"] == n for p in r["bgpPeers"]):
            raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) interface `{n}` is used by a BGP peer")
        r["interfaces"] = [i for i in r["interfaces"] if i["name"] != n]
        return r
    if coll == "firewall-rules" and verb == "update":
        if key not in store:
            g_not_found(cmd, coll, name, region)
        r = store[key]
        for k, v in opts.items():
            if k not in ("--format", "--quiet") and v:
                r[k[2:]] = v[0]
        g_firewall(r, opts)
        return r
    if coll == "routers" and verb in ("add-interface", "add-bgp-peer", "get-status"):
        if key not in store:
            g_not_found(cmd, coll, name, region)
        r = store[key]
        if verb == "get-status":
            return {"result": {"bgpPeerStatus": [
                {"name": p["name"], "peerIpAddress": p["peerIpAddress"], "state": "Established", "status": "UP",
                 "numLearnedRoutes": 3} for p in r["bgpPeers"]]}}
        if verb == "add-interface":
            n = one(opts, "--interface-name")
            if any(i["name"] == n for i in r["interfaces"]):
                raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) Duplicate interface name: {n}")
            r["interfaces"].append({"name": n, "linkedVpnTunnel": one(opts, "--vpn-tunnel"),
                                    "ipRange": f"{one(opts, '--ip-address')}/{one(opts, '--mask-length')}"})
            created(w, f"gcloud router-interface {n}")
        else:
            n = one(opts, "--peer-name")
            if not any(i["name"] == one(opts, "--interface") for i in r["interfaces"]):
                raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) interface {one(opts, '--interface')} not found")
            if any(p["name"] == n for p in r["bgpPeers"]):
                raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) Duplicate BGP peer name: {n}")
            r["bgpPeers"].append({"name": n, "interfaceName": one(opts, "--interface"),
                                  "peerIpAddress": one(opts, "--peer-ip-address"), "peerAsn": int(one(opts, "--peer-asn"))})
            g_advertise(r["bgpPeers"][-1], opts)
            created(w, f"gcloud bgp-peer {n}")
        return r
    if key not in store:
        g_not_found(cmd, coll, name, region)
    if verb == "describe":
        if coll == "vpn-tunnels":
            return g_tunnel(store[key])
        return {k: v for k, v in store[key].items() if not k.startswith("_")}
    if verb == "delete":
        users = [k for k, v in store.items() if k != key and name in (
            v.get("network"), v.get("router"), v.get("vpn-gateway"), v.get("peer-external-gateway"))
            and k.split("/")[0] != coll]
        if users:
            raise Exit(1, f"ERROR: (gcloud.{cmd.replace(' ', '.')}) Could not fetch resource:\n"
                          f" - The {coll} resource '{name}' is already being used by '{users[0]}' (resourceInUseByAnotherResource)")
        del store[key]
        return None
    raise Exit(2, f"standin: gcloud {cmd} is not modelled")


# ---- the timeline of tunnels -----------------------------------------------------------------

def tunnel_ends(w):
    """Every cloud end of a tunnel: (its own outside addresses, the peer's address, its key, label)."""
    ends = []
    for r in w["aws"].values():
        if r["_type"] != "vpn" or r.get("State") == "deleted":
            continue
        # (Not settled here: a modification is seen to end when someone describes the connection.)
        cgw = w["aws"].get(r["CustomerGatewayId"], {})
        for t in r["Options"]["TunnelOptions"]:
            # A tunnel being modified restarts: it is down until the connection is available again.
            if r.get("State") == "modifying" and r.get("_modifying") == t["OutsideIpAddress"]:
                continue
            ends.append(({t["OutsideIpAddress"]}, cgw.get("IpAddress"), t.get("PreSharedKey"),
                         f"aws {r['VpnConnectionId']} {t.get('TunnelInsideCidr')}"))
    store = w["az"]
    for k, c in store.items():
        if "/vpn-connection/" not in k:
            continue
        rg = k.split("/")[0]
        gw = store.get(f"{rg}/vnet-gateway/{c.get('gateway')}", {})
        local = {store.get(f"{rg}/public-ip/{p}", {}).get("ipAddress") for p in gw.get("publicIps", [])}
        if c.get("connectionType") == "Vnet2Vnet":
            # Every instance of one gateway to every instance of the other [AZ-V2V].
            gw2 = store.get(az_gateway_key(c["virtualNetworkGateway2"]["id"], rg), {})
            rg2 = gw2.get("id", "").split("/")[4] if gw2 else rg
            for p in gw2.get("publicIps", []):
                remote = store.get(f"{rg2}/public-ip/{p}", {}).get("ipAddress")
                ends.append((local, remote, c.get("sharedKey"), f"az {c['name']}"))
            continue
        lng = store.get(f"{rg}/local-gateway/{c.get('localGateway')}", {})
        ends.append((local, lng.get("gatewayIpAddress"), c.get("sharedKey"), f"az {c['name']}"))
    g = w["gcloud"]
    for k, t in g.items():
        if not k.startswith("vpn-tunnels/"):
            continue
        gw = g.get(f"vpn-gateways/{t.get('vpn-gateway')}", {})
        peer = g.get(f"external-vpn-gateways/{t.get('peer-external-gateway')}", {})
        local = {i["ipAddress"] for i in gw.get("vpnInterfaces", []) if str(i["id"]) == str(t.get("interface"))}
        remote = next((i["ipAddress"] for i in peer.get("interfaces", [])
                       if str(i["id"]) == str(t.get("peer-external-gateway-interface"))), None)
        ends.append((local, remote, t.get("_secret"), f"gcloud {t['name']}"))
    return ends


def tunnels_up(w):
    """Tunnels (`<ip>~<ip>`) whose two ends exist, name each other and hold the same key."""
    ends = tunnel_ends(w)
    up = {}
    for i, (l1, r1, k1, n1) in enumerate(ends):
        for l2, r2, k2, n2 in ends[i + 1:]:
            if r1 in l2 and r2 in l1 and k1 and k1 == k2:
                up["~".join(sorted([r1, r2]))] = f"{n1} <-> {n2}"
    return up


def timeline(w):
    now = tunnels_up(w)
    before = set(w.get("up", []))
    lines = [{"n": w["seq"], "t": time.time(), "tunnel": t, "up": False} for t in sorted(before - set(now))]
    lines += [{"n": w["seq"], "t": time.time(), "tunnel": t, "up": True, "ends": now[t]} for t in sorted(set(now) - before)]
    w["up"] = sorted(now)
    if lines:
        with open(os.path.join(DIR, "timeline.log"), "a") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")


# ---- the call --------------------------------------------------------------------------------

def created(w, what):
    w["created"][what] = w["created"].get(what, 0) + 1


def version():
    v = os.environ.get(f"STANDIN_VERSION_{PROG.upper()}")
    if PROG == "aws":
        return f"aws-cli/{v or '1.45.11'} Python/3.11 Linux/standin botocore/1.43.11\n"
    if PROG == "az":
        return json.dumps({"azure-cli": v or "2.91.0", "azure-cli-core": v or "2.91.0", "extensions": {}}) + "\n"
    return json.dumps({"Google Cloud SDK": v or "528.0.0", "core": "2025.06.20"}) + "\n"


def main():
    os.makedirs(DIR, exist_ok=True)
    rec_path = os.environ.get("STANDIN_OPTIONS") or os.path.join(os.path.dirname(os.path.realpath(__file__)), "options.json")
    lock = open(os.path.join(DIR, "lock"), "a+")
    out, err, code = "", "", 0
    delay = float(os.environ.get("STANDIN_DELAY", "0"))
    entry = {"prog": PROG, "argv": ARGV, "step": STEP, "t0": time.time()}
    try:
        if ARGV in (["--version"], ["version", "--output", "json"], ["version", "--format", "json"]):
            out = version()
            return
        with open(rec_path) as f:
            rec = json.load(f)[PROG]
        cmd, rest = split_command(rec)
        opts, pos = parse(rec[cmd], rest)
        entry["cmd"] = cmd
        entry["from_files"] = FROM_FILES
        # What the cloud received (values read from files included), apart from the command line.
        entry["values"] = {k: v for k, v in opts.items()}
        if delay:
            time.sleep(delay)
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = os.path.join(DIR, "world.json")
        try:
            with open(path) as f:
                w = json.load(f)
        except FileNotFoundError:
            w = {"seq": 0, "aws": {}, "az": {}, "gcloud": {}, "created": {}, "fired": [], "throttled": {}}
        w["seq"] += 1
        entry["n"] = w["seq"]
        fail_at = os.environ.get("STANDIN_FAIL_AT")
        logged_out = os.environ.get("STANDIN_LOGGED_OUT") == PROG
        login = cmd in ("sts get-caller-identity", "account show", "config list")
        try:
            if logged_out and login and PROG != "gcloud":
                raise Exit(1, {"aws": "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
                               "az": "ERROR: Please run 'az login' to setup account."}[PROG])
            if fail_at and int(fail_at) == w["seq"]:
                raise Exit(1, f"{PROG}: simulated failure at call {w['seq']}")
            if STEP and os.environ.get("STANDIN_FAIL_STEP") == STEP and STEP not in w["fired"]:
                w["fired"].append(STEP)
                raise Exit(1, f"{PROG}: simulated failure of step {STEP}")
            th = os.environ.get("STANDIN_THROTTLE_STEP", "")
            if th and STEP == th.rsplit(":", 1)[0] and w["throttled"].get(STEP, 0) < int(th.rsplit(":", 1)[1]):
                w["throttled"][STEP] = w["throttled"].get(STEP, 0) + 1
                raise Exit(254 if PROG == "aws" else 1, {
                    "aws": "An error occurred (RequestLimitExceeded) when calling the operation: Request limit exceeded.",
                    "az": "ERROR: (TooManyRequests) Too many requests. Retry after some time.",
                    "gcloud": "ERROR: Quota exceeded: rateLimitExceeded"}[PROG])
            doc = {"aws": lambda: aws(w, cmd, opts), "az": lambda: az(w, cmd, opts),
                   "gcloud": lambda: gcloud(w, cmd, opts, pos)}[PROG]()
            if PROG == "gcloud" and cmd == "config list" and os.environ.get("STANDIN_LOGGED_OUT") == "gcloud":
                doc = {"core": {}}
            out = emit(doc, opts) if doc is not None else ""
            if STEP and os.environ.get("STANDIN_FAIL_AFTER_STEP") == STEP and STEP not in w["fired"]:
                w["fired"].append(STEP)
                raise Exit(1, f"{PROG}: simulated lost answer for step {STEP} (it took effect)")
        except Exit as e:
            code, err, out = e.code, e.err, e.out
        timeline(w)
        with open(path + ".tmp", "w") as f:
            # json.dumps without indent is json's C encoder; json.dump and any indent use the
            # pure-Python one (a third of a call's time on a whole plan's world).
            f.write(json.dumps(w, sort_keys=True))
        os.replace(path + ".tmp", path)
    except Exit as e:
        code, err, out = e.code, e.err, e.out
    except Exception:  # a crash is a failure, as it would be for the real CLI
        import traceback
        code, err, out = 1, traceback.format_exc(), ""
    finally:
        entry["exit"] = code
        entry["t1"] = time.time()
        with open(os.path.join(DIR, "calls.log"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        fcntl.flock(lock, fcntl.LOCK_UN)
        if entry.get("n") and os.environ.get("STANDIN_KILL_AT") == str(entry["n"]):
            import signal
            os.kill(os.getppid(), signal.SIGKILL)
        sys.stdout.write(out)
        if err:
            sys.stderr.write(err.rstrip("\n") + "\n")
        sys.stdout.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
