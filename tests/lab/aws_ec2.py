#!/usr/bin/env python3
"""The interop lab's `aws` stand-in: tests/standins/standin.py plus the EC2 calls an appliance on
EC2 needs, which the stand-in does not model (security groups and their ingress rules, network
interfaces and their source/destination check, elastic IPs). Test use only.

Every argv is checked against the real CLI's recorded options with the stand-in's own parser
(tests/standins/options.json); these calls act on `ec2.json` beside the stand-in's world (same
lock), answer JSON shaped like the real output, and are logged to the same calls.log. Every other
call is the stand-in's. The harness copies this file onto PATH as `aws`, with STANDIN_PY naming
standin.py.
"""
import fcntl
import json
import os
import sys
import time

sys.argv[0] = "aws"
sys.path.insert(0, os.path.dirname(os.environ["STANDIN_PY"]))
import standin  # noqa: E402  (reads STANDIN_DIR and argv; runs nothing on import)

OPS = {"create-security-group", "authorize-security-group-ingress", "create-network-interface",
       "modify-network-interface-attribute", "allocate-address", "describe-addresses", "associate-address",
       "describe-security-groups", "describe-network-interfaces"}


def op_of(argv):
    words = [w for w in argv if not w.startswith("-")][:2]
    return words[1] if len(words) == 2 and words[0] == "ec2" else None


def act(w, op, opts):
    one = standin.one
    if op == "create-security-group":
        sid = f"sg-{standin.h('sg', one(opts, '--group-name'), n=17)}"
        w["sg"][sid] = {"GroupId": sid, "GroupName": one(opts, "--group-name"), "VpcId": one(opts, "--vpc-id"),
                        "IpPermissions": [], "Tags": standin.tags_of(opts)}
        return {"GroupId": sid}
    if op == "authorize-security-group-ingress":
        sg = w["sg"].get(one(opts, "--group-id"))
        if sg is None:
            standin.aws_err(op, "InvalidGroup.NotFound", f"The security group '{one(opts, '--group-id')}' does not exist")
        perms = json.loads(one(opts, "--ip-permissions", "[]"))
        for p in perms:
            if p in sg["IpPermissions"]:
                standin.aws_err(op, "InvalidPermission.Duplicate", "the specified rule already exists")
        sg["IpPermissions"].extend(perms)
        return {"Return": True}
    if op == "create-network-interface":
        eid = f"eni-{standin.h('eni', one(opts, '--subnet-id'), one(opts, '--private-ip-address'), n=17)}"
        w["eni"][eid] = {"NetworkInterfaceId": eid, "SubnetId": one(opts, "--subnet-id"),
                         "PrivateIpAddress": one(opts, "--private-ip-address"),
                         "Groups": [{"GroupId": g} for g in opts.get("--groups", [])], "SourceDestCheck": True,
                         "Tags": standin.tags_of(opts)}
        return {"NetworkInterface": w["eni"][eid]}
    if op == "modify-network-interface-attribute":
        eni = w["eni"].get(one(opts, "--network-interface-id"))
        if eni is None:
            standin.aws_err(op, "InvalidNetworkInterfaceID.NotFound", "the network interface does not exist")
        if "--no-source-dest-check" in opts:
            eni["SourceDestCheck"] = False
        if "--source-dest-check" in opts:
            eni["SourceDestCheck"] = True
        return None
    if op == "allocate-address":
        aid = f"eipalloc-{standin.h('eip', json.dumps(sorted(opts.items())), n=17)}"
        w["eip"][aid] = {"AllocationId": aid, "PublicIp": standin.ip_of("eip", aid), "Domain": "vpc",
                         "Tags": standin.tags_of(opts)}
        return {"AllocationId": aid, "PublicIp": w["eip"][aid]["PublicIp"], "Domain": "vpc"}
    if op == "describe-addresses":
        ids = opts.get("--allocation-ids", [])
        return {"Addresses": [a for k, a in w["eip"].items() if not ids or k in ids]}
    if op == "associate-address":
        eip = w["eip"].get(one(opts, "--allocation-id"))
        if eip is None or one(opts, "--network-interface-id") not in w["eni"]:
            standin.aws_err(op, "InvalidAllocationID.NotFound", "the allocation or interface does not exist")
        eip["NetworkInterfaceId"] = one(opts, "--network-interface-id")
        eip["AssociationId"] = f"eipassoc-{standin.h(eip['AllocationId'], n=17)}"
        return {"AssociationId": eip["AssociationId"]}
    if op == "describe-security-groups":
        return {"SecurityGroups": list(w["sg"].values())}
    return {"NetworkInterfaces": list(w["eni"].values())}


def main():
    argv = sys.argv[1:]
    op = op_of(argv)
    if op not in OPS:
        standin.main()  # exits
    os.makedirs(standin.DIR, exist_ok=True)
    rec = json.load(open(os.environ["STANDIN_OPTIONS"]))["aws"]
    entry = {"prog": "aws", "argv": argv, "step": standin.STEP, "t0": time.time()}
    out, err, code = "", "", 0
    lock = open(os.path.join(standin.DIR, "lock"), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        cmd, rest = standin.split_command(rec)
        opts, _ = standin.parse(rec[cmd], rest)
        entry["cmd"] = cmd
        path = os.path.join(standin.DIR, "ec2.json")
        try:
            w = json.load(open(path))
        except FileNotFoundError:
            w = {"sg": {}, "eni": {}, "eip": {}}
        doc = act(w, op, opts)
        with open(path + ".tmp", "w") as f:
            f.write(json.dumps(w, sort_keys=True))  # the C encoder, as standin.py
        os.replace(path + ".tmp", path)
        out = standin.emit(doc, opts) if doc is not None else ""
    except standin.Exit as e:
        code, err, out = e.code, e.err, e.out
    entry["exit"] = code
    with open(os.path.join(standin.DIR, "calls.log"), "a") as f:
        f.write(json.dumps(entry) + "\n")
    fcntl.flock(lock, fcntl.LOCK_UN)
    sys.stdout.write(out)
    if err:
        sys.stderr.write(err.rstrip("\n") + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
