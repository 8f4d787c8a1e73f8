//! How to tell, without changing anything, whether a step already took effect.
//!
//! The native executor (`apply`) needs this for a step that was running when it stopped (a
//! crash, Ctrl-C, SIGKILL, a lost connection) or that failed after the cloud may have acted:
//! before it runs such a step again, it asks the cloud, so that nothing is ever created twice.
//! A [`Check`] is derived here from the step's own argv, in one place per command, so the check
//! always names the same resource as the step (its tags, names and IDs come from the same
//! arguments). Deterministic and pure, like the rest of `steps`.

use super::{t, Arg, Part, Program, Step};
use std::borrow::Cow;

/// What the executor runs to find out whether `step` took effect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Check {
    /// The step only reads, or sets values to what they already are: run it again.
    Rerun,
    /// Run `args` (the step's own program): when it prints a value (not empty, `None` or `null`)
    /// the step took effect, and for a step that captures, that value is what it captured. With
    /// `contains`, the value must list that word (separated by `;`, `,`, tabs or spaces). A
    /// "not found" answer, or no value, means it did not.
    Describe { args: Vec<Arg>, contains: Option<String> },
    /// Run the step again; an error carrying this code means it had already taken effect.
    RerunUnless(&'static str),
}

/// The check of a step; `None` when the command is not known here (a test requires every step
/// of every preset to have one).
pub fn derive(s: &Step) -> Option<Check> {
    match s.program {
        Program::Aws => aws(s),
        Program::Az => az(s),
        Program::Gcloud => gcloud(s),
    }
}

/// The literal text of an argument, if it is all text.
fn text(a: &Arg) -> Option<&str> {
    match a.0.as_slice() {
        [Part::Text(t)] => Some(t),
        _ => None,
    }
}

/// The argument after the flag `name`.
fn flag<'a>(args: &'a [Arg], name: &str) -> Option<&'a Arg> {
    let i = args.iter().position(|a| text(a) == Some(name))?;
    args.get(i + 1)
}

fn describe(args: Vec<Arg>) -> Option<Check> {
    Some(Check::Describe { args, contains: None })
}

/// An argument made of text and other arguments' parts.
fn join(parts: Vec<Arg>) -> Arg {
    Arg(parts.into_iter().flat_map(|a| a.0).collect())
}

/// `(describe command, list key, ID field, states that count as existing)` of an AWS create
/// command whose resource carries the `Name` and `tunnelsmith-plan` tags.
fn aws_tagged(cmd: &str) -> Option<(&'static str, &'static str, &'static str, Option<&'static str>)> {
    Some(match cmd {
        "create-vpc" => ("describe-vpcs", "Vpcs", "VpcId", None),
        "create-subnet" => ("describe-subnets", "Subnets", "SubnetId", None),
        "create-internet-gateway" => ("describe-internet-gateways", "InternetGateways", "InternetGatewayId", None),
        "create-route-table" => ("describe-route-tables", "RouteTables", "RouteTableId", None),
        // Deleted VPN gateways, customer gateways and connections stay listed for a while.
        "create-vpn-gateway" => ("describe-vpn-gateways", "VpnGateways", "VpnGatewayId", Some("pending,available")),
        "create-customer-gateway" => {
            ("describe-customer-gateways", "CustomerGateways", "CustomerGatewayId", Some("pending,available"))
        }
        // A connection whose tunnel options are being modified is `modifying` for minutes (not in
        // the API's documented states, but what DescribeVpnConnections answers: the Terraform AWS
        // provider waits from `modifying` to `available` after ModifyVpnTunnelOptions)
        // [AWS-API-MVTO]: without it, an apply killed during a modification took the connection
        // for deleted and made a second one.
        "create-vpn-connection" => {
            ("describe-vpn-connections", "VpnConnections", "VpnConnectionId", Some("pending,available,modifying"))
        }
        "create-transit-gateway" => {
            ("describe-transit-gateways", "TransitGateways", "TransitGatewayId", Some("pending,available,modifying"))
        }
        "create-transit-gateway-vpc-attachment" => (
            "describe-transit-gateway-vpc-attachments",
            "TransitGatewayVpcAttachments",
            "TransitGatewayAttachmentId",
            Some("pendingAcceptance,pending,available,modifying"),
        ),
        "create-security-group" => ("describe-security-groups", "SecurityGroups", "GroupId", None),
        "create-network-interface" => ("describe-network-interfaces", "NetworkInterfaces", "NetworkInterfaceId", None),
        "allocate-address" => ("describe-addresses", "Addresses", "AllocationId", None),
        _ => return None,
    })
}

/// `Value=` of the `Key=<key>` tag in a `--tag-specifications` argument.
fn tag(spec: &str, key: &str) -> Option<String> {
    let rest = &spec[spec.find(&format!("{{Key={key},Value="))? + key.len() + 12..];
    Some(rest[..rest.find('}')?].to_string())
}

fn aws(s: &Step) -> Option<Check> {
    let a = &s.args;
    let cmd = text(a.get(1)?)?;
    if cmd.starts_with("describe-") || cmd.starts_with("search-") || cmd == "modify-network-interface-attribute" {
        return Some(Check::Rerun);
    }
    if cmd == "enable-vgw-route-propagation" {
        // Enabling it again changes nothing.
        return Some(Check::Rerun);
    }
    if cmd == "authorize-security-group-ingress" {
        return Some(Check::RerunUnless("InvalidPermission.Duplicate"));
    }
    let ec2 = |command: &'static str| {
        vec![t("ec2"), t(command), t("--region"), flag(a, "--region").cloned().unwrap_or(t(""))]
    };
    let query = |q: String| [t("--query"), t(q), t("--output"), t("text")];
    let id = |f: &str| flag(a, f).cloned();
    if let Some((describe_cmd, list, field, states)) = aws_tagged(cmd) {
        let spec = text(flag(a, "--tag-specifications")?)?;
        let mut args = ec2(describe_cmd);
        args.push(t("--filters"));
        args.push(t(format!("Name=tag:Name,Values={}", tag(spec, "Name")?)));
        args.push(t(format!("Name=tag:tunnelsmith-plan,Values={}", tag(spec, "tunnelsmith-plan")?)));
        if let Some(states) = states {
            args.push(t(format!("Name=state,Values={states}")));
        }
        args.extend(query(format!("{list}[0].{field}")));
        return describe(args);
    }
    let mut args;
    match cmd {
        "associate-vpc-cidr-block" => {
            let cidr = text(flag(a, "--cidr-block")?)?;
            args = ec2("describe-vpcs");
            args.extend([t("--vpc-ids"), id("--vpc-id")?]);
            args.extend(query(format!(
                "Vpcs[0].CidrBlockAssociationSet[?CidrBlock=='{cidr}' && CidrBlockState.State!='disassociated'].AssociationId | [0]"
            )));
        }
        "attach-internet-gateway" => {
            args = ec2("describe-internet-gateways");
            args.extend([t("--internet-gateway-ids"), id("--internet-gateway-id")?]);
            args.extend(query("InternetGateways[0].Attachments[0].VpcId".into()));
        }
        "create-route" => {
            let dest = text(flag(a, "--destination-cidr-block")?)?;
            args = ec2("describe-route-tables");
            args.extend([t("--route-table-ids"), id("--route-table-id")?]);
            args.extend(query(format!(
                "RouteTables[0].Routes[?DestinationCidrBlock=='{dest}'].DestinationCidrBlock | [0]"
            )));
        }
        "associate-route-table" => {
            args = ec2("describe-route-tables");
            args.extend([t("--route-table-ids"), id("--route-table-id")?]);
            let q = join(vec![
                t("RouteTables[0].Associations[?SubnetId=='"),
                id("--subnet-id")?,
                t("'].RouteTableAssociationId | [0]"),
            ]);
            args.extend([t("--query"), q, t("--output"), t("text")]);
        }
        "attach-vpn-gateway" => {
            args = ec2("describe-vpn-gateways");
            args.extend([t("--vpn-gateway-ids"), id("--vpn-gateway-id")?]);
            args.extend(query("VpnGateways[0].VpcAttachments[?State!='detached'].State | [0]".into()));
        }
        "create-vpn-connection-route" => {
            let dest = text(flag(a, "--destination-cidr-block")?)?;
            args = ec2("describe-vpn-connections");
            args.extend([t("--vpn-connection-ids"), id("--vpn-connection-id")?]);
            args.extend(query(format!(
                "VpnConnections[0].Routes[?DestinationCidrBlock=='{dest}' && State!='deleted'].State | [0]"
            )));
        }
        "create-transit-gateway-route" => {
            let dest = text(flag(a, "--destination-cidr-block")?)?;
            args = ec2("search-transit-gateway-routes");
            args.extend([t("--transit-gateway-route-table-id"), id("--transit-gateway-route-table-id")?]);
            args.extend([t("--filters"), t(format!("Name=route-search.exact-match,Values={dest}"))]);
            args.extend(query("Routes[0].State".into()));
        }
        "associate-address" => {
            args = ec2("describe-addresses");
            args.extend([t("--allocation-ids"), id("--allocation-id")?]);
            args.extend(query("Addresses[0].AssociationId".into()));
        }
        _ => return None,
    }
    describe(args)
}

fn az(s: &Step) -> Option<Check> {
    let a = &s.args;
    let words: Vec<&str> = a.iter().map_while(|x| text(x).filter(|w| !w.starts_with('-'))).collect();
    let verb = *words.last()?;
    match verb {
        "show" | "exists" | "update" | "list" | "list-bgp-peer-status" => return Some(Check::Rerun),
        "create" | "add" => {}
        _ => return None,
    }
    let noun = &words[..words.len() - 1];
    let mut args: Vec<Arg> = a[..noun.len()].to_vec();
    if verb == "add" {
        // `vpn-connection ipsec-policy add`: a connection holds one policy.
        args.push(t("list"));
        args.extend([t("--resource-group"), flag(a, "--resource-group")?.clone()]);
        args.extend([t("--connection-name"), flag(a, "--connection-name")?.clone()]);
        args.extend([t("--query"), t("[0].saLifeTimeSeconds"), t("--output"), t("tsv")]);
        return describe(args);
    }
    args.push(t("show"));
    for f in ["--resource-group", "--vnet-name", "--nsg-name", "--route-table-name", "--name"] {
        if let Some(v) = flag(a, f) {
            args.extend([t(f), v.clone()]);
        }
    }
    // What the step captures, read from the resource itself (`publicIp.ipAddress` → `ipAddress`).
    let last = |q: &str| q.rsplit('.').next().unwrap_or(q).len();
    let q: Cow<'static, str> = match (&s.capture, flag(a, "--query").map(|x| x.0.as_slice())) {
        (Some(_), Some([Part::Text(Cow::Borrowed(q))])) => Cow::Borrowed(&q[q.len() - last(q)..]),
        (Some(_), Some([Part::Text(q)])) => Cow::Owned(q[q.len() - last(q)..].to_string()),
        _ => Cow::Borrowed("id"),
    };
    args.extend([t("--query"), t(q), t("--output"), t("tsv")]);
    describe(args)
}

fn gcloud(s: &Step) -> Option<Check> {
    let a = &s.args;
    let words: Vec<&str> = a.iter().map_while(|x| text(x).filter(|w| !w.starts_with('-'))).collect();
    // compute <collection...> <verb> NAME
    let vi = words.iter().position(|w| matches!(*w, "create" | "describe" | "add-interface" | "add-bgp-peer"))?;
    let verb = words[vi];
    if verb == "describe" {
        return Some(Check::Rerun);
    }
    let name = a.get(vi + 1)?.clone();
    // A command of the beta track is checked with the GA `describe`.
    let from = usize::from(words.first() == Some(&"beta"));
    let mut args: Vec<Arg> = a[from..vi].to_vec();
    args.push(t("describe"));
    args.push(name);
    if let Some(r) = flag(a, "--region") {
        args.extend([t("--region"), r.clone()]);
    }
    let (format, contains): (Cow<'static, str>, _) = match verb {
        "add-interface" => ("value(interfaces.name)".into(), Some(text(flag(a, "--interface-name")?)?)),
        "add-bgp-peer" => ("value(bgpPeers.name)".into(), Some(text(flag(a, "--peer-name")?)?)),
        _ if s.capture.is_some() => (text(flag(a, "--format")?)?.to_string().into(), None),
        _ => ("value(name)".into(), None),
    };
    args.extend([t("--format"), t(format)]);
    Some(Check::Describe { args, contains: contains.map(String::from) })
}
