//! Read-backs: for a step whose settings the cloud returns, the CLI's own `show` / `describe` /
//! `list` command that returns them (as JSON), and how that answer maps back onto the step's
//! flags, so that [`super::drift`] can say which attribute differs (live → planned) and record
//! what the cloud holds as the step's inputs (the diff then updates it in place with the
//! cloud's own update command, or makes it again).
//!
//! Pure: the command is built from the step's recorded inputs (values filled in, keys by name
//! only; none of these commands passes a key) and the answer is parsed here. Several steps of
//! one resource get the same command (a connection and its policy and `--set`s, a Cloud Router
//! and its interfaces and peers, the routes of one table): the caller runs it once for all.
//!
//! Read back: an Azure VPN gateway (`az network vnet-gateway show`: ASN, SKU, VPN and gateway
//! type, and each instance's custom APIPA BGP addresses); an AWS virtual private gateway's
//! Amazon-side ASN and a customer gateway's BGP ASN and address (`aws ec2 describe-vpn-gateways`
//! / `describe-customer-gateways`, by the ID the step captured); an Azure local network gateway (`az network local-gateway show`: gateway address,
//! address prefixes, BGP ASN and peering address); an Azure connection (`az network
//! vpn-connection show`: BGP on or off, its IPsec/IKE policy, its DPD timeout and custom APIPA
//! BGP addresses); a Google Cloud Router (`gcloud compute routers describe`: ASN, advertisement
//! mode and ranges) and its interfaces (tunnel, address) and BGP peers (peer ASN, address,
//! interface, advertisement); a Google Cloud VPN tunnel (`gcloud compute vpn-tunnels describe`:
//! IKE version, gateway and interface, peer gateway and interface, router, ciphers; a tunnel
//! cannot be updated, so a changed one is made again); Google firewall rules (`gcloud compute
//! firewall-rules describe`: source ranges, allowed protocols and ports, target tags); and
//! routes: an AWS VPC route's target (`aws ec2 describe-route-tables`), an AWS transit gateway
//! route's attachment (`aws ec2 search-transit-gateway-routes`), an Azure route's prefix and next
//! hop (`az network route-table route show`), a Google static route's destination and next hop
//! (`gcloud compute routes describe`; Google routes cannot be updated, so a changed one is made
//! again).

use serde_json::Value;

/// Which answer a read-back gets, and so how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    AzLocalGateway,
    /// A connection's IPsec/IKE policy, from the connection (`ipsecPolicies`).
    AzIpsecPolicy,
    /// A connection (`vpn-connection create`: BGP) or what `vpn-connection update` set on it
    /// (`--set`: DPD timeout, custom APIPA BGP addresses).
    AzConnection,
    GcpRouter,
    GcpInterface,
    GcpBgpPeer,
    GcpTunnel,
    GcpFirewall,
    /// A VPC route (`describe-route-tables`: the route with the step's destination).
    AwsRoute,
    /// A transit gateway route (`search-transit-gateway-routes`: the static route with the
    /// step's destination).
    AwsTgwRoute,
    AzRoute,
    GcpRoute,
    /// An Azure VPN gateway (`vnet-gateway create`: ASN, SKU, VPN and gateway type) or what
    /// `vnet-gateway update` set on it (`--set`: each instance's custom APIPA BGP addresses).
    AzVnetGateway,
    /// A virtual private gateway (`describe-vpn-gateways`: its Amazon-side ASN).
    AwsVpnGateway,
    /// A customer gateway (`describe-customer-gateways`: its BGP ASN and IP address).
    AwsCustomerGateway,
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

/// The read-back of a step (its program and recorded inputs, and the ID it captured when it
/// made its resource: AWS names a gateway by that ID only), if its settings can be read.
pub(crate) fn reader(program: &str, inputs: &[String], made: Option<&str>) -> Option<Read> {
    let w = words(inputs);
    let rg = || one(inputs, "--resource-group");
    match (program, w.as_slice()) {
        ("az", ["network", "local-gateway", "create"]) => {
            Some(Read { kind: Kind::AzLocalGateway, args: az_show("local-gateway", rg()?, one(inputs, "--name")?) })
        }
        // The policy is part of the connection: `show` answers it with the connection's own
        // settings ([AZ-CONN]: `ipsecPolicies`), one call for all of them.
        ("az", ["network", "vpn-connection", "ipsec-policy", "add"]) => {
            Some(Read { kind: Kind::AzIpsecPolicy, args: az_connection(rg()?, one(inputs, "--connection-name")?) })
        }
        ("az", ["network", "vpn-connection", "create" | "update"]) => {
            Some(Read { kind: Kind::AzConnection, args: az_connection(rg()?, one(inputs, "--name")?) })
        }
        // One `routers describe` answers the router, its interfaces and its peers.
        ("gcloud", [.., "compute", "routers", verb @ ("create" | "add-interface" | "add-bgp-peer"), router]) => {
            let kind = match *verb {
                "create" => Kind::GcpRouter,
                "add-interface" => Kind::GcpInterface,
                _ => Kind::GcpBgpPeer,
            };
            Some(Read { kind, args: gcloud_describe("routers", router, one(inputs, "--region")) })
        }
        ("gcloud", [.., "compute", "vpn-tunnels", "create", name]) => {
            Some(Read { kind: Kind::GcpTunnel, args: gcloud_describe("vpn-tunnels", name, one(inputs, "--region")) })
        }
        ("aws", ["ec2", "create-route"]) => {
            let mut args = owned(&["ec2", "describe-route-tables"]);
            if let Some(r) = one(inputs, "--region") {
                args.extend(owned(&["--region", r]));
            }
            args.extend(owned(&["--route-table-ids", one(inputs, "--route-table-id")?, "--output", "json"]));
            Some(Read { kind: Kind::AwsRoute, args })
        }
        // The filter `type=static` (the API wants one) answers every route the plan made in the
        // table with one call [AWS-TGW-SEARCH].
        ("aws", ["ec2", "create-transit-gateway-route"]) => {
            let mut args = owned(&["ec2", "search-transit-gateway-routes"]);
            if let Some(r) = one(inputs, "--region") {
                args.extend(owned(&["--region", r]));
            }
            let table = one(inputs, "--transit-gateway-route-table-id")?;
            args.extend(owned(&["--transit-gateway-route-table-id", table, "--filters", "Name=type,Values=static"]));
            args.extend(owned(&["--output", "json"]));
            Some(Read { kind: Kind::AwsTgwRoute, args })
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
        // One `show` answers the gateway's own settings and the APIPA addresses set on it.
        ("az", ["network", "vnet-gateway", "create" | "update"]) => {
            Some(Read { kind: Kind::AzVnetGateway, args: az_show("vnet-gateway", rg()?, one(inputs, "--name")?) })
        }
        ("aws", ["ec2", op @ ("create-vpn-gateway" | "create-customer-gateway")]) => {
            let (kind, describe, ids) = if *op == "create-vpn-gateway" {
                (Kind::AwsVpnGateway, "describe-vpn-gateways", "--vpn-gateway-ids")
            } else {
                (Kind::AwsCustomerGateway, "describe-customer-gateways", "--customer-gateway-ids")
            };
            let mut args = owned(&["ec2", describe]);
            if let Some(r) = one(inputs, "--region") {
                args.extend(owned(&["--region", r]));
            }
            args.extend(owned(&[ids, made.filter(|id| !id.is_empty())?, "--output", "json"]));
            Some(Read { kind, args })
        }
        ("gcloud", [.., "compute", "firewall-rules", "create", name]) => Some(Read {
            kind: Kind::GcpFirewall,
            args: owned(&["compute", "firewall-rules", "describe", name, "--format", "json"]),
        }),
        _ => None,
    }
}

/// `az network vpn-connection show` of a connection.
fn az_connection(rg: &str, name: &str) -> Vec<String> {
    az_show("vpn-connection", rg, name)
}

/// `az network WHAT show` of a resource, as JSON.
fn az_show(what: &str, rg: &str, name: &str) -> Vec<String> {
    owned(&["network", what, "show", "--resource-group", rg, "--name", name, "--output", "json"])
}

/// `gcloud compute COLLECTION describe NAME [--region R] --format json`.
fn gcloud_describe(collection: &str, name: &str, region: Option<&str>) -> Vec<String> {
    let mut args = owned(&["compute", collection, "describe", name]);
    if let Some(r) = region {
        args.extend(owned(&["--region", r]));
    }
    args.extend(owned(&["--format", "json"]));
    args
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
            let p = answer["ipsecPolicies"].as_array()?.first()?;
            scalars(
                p,
                &[
                    ("--ike-encryption", "ikeEncryption"),
                    ("--ike-integrity", "ikeIntegrity"),
                    ("--dh-group", "dhGroup"),
                    ("--ipsec-encryption", "ipsecEncryption"),
                    ("--ipsec-integrity", "ipsecIntegrity"),
                    ("--pfs-group", "pfsGroup"),
                    ("--sa-lifetime", "saLifeTimeSeconds"),
                    ("--sa-max-size", "saDataSizeKilobytes"),
                ],
            )
        }
        Kind::AzConnection => az_connection_live(inputs, answer),
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
        Kind::GcpInterface => {
            let name = one(inputs, "--interface-name")?;
            let i = answer["interfaces"].as_array()?.iter().find(|i| i["name"].as_str() == Some(name))?;
            let range = i["ipRange"].as_str().unwrap_or("");
            let (ip, len) = range.split_once('/').unwrap_or((range, ""));
            vec![
                ("--vpn-tunnel", last(&i["linkedVpnTunnel"])),
                ("--ip-address", vec![ip.to_string()]),
                ("--mask-length", vec![len.to_string()]),
            ]
        }
        Kind::GcpTunnel => {
            let (p1, p2) = (&answer["cipherSuite"]["phase1"], &answer["cipherSuite"]["phase2"]);
            // `--peer-gcp-gateway` takes the peer gateway's URL (its name only in its own project).
            let peer_gcp = match (one(inputs, "--peer-gcp-gateway"), answer["peerGcpGateway"].as_str()) {
                (Some(want), Some(have)) if want.contains('/') => vec![same_resource(want, have)],
                _ => last(&answer["peerGcpGateway"]),
            };
            let mut out = scalars(
                answer,
                &[
                    ("--ike-version", "ikeVersion"),
                    ("--interface", "vpnGatewayInterface"),
                    ("--peer-external-gateway-interface", "peerExternalGatewayInterface"),
                ],
            );
            out.extend([
                ("--vpn-gateway", last(&answer["vpnGateway"])),
                ("--peer-external-gateway", last(&answer["peerExternalGateway"])),
                ("--peer-gcp-gateway", peer_gcp),
                ("--router", last(&answer["router"])),
            ]);
            for (flag, phase, field) in [
                ("--phase1-encryption", p1, "encryption"),
                ("--phase1-integrity", p1, "integrity"),
                ("--phase1-prf", p1, "prf"),
                ("--phase1-dh", p1, "dh"),
                ("--phase2-encryption", p2, "encryption"),
                ("--phase2-integrity", p2, "integrity"),
                ("--phase2-pfs", p2, "pfs"),
            ] {
                out.push((flag, list(&phase[field], None)));
            }
            out
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
        Kind::AwsTgwRoute => {
            let dest = one(inputs, "--destination-cidr-block")?;
            let r = answer["Routes"].as_array()?.iter().find(|r| r["DestinationCidrBlock"].as_str() == Some(dest))?;
            vec![(
                "--transit-gateway-attachment-id",
                list(&r["TransitGatewayAttachments"], Some("TransitGatewayAttachmentId")),
            )]
        }
        Kind::AzRoute => vec![
            ("--address-prefix", s(&answer["addressPrefix"])),
            ("--next-hop-type", s(&answer["nextHopType"])),
            ("--next-hop-ip-address", s(&answer["nextHopIpAddress"])),
        ],
        Kind::GcpRoute => vec![
            ("--destination-range", s(&answer["destRange"])),
            ("--next-hop-address", s(&answer["nextHopIp"])),
            ("--next-hop-vpn-tunnel", last(&answer["nextHopVpnTunnel"])),
            ("--priority", s(&answer["priority"])),
        ],
        Kind::AzVnetGateway => az_gateway_live(inputs, answer),
        // A deleted gateway stays in EC2's answers for a while, in state `deleted`: gone.
        Kind::AwsVpnGateway => {
            let g = answer["VpnGateways"].as_array()?.first().filter(|g| g["State"] != "deleted")?;
            vec![("--amazon-side-asn", s(&g["AmazonSideAsn"]))]
        }
        Kind::AwsCustomerGateway => {
            let g = answer["CustomerGateways"].as_array()?.first().filter(|g| g["State"] != "deleted")?;
            vec![("--bgp-asn", s(&g["BgpAsn"])), ("--public-ip", s(&g["IpAddress"]))]
        }
    })
}

/// An Azure VPN gateway as `vnet-gateway show` prints it [AZ-GW-SHOW]. For its `create` step:
/// the ASN (`bgpSettings.asn`), SKU (`sku.name`), VPN type and gateway type; for the
/// `vnet-gateway update` step: each `--set` of an instance's custom APIPA BGP addresses, as
/// `bgpSettings.bgpPeeringAddresses[K].customBgpIpAddresses=[…]` the way the step wrote it.
fn az_gateway_live(inputs: &[String], answer: &Value) -> Vec<(&'static str, Vec<String>)> {
    let s = |v: &Value| scalar(v).into_iter().collect::<Vec<_>>();
    if words(inputs).last() == Some(&"create") {
        return vec![
            ("--asn", s(&answer["bgpSettings"]["asn"])),
            ("--sku", s(&answer["sku"]["name"])),
            ("--vpn-type", s(&answer["vpnType"])),
            ("--gateway-type", s(&answer["gatewayType"])),
        ];
    }
    let peers = answer["bgpSettings"]["bgpPeeringAddresses"].as_array().map(Vec::as_slice).unwrap_or_default();
    peers
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let ips = Value::from(list(&p["customBgpIpAddresses"], None)).to_string();
            ("--set", vec![format!("bgpSettings.bgpPeeringAddresses[{k}].customBgpIpAddresses={ips}")])
        })
        .collect()
}

/// Each flag's value from a field of `v` (a scalar: one value, or none).
fn scalars(v: &Value, fields: &[(&'static str, &str)]) -> Vec<(&'static str, Vec<String>)> {
    fields.iter().map(|(flag, field)| (*flag, scalar(&v[*field]).into_iter().collect())).collect()
}

/// Compute Engine answers with URLs where gcloud takes names: the name (the URL's last part).
fn last(v: &Value) -> Vec<String> {
    scalar(v).map(|u| u.rsplit('/').next().unwrap_or("").to_string()).into_iter().collect()
}

/// `want` when `have` names the same resource (the same path from `projects/` on, whichever
/// host or API version the URLs carry), else `have`.
fn same_resource(want: &str, have: &str) -> String {
    let path = |u: &str| u.find("projects/").map(|i| u[i..].to_ascii_lowercase());
    if path(want).is_some() && path(want) == path(have) {
        want.to_string()
    } else {
        have.to_string()
    }
}

/// An Azure connection as `vpn-connection show` prints it [AZ-CONN]. For its `create` step: BGP
/// on or off (`--enable-bgp`, a switch); for a `vpn-connection update` step: each `--set` it
/// sets, as `PATH=VALUE` the way the step wrote it (the DPD timeout, the custom APIPA BGP
/// addresses as the JSON list of `{"ipConfigurationId", "customBgpIpAddress"}`).
fn az_connection_live(inputs: &[String], answer: &Value) -> Vec<(&'static str, Vec<String>)> {
    if words(inputs).last() == Some(&"create") {
        return vec![("--enable-bgp", vec![answer["enableBgp"].as_bool().unwrap_or(false).to_string()])];
    }
    let dpd = scalar(&answer["dpdTimeoutSeconds"]).unwrap_or_default();
    let custom: Vec<String> = answer["gatewayCustomBgpIpAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let field = |k: &str| c[k].as_str().unwrap_or("").to_string();
            // As the step writes it (ID first): the comparison parses both.
            format!(
                "{{\"ipConfigurationId\":{},\"customBgpIpAddress\":{}}}",
                Value::from(field("ipConfigurationId")),
                Value::from(field("customBgpIpAddress"))
            )
        })
        .collect();
    vec![
        ("--set", vec![format!("dpdTimeoutSeconds={dpd}")]),
        ("--set", vec![format!("gatewayCustomBgpIpAddresses=[{}]", custom.join(","))]),
    ]
}

/// Flags that take no value (on when given): their live value is `true` or `false`.
const SWITCHES: &[&str] = &["--enable-bgp"];

/// The record of what the cloud holds: `planned` with each flag it has set to the live value
/// where that differs (order and case aside). Flags the plan does not set are not compared,
/// except switches ([`SWITCHES`]): one the cloud has on and the plan does not set is added. A
/// `--set PATH=VALUE` is compared with the live entry of the same path.
pub(crate) fn with_live(planned: &[String], live: &[(&'static str, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::with_capacity(planned.len());
    let mut i = 0;
    while i < planned.len() {
        let flag = &planned[i];
        i += 1;
        let end = (i..planned.len()).find(|&j| planned[j].starts_with("--")).unwrap_or(planned.len());
        let want = &planned[i..end];
        i = end;
        let path = |v: &[String]| v.first().and_then(|x| x.split_once('=')).map(|(p, _)| p.to_string());
        let found = live.iter().find(|(f, have)| f == flag && (flag != "--set" || path(have) == path(want)));
        let Some((_, have)) = found else {
            out.push(flag.clone());
            out.extend(want.iter().cloned());
            continue;
        };
        if SWITCHES.contains(&flag.as_str()) && want.is_empty() {
            if have.first().map(String::as_str) != Some("false") {
                out.push(flag.clone());
            }
            continue;
        }
        out.push(flag.clone());
        if flag == "--set" {
            let same = |a: &str, b: &str| {
                let (a, b) = (a.split_once('=').map_or(a, |x| x.1), b.split_once('=').map_or(b, |x| x.1));
                norm_json(a) == norm_json(b)
            };
            let keep = matches!((want, have.as_slice()), ([w], [h]) if same(w, h));
            out.extend(if keep { want } else { have }.iter().cloned());
            continue;
        }
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
    }
    for (flag, have) in live {
        if SWITCHES.contains(flag)
            && have.first().map(String::as_str) == Some("true")
            && !planned.contains(&flag.to_string())
        {
            out.push(flag.to_string());
        }
    }
    out
}

/// A `--set` value for comparison: JSON with strings in lower case and lists sorted (Azure keeps
/// neither the case of resource IDs nor the order of a list), or the text in lower case.
fn norm_json(text: &str) -> String {
    fn norm(v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(s.to_ascii_lowercase()),
            Value::Array(a) => {
                let mut a: Vec<Value> = a.into_iter().map(norm).collect();
                a.sort_by_key(|x| x.to_string());
                Value::Array(a)
            }
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, norm(v))).collect()),
            other @ (Value::Null | Value::Bool(_) | Value::Number(_)) => other,
        }
    }
    serde_json::from_str::<Value>(text).map(|v| norm(v).to_string()).unwrap_or_else(|_| text.to_ascii_lowercase())
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
        let r = reader("az", &planned, None).unwrap();
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
        let r = reader("az", &pol, None).unwrap();
        assert_eq!(r.args.join(" "), "network vpn-connection show --resource-group rg --name c1 --output json");
        assert_eq!(live(r.kind, &pol, &json!({"ipsecPolicies": []})), None);
        let peer = rec(
            "compute routers add-bgp-peer r1 --region us-east1 --peer-name p1 --peer-asn 65001 --format value(name)",
        );
        let r = reader("gcloud", &peer, None).unwrap();
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
        let r = reader("aws", &rt, None).unwrap();
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
        let r = reader("gcloud", &g, None).unwrap();
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
        let r = reader("gcloud", &fw, None).unwrap();
        let answer = json!({"allowed": [{"IPProtocol": "udp", "ports": ["500", "4500"]}, {"IPProtocol": "esp"}],
                            "sourceRanges": ["1.2.3.4/32"]});
        assert_eq!(with_live(&fw, &live(r.kind, &fw, &answer).unwrap()), fw);
        let widened = json!({"allowed": [{"IPProtocol": "all"}], "sourceRanges": ["0.0.0.0/0"]});
        let l = with_live(&fw, &live(r.kind, &fw, &widened).unwrap());
        let attrs = crate::steps::update::diff(&l, &fw);
        assert_eq!(attrs.len(), 2, "{attrs:?}");
        assert!(attrs.iter().any(|a| a.name == "--source-ranges" && a.old == "0.0.0.0/0"), "{attrs:?}");
    }

    fn attrs(planned: &[String], kind: Kind, answer: &Value) -> Vec<(String, String, String)> {
        let l = with_live(planned, &live(kind, planned, answer).unwrap());
        crate::steps::update::diff(&l, planned).into_iter().map(|a| (a.name, a.old, a.new)).collect()
    }

    #[test]
    fn an_azure_connection_s_bgp_dpd_and_custom_apipa_addresses_are_read_from_one_show() {
        let conn = rec("network vpn-connection create --resource-group rg --name c1 --vnet-gateway1 gw \
                        --local-gateway2 lng --shared-key @<file: ${PSK_X}> --enable-bgp --query x --output tsv");
        let set = vec![
            "network", "vpn-connection", "update", "--resource-group", "rg", "--name", "c1",
            "--set", "dpdTimeoutSeconds=45", "--set",
            r#"gatewayCustomBgpIpAddresses=[{"ipConfigurationId":"/S/rg/gw/ipConfigurations/a","customBgpIpAddress":"169.254.21.2"},{"ipConfigurationId":"/S/rg/gw/ipConfigurations/b","customBgpIpAddress":"169.254.22.2"}]"#,
            "--query", "provisioningState", "--output", "tsv",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        let (a, b) = (reader("az", &conn, None).unwrap(), reader("az", &set, None).unwrap());
        assert_eq!(a.args, b.args, "one show answers both");
        assert_eq!(a.args.join(" "), "network vpn-connection show --resource-group rg --name c1 --output json");
        // As Azure answers: the list in another order, IDs in another case.
        let same = json!({"enableBgp": true, "dpdTimeoutSeconds": 45, "gatewayCustomBgpIpAddresses": [
            {"customBgpIpAddress": "169.254.22.2", "ipConfigurationId": "/s/RG/gw/ipConfigurations/b"},
            {"customBgpIpAddress": "169.254.21.2", "ipConfigurationId": "/S/rg/gw/ipConfigurations/a"}]});
        assert_eq!(attrs(&conn, a.kind, &same), []);
        assert_eq!(attrs(&set, b.kind, &same), []);
        let changed = json!({"enableBgp": false, "dpdTimeoutSeconds": 10, "gatewayCustomBgpIpAddresses": [
            {"customBgpIpAddress": "169.254.21.6", "ipConfigurationId": "/S/rg/gw/ipConfigurations/a"}]});
        assert_eq!(attrs(&conn, a.kind, &changed), [("--enable-bgp".into(), "(none)".into(), "(set)".into())]);
        let d = attrs(&set, b.kind, &changed);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].1.as_str(), d[0].2.as_str()), ("dpdTimeoutSeconds=10", "dpdTimeoutSeconds=45"));
        assert!(d[1].1.contains("169.254.21.6") && !d[1].1.contains("169.254.22.2"), "{d:?}");
        // BGP turned on outside a static connection's back.
        let stat = rec("network vpn-connection create --resource-group rg --name c2 --local-gateway2 lng");
        let r = reader("az", &stat, None).unwrap();
        assert_eq!(
            attrs(&stat, r.kind, &json!({"enableBgp": true})),
            [("--enable-bgp".into(), "(set)".into(), "(none)".into())]
        );
        assert_eq!(attrs(&stat, r.kind, &json!({"enableBgp": false})), []);
    }

    #[test]
    fn a_google_tunnel_s_ike_version_peer_and_ciphers_are_read_from_describe() {
        let tun = rec("beta compute vpn-tunnels create t1 --region us-east1 --vpn-gateway gw --interface 0 \
                       --peer-external-gateway peer --peer-external-gateway-interface 1 --ike-version 2 \
                       --flags-file <file:yaml> --router r1 --phase1-encryption AES-CBC-256 \
                       --phase1-prf PRF-HMAC-SHA2-256 --phase1-dh GROUP-14 --phase2-encryption AES-CBC-256 \
                       --phase2-integrity HMAC-SHA2-256-128 --description d --format value(name)");
        let r = reader("gcloud", &tun, None).unwrap();
        assert_eq!(r.args.join(" "), "compute vpn-tunnels describe t1 --region us-east1 --format json");
        let url =
            |c: &str, n: &str| format!("https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/{c}/{n}");
        let mut answer = json!({"ikeVersion": 2, "vpnGateway": url("vpnGateways", "gw"), "vpnGatewayInterface": 0,
            "peerExternalGateway": "https://www.googleapis.com/compute/v1/projects/p/global/externalVpnGateways/peer",
            "peerExternalGatewayInterface": 1, "router": url("routers", "r1"),
            "cipherSuite": {"phase1": {"encryption": ["AES-CBC-256"], "prf": ["PRF-HMAC-SHA2-256"], "dh": ["GROUP-14"]},
                            "phase2": {"encryption": ["AES-CBC-256"], "integrity": ["HMAC-SHA2-256-128"]}}});
        assert_eq!(attrs(&tun, r.kind, &answer), []);
        answer["ikeVersion"] = json!(1);
        answer["cipherSuite"]["phase1"]["dh"] = json!(["GROUP-2", "GROUP-14"]);
        answer["peerExternalGatewayInterface"] = json!(0);
        let d = attrs(&tun, r.kind, &answer);
        let names: Vec<&str> = d.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["--ike-version", "--peer-external-gateway-interface", "--phase1-dh"], "{d:?}");
        assert_eq!((d[0].1.as_str(), d[0].2.as_str()), ("1", "2"));
        assert_eq!(d[2].1, "GROUP-2,GROUP-14");
    }

    #[test]
    fn a_router_interface_and_a_transit_gateway_route_are_read_back() {
        let i = rec("compute routers add-interface r1 --region us-east1 --interface-name t1-if --vpn-tunnel t1 \
                     --ip-address 169.254.0.1 --mask-length 30 --format value(name)");
        let r = reader("gcloud", &i, None).unwrap();
        assert_eq!(r.args.join(" "), "compute routers describe r1 --region us-east1 --format json", "the router's");
        let ifs = |range: &str| {
            json!({"interfaces": [{"name": "t1-if", "ipRange": range,
            "linkedVpnTunnel": "https://www.googleapis.com/compute/v1/projects/p/regions/us-east1/vpnTunnels/t1"}]})
        };
        assert_eq!(attrs(&i, r.kind, &ifs("169.254.0.1/30")), []);
        assert_eq!(
            attrs(&i, r.kind, &ifs("169.254.0.5/30")),
            [("--ip-address".into(), "169.254.0.5".into(), "169.254.0.1".into())]
        );
        assert_eq!(live(r.kind, &i, &json!({"interfaces": []})), None);
        let route =
            rec("ec2 create-transit-gateway-route --region us-east-1 --transit-gateway-route-table-id tgw-rtb-1 \
                         --destination-cidr-block 10.2.0.0/16 --transit-gateway-attachment-id tgw-attach-1 \
                         --query Route.State --output text");
        let r = reader("aws", &route, None).unwrap();
        assert_eq!(
            r.args.join(" "),
            "ec2 search-transit-gateway-routes --region us-east-1 --transit-gateway-route-table-id tgw-rtb-1 \
             --filters Name=type,Values=static --output json"
        );
        let to = |att: &str| {
            json!({"Routes": [
            {"DestinationCidrBlock": "10.9.0.0/16", "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "x"}]},
            {"DestinationCidrBlock": "10.2.0.0/16", "Type": "static", "State": "active",
             "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": att, "ResourceType": "vpn"}]}]})
        };
        assert_eq!(attrs(&route, r.kind, &to("tgw-attach-1")), []);
        assert_eq!(
            attrs(&route, r.kind, &to("tgw-attach-2")),
            [("--transit-gateway-attachment-id".into(), "tgw-attach-2".into(), "tgw-attach-1".into())]
        );
        assert_eq!(live(r.kind, &route, &json!({"Routes": []})), None);
    }

    #[test]
    fn an_azure_gateway_s_asn_sku_and_custom_apipa_addresses_are_read_from_one_show() {
        let gw = rec("network vnet-gateway create --resource-group rg --name gw --location eastus --vnet v \
                      --public-ip-addresses ip1 ip2 --gateway-type Vpn --vpn-type RouteBased --sku VpnGw1AZ \
                      --asn 65010 --tags a=b --no-wait");
        let set = vec![
            "network",
            "vnet-gateway",
            "update",
            "--resource-group",
            "rg",
            "--name",
            "gw",
            "--set",
            r#"bgpSettings.bgpPeeringAddresses[0].customBgpIpAddresses=["169.254.21.2","169.254.21.6"]"#,
            "--set",
            r#"bgpSettings.bgpPeeringAddresses[1].customBgpIpAddresses=["169.254.22.2"]"#,
            "--query",
            "provisioningState",
            "--output",
            "tsv",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        let (a, b) = (reader("az", &gw, None).unwrap(), reader("az", &set, None).unwrap());
        assert_eq!(a.args, b.args, "one show answers both");
        assert_eq!(a.args.join(" "), "network vnet-gateway show --resource-group rg --name gw --output json");
        let peers = |first: Value| {
            json!([{"ipconfigurationId": "/s/gw/ipConfigurations/c0", "customBgpIpAddresses": first,
                    "defaultBgpIpAddresses": ["10.0.255.4"]},
                   {"ipconfigurationId": "/s/gw/ipConfigurations/c1", "customBgpIpAddresses": ["169.254.22.2"]}])
        };
        // As Azure answers: the SKU as an object, the addresses in another order.
        let mut answer = json!({"sku": {"name": "VpnGw1AZ", "tier": "VpnGw1AZ"}, "gatewayType": "Vpn",
            "vpnType": "RouteBased", "bgpSettings": {"asn": 65010,
            "bgpPeeringAddresses": peers(json!(["169.254.21.6", "169.254.21.2"]))}});
        assert_eq!(attrs(&gw, a.kind, &answer), []);
        assert_eq!(attrs(&set, b.kind, &answer), []);
        answer["bgpSettings"] = json!({"asn": 65515, "bgpPeeringAddresses": peers(json!(["169.254.21.9"]))});
        answer["sku"]["name"] = json!("VpnGw2AZ");
        assert_eq!(
            attrs(&gw, a.kind, &answer),
            [("--asn".into(), "65515".into(), "65010".into()), ("--sku".into(), "VpnGw2AZ".into(), "VpnGw1AZ".into())]
        );
        let d = attrs(&set, b.kind, &answer);
        assert_eq!(d.len(), 1, "only instance 1's addresses changed: {d:?}");
        assert_eq!(d[0].1, r#"bgpSettings.bgpPeeringAddresses[0].customBgpIpAddresses=["169.254.21.9"]"#);
        // A static gateway's plan sets no ASN: Azure's default is not a difference.
        let stat = rec("network vnet-gateway create --resource-group rg --name gw --vpn-type RouteBased --sku Basic");
        let answer = json!({"sku": {"name": "Basic"}, "vpnType": "PolicyBased", "bgpSettings": {"asn": 65515}});
        assert_eq!(attrs(&stat, a.kind, &answer), [("--vpn-type".into(), "PolicyBased".into(), "RouteBased".into())]);
    }

    #[test]
    fn aws_gateways_are_read_by_the_id_their_step_captured() {
        let vgw = rec("ec2 create-vpn-gateway --region us-east-1 --type ipsec.1 --amazon-side-asn 65001 \
                       --query VpnGateway.VpnGatewayId --output text");
        assert_eq!(reader("aws", &vgw, None), None, "no ID yet: only its check finds it");
        let r = reader("aws", &vgw, Some("vgw-1")).unwrap();
        assert_eq!(
            r.args.join(" "),
            "ec2 describe-vpn-gateways --region us-east-1 --vpn-gateway-ids vgw-1 --output json"
        );
        let g = |asn: u64, state: &str| {
            json!({"VpnGateways": [{"VpnGatewayId": "vgw-1", "State": state,
                                                                "Type": "ipsec.1", "AmazonSideAsn": asn}]})
        };
        assert_eq!(attrs(&vgw, r.kind, &g(65001, "available")), []);
        assert_eq!(
            attrs(&vgw, r.kind, &g(64512, "available")),
            [("--amazon-side-asn".into(), "64512".into(), "65001".into())]
        );
        assert_eq!(live(r.kind, &vgw, &g(65001, "deleted")), None, "deleted is gone");
        let cgw = rec("ec2 create-customer-gateway --region us-east-1 --type ipsec.1 --public-ip 203.0.113.7 \
                       --bgp-asn 65002 --query CustomerGateway.CustomerGatewayId --output text");
        let r = reader("aws", &cgw, Some("cgw-1")).unwrap();
        assert_eq!(
            r.args.join(" "),
            "ec2 describe-customer-gateways --region us-east-1 --customer-gateway-ids cgw-1 --output json"
        );
        // EC2 answers the customer gateway's ASN as a string.
        let c = |asn: &str, ip: &str| {
            json!({"CustomerGateways": [{"CustomerGatewayId": "cgw-1", "State": "available",
                                                                  "BgpAsn": asn, "IpAddress": ip, "Type": "ipsec.1"}]})
        };
        assert_eq!(attrs(&cgw, r.kind, &c("65002", "203.0.113.7")), []);
        assert_eq!(
            attrs(&cgw, r.kind, &c("65099", "203.0.113.9")),
            [
                ("--bgp-asn".into(), "65099".into(), "65002".into()),
                ("--public-ip".into(), "203.0.113.9".into(), "203.0.113.7".into())
            ]
        );
        assert_eq!(live(r.kind, &cgw, &json!({"CustomerGateways": []})), None);
    }
}
