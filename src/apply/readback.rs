//! Read-backs: for a step whose settings the cloud returns, the CLI's own `show` / `describe` /
//! `list` command that returns them (as JSON), and how that answer maps back onto the step's
//! flags, so that [`super::drift`] can say which attribute differs (live → planned) and record
//! what the cloud holds as the step's inputs (the diff then updates it in place with the
//! cloud's own update command, or makes it again).
//!
//! Pure: the command is built from the step's recorded inputs (values filled in, keys by name
//! only; none of these commands passes a key) and the answer is parsed here.
//!
//! Read back: an Azure local network gateway (`az network local-gateway show`: gateway address,
//! address prefixes, BGP ASN and peering address), an Azure connection's IPsec/IKE policy (`az
//! network vpn-connection ipsec-policy list`), a Google Cloud Router (`gcloud compute routers
//! describe`: ASN, advertisement mode and ranges) and its BGP peers (peer ASN, address,
//! interface, advertisement), and Google firewall rules (`gcloud compute firewall-rules
//! describe`: source ranges, allowed protocols and ports, target tags), and routes: an AWS VPC
//! route's target (`aws ec2 describe-route-tables`), an Azure route's prefix and next hop (`az
//! network route-table route show`), a Google static route's destination and next hop (`gcloud
//! compute routes describe`; Google routes cannot be updated, so a changed one is made again).

use serde_json::Value;

/// Which answer a read-back gets, and so how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    AzLocalGateway,
    AzIpsecPolicy,
    GcpRouter,
    GcpBgpPeer,
    GcpFirewall,
    /// A VPC route (`describe-route-tables`: the route with the step's destination).
    AwsRoute,
    AzRoute,
    GcpRoute,
}

/// A read-back to run: the program's arguments (after the program name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Read {
    pub kind: Kind,
    pub args: Vec<String>,
}

/// The words of a record before its first flag.
fn words(inputs: &[String]) -> Vec<&str> {
    inputs.iter().map(String::as_str).take_while(|w| !w.starts_with("--")).collect()
}

/// The values of `flag` in a record (up to the next flag).
fn values<'a>(inputs: &'a [String], flag: &str) -> Option<&'a [String]> {
    let i = inputs.iter().position(|a| a == flag)?;
    let end = (i + 1..inputs.len()).find(|&j| inputs[j].starts_with("--")).unwrap_or(inputs.len());
    Some(&inputs[i + 1..end])
}

fn one<'a>(inputs: &'a [String], flag: &str) -> Option<&'a str> {
    values(inputs, flag)?.first().map(String::as_str)
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The read-back of a step (its program and recorded inputs), if its settings can be read.
pub(crate) fn reader(program: &str, inputs: &[String]) -> Option<Read> {
    let w = words(inputs);
    let rg = || one(inputs, "--resource-group");
    match (program, w.as_slice()) {
        ("az", ["network", "local-gateway", "create"]) => Some(Read {
            kind: Kind::AzLocalGateway,
            args: owned(&[
                "network",
                "local-gateway",
                "show",
                "--resource-group",
                rg()?,
                "--name",
                one(inputs, "--name")?,
                "--output",
                "json",
            ]),
        }),
        ("az", ["network", "vpn-connection", "ipsec-policy", "add"]) => Some(Read {
            kind: Kind::AzIpsecPolicy,
            args: owned(&[
                "network",
                "vpn-connection",
                "ipsec-policy",
                "list",
                "--resource-group",
                rg()?,
                "--connection-name",
                one(inputs, "--connection-name")?,
                "--output",
                "json",
            ]),
        }),
        ("gcloud", [.., "compute", "routers", verb @ ("create" | "add-bgp-peer"), router]) => {
            let mut args = owned(&["compute", "routers", "describe", router]);
            if let Some(r) = one(inputs, "--region") {
                args.extend(owned(&["--region", r]));
            }
            args.extend(owned(&["--format", "json"]));
            let kind = if *verb == "create" { Kind::GcpRouter } else { Kind::GcpBgpPeer };
            Some(Read { kind, args })
        }
        ("aws", ["ec2", "create-route"]) => {
            let mut args = owned(&["ec2", "describe-route-tables"]);
            if let Some(r) = one(inputs, "--region") {
                args.extend(owned(&["--region", r]));
            }
            args.extend(owned(&["--route-table-ids", one(inputs, "--route-table-id")?, "--output", "json"]));
            Some(Read { kind: Kind::AwsRoute, args })
        }
        ("az", ["network", "route-table", "route", "create"]) => Some(Read {
            kind: Kind::AzRoute,
            args: owned(&[
                "network",
                "route-table",
                "route",
                "show",
                "--resource-group",
                rg()?,
                "--route-table-name",
                one(inputs, "--route-table-name")?,
                "--name",
                one(inputs, "--name")?,
                "--output",
                "json",
            ]),
        }),
        ("gcloud", [.., "compute", "routes", "create", name]) => Some(Read {
            kind: Kind::GcpRoute,
            args: owned(&["compute", "routes", "describe", name, "--format", "json"]),
        }),
        ("gcloud", [.., "compute", "firewall-rules", "create", name]) => Some(Read {
            kind: Kind::GcpFirewall,
            args: owned(&["compute", "firewall-rules", "describe", name, "--format", "json"]),
        }),
        _ => None,
    }
}

/// A JSON scalar as the CLI takes it on the command line (`65010`, `CUSTOM`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The strings of a JSON list (`["10.0.0.0/16", …]`), or of a field of each item.
fn list(v: &Value, field: Option<&str>) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| scalar(field.map_or(x, |f| &x[f]))).collect()).unwrap_or_default()
}

/// Google's `allowed` list as `--allow` writes it: `tcp,udp:500,udp:4500,esp`.
fn allowed(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for rule in v.as_array().into_iter().flatten() {
        let proto = rule["IPProtocol"].as_str().unwrap_or("");
        let ports = list(&rule["ports"], None);
        if ports.is_empty() {
            out.push(proto.to_string());
        }
        out.extend(ports.iter().map(|p| format!("{proto}:{p}")));
    }
    out
}

/// The value of each flag the cloud holds, from the answer of `kind`'s read-back. A flag with
/// several values is one list: `--local-address-prefixes A B` is `[A, B]`, a comma-separated
/// `--source-ranges A,B` is `[A, B]` too (compared as sets). `None`: the answer does not hold
/// the setting at all (a policy cleared, a peer removed): it is gone.
pub(crate) fn live(kind: Kind, inputs: &[String], answer: &Value) -> Option<Vec<(&'static str, Vec<String>)>> {
    let s = |v: &Value| scalar(v).into_iter().collect::<Vec<_>>();
    Some(match kind {
        Kind::AzLocalGateway => vec![
            ("--gateway-ip-address", s(&answer["gatewayIpAddress"])),
            ("--local-address-prefixes", list(&answer["localNetworkAddressSpace"]["addressPrefixes"], None)),
            ("--asn", s(&answer["bgpSettings"]["asn"])),
            ("--bgp-peering-address", s(&answer["bgpSettings"]["bgpPeeringAddress"])),
        ],
        Kind::AzIpsecPolicy => {
            let p = answer.as_array()?.first()?;
            vec![
                ("--ike-encryption", s(&p["ikeEncryption"])),
                ("--ike-integrity", s(&p["ikeIntegrity"])),
                ("--dh-group", s(&p["dhGroup"])),
                ("--ipsec-encryption", s(&p["ipsecEncryption"])),
                ("--ipsec-integrity", s(&p["ipsecIntegrity"])),
                ("--pfs-group", s(&p["pfsGroup"])),
                ("--sa-lifetime", s(&p["saLifeTimeSeconds"])),
                ("--sa-max-size", s(&p["saDataSizeKilobytes"])),
            ]
        }
        Kind::GcpRouter => {
            let b = &answer["bgp"];
            vec![
                ("--asn", s(&b["asn"])),
                ("--advertisement-mode", s(&b["advertiseMode"])),
                ("--set-advertisement-ranges", list(&b["advertisedIpRanges"], Some("range"))),
            ]
        }
        Kind::GcpBgpPeer => {
            let name = one(inputs, "--peer-name")?;
            let p = answer["bgpPeers"].as_array()?.iter().find(|p| p["name"].as_str() == Some(name))?;
            vec![
                ("--peer-asn", s(&p["peerAsn"])),
                ("--peer-ip-address", s(&p["peerIpAddress"])),
                ("--interface", s(&p["interfaceName"])),
                ("--advertisement-mode", s(&p["advertiseMode"])),
                ("--set-advertisement-ranges", list(&p["advertisedIpRanges"], Some("range"))),
            ]
        }
        Kind::GcpFirewall => vec![
            ("--source-ranges", list(&answer["sourceRanges"], None)),
            ("--allow", allowed(&answer["allowed"])),
            ("--target-tags", list(&answer["targetTags"], None)),
            ("--destination-ranges", list(&answer["destinationRanges"], None)),
        ],
        Kind::AwsRoute => {
            let dest = one(inputs, "--destination-cidr-block")?;
            let routes = answer["RouteTables"].get(0)?["Routes"].as_array()?;
            let r = routes.iter().find(|r| r["DestinationCidrBlock"].as_str() == Some(dest))?;
            vec![
                ("--gateway-id", s(&r["GatewayId"])),
                ("--transit-gateway-id", s(&r["TransitGatewayId"])),
                ("--network-interface-id", s(&r["NetworkInterfaceId"])),
            ]
        }
        Kind::AzRoute => vec![
            ("--address-prefix", s(&answer["addressPrefix"])),
            ("--next-hop-type", s(&answer["nextHopType"])),
            ("--next-hop-ip-address", s(&answer["nextHopIpAddress"])),
        ],
        Kind::GcpRoute => {
            // Compute Engine answers with URLs where gcloud takes names.
            let name = |v: &Value| scalar(v).map(|u| u.rsplit('/').next().unwrap_or("").to_string());
            vec![
                ("--destination-range", s(&answer["destRange"])),
                ("--next-hop-address", s(&answer["nextHopIp"])),
                ("--next-hop-vpn-tunnel", name(&answer["nextHopVpnTunnel"]).into_iter().collect()),
                ("--priority", s(&answer["priority"])),
            ]
        }
    })
}

/// The record of what the cloud holds: `planned` with each flag it has set to the live value
/// where that differs (order and case aside). Flags the plan does not set are not compared.
pub(crate) fn with_live(planned: &[String], live: &[(&'static str, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::with_capacity(planned.len());
    let mut i = 0;
    while i < planned.len() {
        let flag = &planned[i];
        out.push(flag.clone());
        i += 1;
        let Some((_, have)) = live.iter().find(|(f, _)| f == flag) else { continue };
        let end = (i..planned.len()).find(|&j| planned[j].starts_with("--")).unwrap_or(planned.len());
        let want = &planned[i..end];
        // One comma-separated value (`--source-ranges A,B`) or one value per argument.
        let comma = want.len() == 1 && have.len() != 1;
        let split: Vec<String> = if comma { want[0].split(',').map(str::to_string).collect() } else { want.to_vec() };
        let norm = |v: &[String]| {
            let mut v: Vec<String> = v.iter().map(|x| x.to_ascii_lowercase()).collect();
            v.sort();
            v
        };
        if norm(&split) == norm(have) {
            out.extend(want.iter().cloned());
        } else if comma || (want.len() == 1 && want[0].contains(',')) {
            out.push(have.join(","));
        } else if have.is_empty() {
            out.push(String::new());
        } else {
            out.extend(have.iter().cloned());
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn a_local_gateway_is_read_with_show_and_its_prefixes_compared_as_a_set() {
        let planned = rec("network local-gateway create --resource-group rg --name lng1 --location eastus \
                           --gateway-ip-address 1.2.3.4 --local-address-prefixes 10.0.0.0/16 10.1.0.0/16 --tags a=b");
        let r = reader("az", &planned).unwrap();
        assert_eq!(r.args.join(" "), "network local-gateway show --resource-group rg --name lng1 --output json");
        let same = json!({"gatewayIpAddress": "1.2.3.4",
                          "localNetworkAddressSpace": {"addressPrefixes": ["10.1.0.0/16", "10.0.0.0/16"]}});
        assert_eq!(with_live(&planned, &live(r.kind, &planned, &same).unwrap()), planned);
        let grown = json!({"gatewayIpAddress": "1.2.3.4",
                           "localNetworkAddressSpace": {"addressPrefixes": ["10.0.0.0/16"]}});
        let l = with_live(&planned, &live(r.kind, &planned, &grown).unwrap());
        let attrs = crate::steps::update::diff(&l, &planned);
        assert_eq!(attrs.len(), 1, "{attrs:?}");
        assert_eq!((attrs[0].old.as_str(), attrs[0].new.as_str()), ("10.0.0.0/16", "10.0.0.0/16 10.1.0.0/16"));
    }

    #[test]
    fn a_cleared_policy_or_a_removed_peer_is_gone_and_a_changed_peer_asn_differs() {
        let pol =
            rec("network vpn-connection ipsec-policy add --resource-group rg --connection-name c1 --sa-lifetime 3600");
        let r = reader("az", &pol).unwrap();
        assert_eq!(live(r.kind, &pol, &json!([])), None);
        let peer = rec(
            "compute routers add-bgp-peer r1 --region us-east1 --peer-name p1 --peer-asn 65001 --format value(name)",
        );
        let r = reader("gcloud", &peer).unwrap();
        assert_eq!(r.args.join(" "), "compute routers describe r1 --region us-east1 --format json");
        assert_eq!(live(r.kind, &peer, &json!({"bgpPeers": [{"name": "p2"}]})), None);
        let answer = json!({"bgpPeers": [{"name": "p1", "peerAsn": 65099}]});
        let l = with_live(&peer, &live(r.kind, &peer, &answer).unwrap());
        let attrs = crate::steps::update::diff(&l, &peer);
        assert_eq!(
            attrs.iter().map(|a| (a.name.as_str(), a.old.as_str())).collect::<Vec<_>>(),
            [("--peer-asn", "65099")]
        );
    }

    #[test]
    fn routes_are_read_back_by_their_destination_and_a_moved_target_differs() {
        let rt =
            rec("ec2 create-route --region us-east-1 --route-table-id rtb-1 --destination-cidr-block 10.2.0.0/16 \
                      --gateway-id vgw-1 --query Return --output text");
        let r = reader("aws", &rt).unwrap();
        assert_eq!(
            r.args.join(" "),
            "ec2 describe-route-tables --region us-east-1 --route-table-ids rtb-1 --output json"
        );
        let table = |routes: Value| json!({"RouteTables": [{"Routes": routes}]});
        let here = table(json!([{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "vgw-1"}]));
        assert_eq!(with_live(&rt, &live(r.kind, &rt, &here).unwrap()), rt);
        assert_eq!(live(r.kind, &rt, &table(json!([{"DestinationCidrBlock": "0.0.0.0/0"}]))), None);
        let moved = table(json!([{"DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-9"}]));
        let attrs = crate::steps::update::diff(&with_live(&rt, &live(r.kind, &rt, &moved).unwrap()), &rt);
        assert_eq!(attrs.iter().map(|a| (a.name.as_str(), a.old.as_str())).collect::<Vec<_>>(), [("--gateway-id", "")]);
        let g = rec("compute routes create n1 --network net --destination-range 10.9.0.0/16 --next-hop-address 10.0.0.5 --format value(name)");
        let r = reader("gcloud", &g).unwrap();
        let answer = json!({"destRange": "10.9.0.0/16", "nextHopIp": "10.0.0.6", "priority": 1000,
                            "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/net"});
        let attrs = crate::steps::update::diff(&with_live(&g, &live(r.kind, &g, &answer).unwrap()), &g);
        assert_eq!(
            attrs.iter().map(|a| (a.name.as_str(), a.old.as_str())).collect::<Vec<_>>(),
            [("--next-hop-address", "10.0.0.6")]
        );
    }

    #[test]
    fn firewall_rules_are_read_in_google_s_own_shape() {
        let fw = rec(
            "compute firewall-rules create fw1 --network n --allow udp:500,udp:4500,esp --source-ranges 1.2.3.4/32",
        );
        let r = reader("gcloud", &fw).unwrap();
        let answer = json!({"allowed": [{"IPProtocol": "udp", "ports": ["500", "4500"]}, {"IPProtocol": "esp"}],
                            "sourceRanges": ["1.2.3.4/32"]});
        assert_eq!(with_live(&fw, &live(r.kind, &fw, &answer).unwrap()), fw);
        let widened = json!({"allowed": [{"IPProtocol": "all"}], "sourceRanges": ["0.0.0.0/0"]});
        let l = with_live(&fw, &live(r.kind, &fw, &widened).unwrap());
        let attrs = crate::steps::update::diff(&l, &fw);
        assert_eq!(attrs.len(), 2, "{attrs:?}");
        assert!(attrs.iter().any(|a| a.name == "--source-ranges" && a.old == "0.0.0.0/0"), "{attrs:?}");
    }
}
