//! What the clouds hold after `tunnelsmith apply`, read from the stand-in world (`world.json`,
//! the lab's `ec2.json`, and `calls.log` for the arguments a resource was made with that the
//! stand-in does not keep), turned into emulated gateway instances with the behaviour tables.
//! Nothing here reads the generator's resolved values.

use super::behaviour::{self, Initiates, Kind};
use ipnet::Ipv4Net;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// One call a stand-in saw: program, command words and options.
#[derive(Clone, Debug)]
pub struct Call {
    pub prog: String,
    pub words: Vec<String>,
    pub opts: BTreeMap<String, Vec<String>>,
}

impl Call {
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.opts.get(name).and_then(|v| v.first()).map(String::as_str)
    }
    fn is(&self, prog: &str, words: &str) -> bool {
        self.prog == prog && self.words.join(" ").starts_with(words)
    }
}

fn parse_call(v: &Value) -> Option<Call> {
    let argv: Vec<String> = v["argv"].as_array()?.iter().filter_map(|a| a.as_str().map(String::from)).collect();
    if v["exit"].as_i64() != Some(0) {
        return None;
    }
    let mut words = Vec::new();
    let mut opts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for a in argv {
        if let Some(name) = a.strip_prefix("--") {
            let (n, val) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (name.to_string(), None),
            };
            let e = opts.entry(format!("--{n}")).or_default();
            if let Some(v) = val {
                e.push(v);
            }
            cur = Some(format!("--{n}"));
        } else if let Some(c) = &cur {
            opts.get_mut(c).unwrap().push(a);
        } else {
            words.push(a);
        }
    }
    // `gcloud beta compute …` makes the same resource as `gcloud compute …` (the release track
    // only decides which flags the CLI accepts).
    if v["prog"].as_str() == Some("gcloud") && matches!(words.first().map(String::as_str), Some("beta" | "alpha")) {
        words.remove(0);
    }
    // What the cloud received: values read from files (aws `file://`, az `@file`, gcloud
    // `--flags-file`, as keys are passed) are in the stand-in's `values`, not in the argv.
    if let Some(values) = v["values"].as_object() {
        for (k, vals) in values {
            let vals: Vec<String> = vals
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            opts.insert(k.clone(), vals);
        }
    }
    Some(Call { prog: v["prog"].as_str()?.to_string(), words, opts })
}

/// Addresses the stand-ins hand out outside TEST-NET (203.0.112.0/24) are mapped onto free
/// TEST-NET addresses, the same way for the world and for the appliances' outputs, so that only
/// TEST-NET and 169.254/16 addresses appear inside the lab's namespaces.
#[derive(Default, Clone, Debug)]
pub struct Remap {
    pub map: BTreeMap<Ipv4Addr, Ipv4Addr>,
}

pub fn test_net(a: Ipv4Addr) -> bool {
    let o = a.octets();
    matches!((o[0], o[1], o[2]), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
}

impl Remap {
    /// Build from every public address in `texts`; `used` are addresses taken already.
    pub fn new(texts: &[&str]) -> Remap {
        let re = regex::Regex::new(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b").unwrap();
        let mut seen: Vec<Ipv4Addr> = Vec::new();
        for t in texts {
            for c in re.captures_iter(t) {
                if let Ok(a) = c[1].parse::<Ipv4Addr>() {
                    if !seen.contains(&a) {
                        seen.push(a);
                    }
                }
            }
        }
        let mut r = Remap::default();
        let mut next = 10u8;
        for a in seen.iter().filter(|a| a.octets()[..3] == [203, 0, 112]) {
            let fresh = loop {
                let c = Ipv4Addr::new(192, 0, 2, next);
                next += 1;
                if !seen.contains(&c) {
                    break c;
                }
            };
            r.map.insert(*a, fresh);
        }
        r
    }

    pub fn ip(&self, a: Ipv4Addr) -> Ipv4Addr {
        *self.map.get(&a).unwrap_or(&a)
    }

    pub fn text(&self, t: &str) -> String {
        let mut s = t.to_string();
        for (from, to) in &self.map {
            s = s.replace(&from.to_string(), &to.to_string());
        }
        s
    }
}

/// The stand-in world after apply.
pub struct World {
    pub json: Value,
    pub ec2: Value,
    pub calls: Vec<Call>,
    pub remap: Remap,
}

impl World {
    pub fn load(dir: &Path) -> World {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let (w, e, c) = (read("world.json"), read("ec2.json"), read("calls.log"));
        let remap = Remap::new(&[&w, &e]);
        World {
            json: serde_json::from_str(&w).unwrap_or(Value::Null),
            ec2: serde_json::from_str(&e).unwrap_or(Value::Null),
            calls: c.lines().filter_map(|l| serde_json::from_str(l).ok()).filter_map(|v| parse_call(&v)).collect(),
            remap,
        }
    }

    fn aws(&self, typ: &str) -> Vec<&Value> {
        self.json["aws"]
            .as_object()
            .map(|m| m.values().filter(|r| r["_type"] == typ && r["State"] != "deleted").collect())
            .unwrap_or_default()
    }

    fn az(&self, kind: &str) -> Vec<(&String, &Value)> {
        self.json["az"]
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.split('/').nth(1) == Some(kind)).collect())
            .unwrap_or_default()
    }

    fn gc(&self, coll: &str) -> Vec<&Value> {
        self.json["gcloud"]
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with(&format!("{coll}/"))).map(|(_, v)| v).collect())
            .unwrap_or_default()
    }

    /// The last successful call `prog words` whose option `key` equals `value`.
    fn call(&self, prog: &str, words: &str, key: &str, value: &str) -> Option<&Call> {
        self.calls.iter().rev().find(|c| {
            c.is(prog, words)
                && (c.opt(key) == Some(value) || c.words.last().map(String::as_str) == Some(value) && key.is_empty())
        })
    }

    /// [`World::call`] in one Azure resource group (names repeat across groups).
    fn az_call(&self, rg: &str, words: &str, key: &str, value: &str) -> Option<&Call> {
        self.calls
            .iter()
            .rev()
            .find(|c| c.is("az", words) && c.opt("--resource-group") == Some(rg) && c.opt(key) == Some(value))
    }

    fn ip(&self, v: &Value) -> Option<Ipv4Addr> {
        v.as_str()?.parse().ok().map(|a| self.remap.ip(a))
    }
}

fn name_tag(r: &Value) -> String {
    r["Tags"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["Key"] == "Name"))
        .and_then(|t| t["Value"].as_str())
        .unwrap_or("")
        .to_string()
}

// ---- the emulated model ------------------------------------------------------------------------

/// One IKE connection an emulated gateway instance holds.
#[derive(Clone, Debug)]
pub struct Conn {
    /// The resource that holds it, as the cloud names it (e.g. `vpn-… tunnel 1 (multicloud-aws-azure-1)`).
    pub name: String,
    pub local: Ipv4Addr,
    pub remote: Ipv4Addr,
    pub psk: String,
    /// 1 or 2 (0: either).
    pub version: u8,
    pub ike: String,
    pub esp: String,
    pub ike_lifetime: u32,
    pub child_lifetime: u32,
    pub initiates: bool,
    /// The instance's inside address on this tunnel (BGP), with the peer's.
    pub inside: Option<(Ipv4Addr, u8)>,
    /// Prefixes the cloud routes into this tunnel (static routing).
    pub static_routes: Vec<Ipv4Net>,
    /// Policy-based: the (local, remote) prefix pairs, one Child SA each; empty: 0.0.0.0/0.
    pub selectors: Vec<(Ipv4Net, Ipv4Net)>,
}

#[derive(Clone, Debug)]
pub struct Neighbor {
    pub ip: Ipv4Addr,
    pub asn: u32,
    /// The session's own address (its source).
    pub source: Ipv4Addr,
    pub passive: bool,
    /// The conn whose tunnel carries the session.
    pub conn: String,
}

#[derive(Clone, Debug)]
pub struct Bgp {
    pub asn: u32,
    pub neighbors: Vec<Neighbor>,
    pub networks: Vec<Ipv4Net>,
    pub transit: bool,
}

/// One emulated gateway instance: one network namespace.
#[derive(Clone, Debug)]
pub struct Instance {
    pub label: String,
    pub kind: Kind,
    /// The plan site it belongs to (found by address space).
    pub site: String,
    pub outside: Vec<Ipv4Addr>,
    pub conns: Vec<Conn>,
    pub bgp: Option<Bgp>,
    /// The site's prefixes behind it (routed to the site's hosts).
    pub behind: Vec<Ipv4Net>,
    /// Connections the world names that the platform would not accept: (name, why).
    pub refused: Vec<(String, String)>,
}

/// The site whose address spaces contain `net`.
pub type SiteOf<'a> = &'a dyn Fn(&Ipv4Net) -> Option<String>;

fn nets(v: &[String]) -> Vec<Ipv4Net> {
    v.iter().flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace())).filter_map(|s| s.parse().ok()).collect()
}

/// The AWS gateway a VPN connection terminates on, as far as the lab needs it: its ASN, the VPC
/// address space it reaches, and the static routes it sends into the connection besides the
/// connection's own (`Routes`).
struct AwsGateway {
    asn: u32,
    vpc_nets: Vec<Ipv4Net>,
    routes: Vec<Ipv4Net>,
}

/// A virtual private gateway reaches the one VPC it is attached to. A transit gateway's VPN
/// attachment reaches the VPCs attached to it, and (static routing) it sends into the connection
/// the prefixes its route table routes to that VPN attachment [AWS-TGW-RT]; its VPN tunnels are
/// the same as a virtual private gateway's [AWS-UG-TUN].
fn aws_gateway(w: &World, vpn: &Value) -> Option<AwsGateway> {
    let cidrs = |vpc: &Value| -> Vec<Ipv4Net> {
        vpc["CidrBlockAssociationSet"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["CidrBlock"].as_str()?.parse().ok()).collect())
            .unwrap_or_default()
    };
    if vpn["TransitGatewayId"].is_string() {
        let tgw = w.aws("tgw").into_iter().find(|g| g["TransitGatewayId"] == vpn["TransitGatewayId"])?;
        let vpc_ids: Vec<&Value> = w
            .aws("tgw-attach")
            .into_iter()
            .filter(|a| a["TransitGatewayId"] == tgw["TransitGatewayId"] && a["ResourceType"] == "vpc")
            .map(|a| &a["ResourceId"])
            .collect();
        let vpc_nets = w.aws("vpc").into_iter().filter(|v| vpc_ids.contains(&&v["VpcId"])).flat_map(cidrs).collect();
        let table = &tgw["Options"]["AssociationDefaultRouteTableId"];
        let routes = w
            .aws("tgw-rtb")
            .into_iter()
            .filter(|t| &t["TransitGatewayRouteTableId"] == table)
            .flat_map(|t| t["Routes"].as_array().cloned().unwrap_or_default())
            .filter(|r| {
                r["TransitGatewayAttachments"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a["ResourceId"] == vpn["VpnConnectionId"]))
            })
            .filter_map(|r| r["DestinationCidrBlock"].as_str()?.parse().ok())
            .collect();
        let asn = tgw["Options"]["AmazonSideAsn"].as_u64().unwrap_or(64512) as u32;
        return Some(AwsGateway { asn, vpc_nets, routes });
    }
    let vgw = w.aws("vgw").into_iter().find(|g| g["VpnGatewayId"] == vpn["VpnGatewayId"])?;
    // A detached gateway reaches no VPC.
    let vpc = vgw["VpcAttachments"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["State"] == "attached"))
        .and_then(|a| w.aws("vpc").into_iter().find(|v| v["VpcId"] == a["VpcId"]))?;
    let asn = vgw["AmazonSideAsn"].as_u64().unwrap_or(64512) as u32;
    Some(AwsGateway { asn, vpc_nets: cidrs(vpc), routes: Vec::new() })
}

/// AWS: one instance per VPN tunnel endpoint.
fn aws(w: &World, site_of: SiteOf, out: &mut Vec<Instance>) {
    let b = behaviour::of(Kind::AwsVgw);
    for vpn in w.aws("vpn") {
        let cgw = w.aws("cgw").into_iter().find(|g| g["CustomerGatewayId"] == vpn["CustomerGatewayId"]);
        let Some(cgw) = cgw else { continue };
        let Some(gw) = aws_gateway(w, vpn) else { continue };
        let (amazon_asn, vpc_nets) = (gw.asn, gw.vpc_nets);
        let Some(site) = vpc_nets.first().and_then(site_of) else { continue };
        let name = name_tag(vpn);
        let made = w.call(
            "aws",
            "ec2 create-vpn-connection",
            "--customer-gateway-id",
            cgw["CustomerGatewayId"].as_str().unwrap_or(""),
        );
        let options: Value =
            made.and_then(|c| c.opt("--options")).and_then(|o| serde_json::from_str(o).ok()).unwrap_or(Value::Null);
        let static_only = vpn["Options"]["StaticRoutesOnly"].as_bool().unwrap_or(false);
        let routes: Vec<Ipv4Net> = vpn["Routes"]
            .as_array()
            .map(|r| {
                r.iter().filter_map(|r| r["DestinationCidrBlock"].as_str()?.parse().ok()).collect::<Vec<Ipv4Net>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain(gw.routes)
            .collect();
        let Some(peer) = w.ip(&cgw["IpAddress"]) else { continue };
        for (i, t) in vpn["Options"]["TunnelOptions"].as_array().cloned().unwrap_or_default().iter().enumerate() {
            let Some(local) = w.ip(&t["OutsideIpAddress"]) else { continue };
            let o = &options["TunnelOptions"][i];
            let inside: Option<Ipv4Net> = t["TunnelInsideCidr"].as_str().and_then(|s| s.parse().ok());
            let list = |k: &str| -> Vec<String> {
                o[k].as_array()
                    .map(|a| a.iter().map(|v| v["Value"].to_string().trim_matches('"').to_string()).collect())
                    .unwrap_or_default()
            };
            let proposal =
                |enc: Vec<String>, integ: Vec<String>, dh: Vec<String>, default: &str, esp: bool| -> String {
                    if enc.is_empty() && integ.is_empty() && dh.is_empty() {
                        return default.to_string();
                    }
                    let mut p: Vec<String> =
                        enc.iter().filter_map(|e| behaviour::algorithm(e)).map(String::from).collect();
                    if !p.iter().all(|a| a.contains("gcm")) {
                        p.extend(integ.iter().filter_map(|e| behaviour::algorithm(e)).map(String::from));
                    } else if !esp {
                        p.extend(integ.iter().filter_map(|e| behaviour::algorithm(e)).map(|a| format!("prf{a}")));
                    }
                    p.extend(dh.iter().filter_map(|d| d.parse().ok().and_then(behaviour::dh_group)).map(String::from));
                    p.join("-")
                };
            let versions = list("IKEVersions");
            let version = match (versions.iter().any(|v| v == "ikev1"), versions.iter().any(|v| v == "ikev2")) {
                (true, false) => 1,
                (false, true) => 2,
                _ => 0,
            };
            let ike = proposal(
                list("Phase1EncryptionAlgorithms"),
                list("Phase1IntegrityAlgorithms"),
                list("Phase1DHGroupNumbers"),
                b.default_ike,
                false,
            );
            let esp = proposal(
                list("Phase2EncryptionAlgorithms"),
                list("Phase2IntegrityAlgorithms"),
                list("Phase2DHGroupNumbers"),
                b.default_esp,
                true,
            );
            let conn_name = format!("{} tunnel {} ({name})", vpn["VpnConnectionId"].as_str().unwrap_or(""), i + 1);
            let inside_ip = inside.map(|n| (Ipv4Addr::from(u32::from(n.network()) + 1), n.prefix_len()));
            let initiates = b.initiates_ike == Initiates::Always || o["StartupAction"] == "start";
            let mut bgp = None;
            if !static_only {
                if let (Some((ip, _)), Some(n)) = (inside_ip, inside) {
                    bgp = Some(Bgp {
                        asn: amazon_asn,
                        neighbors: vec![Neighbor {
                            ip: Ipv4Addr::from(u32::from(n.network()) + 2),
                            asn: cgw["BgpAsn"]
                                .as_str()
                                .and_then(|s| s.parse().ok())
                                .or(cgw["BgpAsn"].as_u64().map(|a| a as u32))
                                .unwrap_or(65000),
                            source: ip,
                            passive: false,
                            conn: conn_name.clone(),
                        }],
                        networks: vpc_nets.clone(),
                        transit: b.transit,
                    });
                }
            }
            out.push(Instance {
                label: format!("aws {} t{}", vpn["VpnConnectionId"].as_str().unwrap_or(""), i + 1),
                kind: Kind::AwsVgw,
                site: site.clone(),
                outside: vec![local],
                conns: vec![Conn {
                    name: conn_name,
                    local,
                    remote: peer,
                    psk: t["PreSharedKey"].as_str().unwrap_or("").to_string(),
                    version,
                    ike,
                    esp,
                    ike_lifetime: o["Phase1LifetimeSeconds"].as_u64().map(|x| x as u32).unwrap_or(b.ike_lifetime),
                    child_lifetime: o["Phase2LifetimeSeconds"].as_u64().map(|x| x as u32).unwrap_or(b.child_lifetime),
                    initiates,
                    inside: inside_ip,
                    static_routes: if static_only { routes.clone() } else { Vec::new() },
                    selectors: Vec::new(),
                }],
                bgp,
                behind: vpc_nets.clone(),
                refused: Vec::new(),
            });
        }
    }
}

/// An Azure virtual network gateway as the lab reads it: its address space (its VNet's), ASN, and
/// per instance its public address and default BGP address (in the GatewaySubnet).
struct AzGateway {
    rg: String,
    name: String,
    vnet_nets: Vec<Ipv4Net>,
    asn: u32,
    instances: Vec<(Option<Ipv4Addr>, Option<Ipv4Addr>)>,
}

fn az_gateway(w: &World, key: &str, gw: &Value) -> AzGateway {
    let rg = key.split('/').next().unwrap_or("").to_string();
    let vnet_made = w.az_call(&rg, "network vnet create", "--name", gw["vnet"].as_str().unwrap_or(""));
    let peering = gw["bgpSettings"]["bgpPeeringAddresses"].as_array().cloned().unwrap_or_default();
    let instances = gw["publicIps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, pip)| {
            let public = w.ip(&w.json["az"][format!("{rg}/public-ip/{}", pip.as_str().unwrap_or(""))]["ipAddress"]);
            let default_bgp = peering.get(i).and_then(|p| p["defaultBgpIpAddresses"][0].as_str()?.parse().ok());
            (public, default_bgp)
        })
        .collect();
    AzGateway {
        name: gw["name"].as_str().unwrap_or("").to_string(),
        vnet_nets: nets(vnet_made.and_then(|c| c.opts.get("--address-prefixes")).map(Vec::as_slice).unwrap_or(&[])),
        asn: gw["bgpSettings"]["asn"].as_u64().unwrap_or(65515) as u32,
        instances,
        rg,
    }
}

/// One other end of an Azure connection: its address, the conn's name, and for a VNet-to-VNet
/// connection the other instance's BGP address and ASN.
type Remote = (Ipv4Addr, String, Option<(Ipv4Addr, u32)>);

/// The gateway a VNet-to-VNet connection names (`virtualNetworkGateway2.id`).
fn az_gateway_by_id(w: &World, id: &str) -> Option<AzGateway> {
    w.az("vnet-gateway").into_iter().find(|(_, g)| g["id"].as_str() == Some(id)).map(|(k, g)| az_gateway(w, k, g))
}

/// Azure: one instance per gateway public IP (two when active-active).
fn azure(w: &World, site_of: SiteOf, out: &mut Vec<Instance>) {
    for (key, gw) in w.az("vnet-gateway") {
        let me = az_gateway(w, key, gw);
        let (rg, gname, asn, vnet_nets) = (me.rg.as_str(), me.name.as_str(), me.asn, &me.vnet_nets);
        // The VPN type the gateway was created with (the stand-in keeps the call).
        let policy_based = w
            .az_call(rg, "network vnet-gateway create", "--name", gname)
            .and_then(|m| m.opt("--vpn-type"))
            .is_some_and(|t| t.eq_ignore_ascii_case("PolicyBased"));
        let kind = if policy_based { Kind::AzurePolicyBased } else { Kind::AzureGateway };
        let b = behaviour::of(kind);
        let Some(site) = vnet_nets.first().and_then(site_of) else { continue };
        let peering = gw["bgpSettings"]["bgpPeeringAddresses"].as_array().cloned().unwrap_or_default();
        for (i, &(local, default_bgp)) in me.instances.iter().enumerate() {
            let Some(local) = local else { continue };
            let ipconfig = peering.get(i).and_then(|p| p["ipconfigurationId"].as_str()).unwrap_or("").to_string();
            let instance_custom: Vec<Ipv4Addr> = peering
                .get(i)
                .and_then(|p| p["customBgpIpAddresses"].as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            let mut conns = Vec::new();
            let mut neighbors = Vec::new();
            for (_, c) in w
                .az("vpn-connection")
                .into_iter()
                .filter(|(k, c)| k.starts_with(&format!("{rg}/")) && c["gateway"] == gname)
            {
                let cname = c["name"].as_str().unwrap_or("").to_string();
                let lng_name = c["localGateway"].as_str().unwrap_or("");
                let lng = &w.json["az"][format!("{rg}/local-gateway/{lng_name}")];
                let lng_made = w.az_call(rg, "network local-gateway create", "--name", lng_name);
                let prefixes = nets(
                    lng_made.and_then(|m| m.opts.get("--local-address-prefixes")).map(Vec::as_slice).unwrap_or(&[]),
                );
                // The other ends: the local network gateway's address, or for a VNet-to-VNet
                // connection every instance of the other gateway [AZ-V2V].
                let v2v = c["connectionType"] == "Vnet2Vnet";
                let other = v2v.then(|| az_gateway_by_id(w, c["virtualNetworkGateway2"]["id"].as_str().unwrap_or("")));
                let remotes: Vec<Remote> = match &other {
                    Some(Some(o)) => o
                        .instances
                        .iter()
                        .enumerate()
                        .filter_map(|(j, (ip, bgp))| {
                            let label = format!("{cname} (instance {i} to {} instance {j})", o.name);
                            Some(((*ip)?, label, bgp.map(|a| (a, o.asn))))
                        })
                        .collect(),
                    Some(None) => continue, // the other gateway is gone
                    None => match w.ip(&lng["gatewayIpAddress"]) {
                        Some(r) => vec![(r, format!("{cname} (instance {i})"), None)],
                        None => continue,
                    },
                };
                let policy = c["ipsecPolicies"].as_array().and_then(|p| p.last());
                let policy_made = w.az_call(rg, "network vpn-connection ipsec-policy add", "--connection-name", &cname);
                let (ike, esp, child) = match (policy, policy_made) {
                    (Some(p), Some(m)) => {
                        let a = |v: Option<&str>| v.and_then(behaviour::algorithm).unwrap_or("unknown");
                        let ienc = a(p["ikeEncryption"].as_str());
                        let integ = a(m.opt("--ike-integrity"));
                        let dh = a(p["dhGroup"].as_str());
                        let ike = if ienc.contains("gcm") {
                            format!("{ienc}-prf{integ}-{dh}")
                        } else {
                            format!("{ienc}-{integ}-{dh}")
                        };
                        let eenc = a(p["ipsecEncryption"].as_str());
                        let pfs = m
                            .opt("--pfs-group")
                            .filter(|g| *g != "None")
                            .map(|g| format!("-{}", a(Some(g))))
                            .unwrap_or_default();
                        let esp = if eenc.contains("gcm") {
                            format!("{eenc}{pfs}-noesn")
                        } else {
                            format!("{eenc}-{}{pfs}-noesn", a(m.opt("--ipsec-integrity")))
                        };
                        (ike, esp, p["saLifeTimeSeconds"].as_u64().unwrap_or(27000) as u32)
                    }
                    _ => (b.default_ike.to_string(), b.default_esp.to_string(), b.child_lifetime),
                };
                let bgp_on = c["enableBgp"].as_bool().unwrap_or(false);
                // Per connection: the custom address for this ipConfiguration, else the instance's first.
                let custom: Option<Ipv4Addr> = c["gatewayCustomBgpIpAddresses"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| x["ipConfigurationId"].as_str() == Some(ipconfig.as_str())))
                    .and_then(|x| x["customBgpIpAddress"].as_str()?.parse().ok())
                    .or_else(|| instance_custom.first().copied());
                let lng_peer: Option<(Ipv4Addr, u32)> = lng_made
                    .and_then(|m| Some((m.opt("--bgp-peering-address")?.parse().ok()?, m.opt("--asn")?.parse().ok()?)));
                // VNet-to-VNet BGP runs between the gateways' default BGP addresses [AZ-V2V]; a
                // site-to-site connection speaks from the custom address (APIPA) [AZ-BGP].
                let source = if v2v { default_bgp } else { custom };
                for (remote, conn_name, v2v_peer) in remotes {
                    if bgp_on {
                        if let (Some(src), Some((ip, asn))) = (source, v2v_peer.or(lng_peer)) {
                            let apipa = ip.octets()[..2] == [169, 254];
                            neighbors.push(Neighbor {
                                ip,
                                asn,
                                source: src,
                                passive: apipa && b.initiates_bgp == behaviour::BgpInitiation::NotToApipa,
                                conn: conn_name.clone(),
                            });
                        }
                    }
                    // Static: the VNet routes the local network gateway's prefixes, or the other
                    // VNet's address space, into the connection.
                    let routes = match &other {
                        Some(Some(o)) => o.vnet_nets.clone(),
                        _ => prefixes.clone(),
                    };
                    let selectors = match b.selectors {
                        behaviour::Selectors::AnyToAny => Vec::new(),
                        behaviour::Selectors::PrefixPairs => {
                            vnet_nets.iter().flat_map(|l| routes.iter().map(move |r| (*l, *r))).collect()
                        }
                    };
                    conns.push(Conn {
                        name: conn_name,
                        local,
                        remote,
                        psk: c["sharedKey"].as_str().unwrap_or("").to_string(),
                        version: b.ike_version,
                        selectors,
                        ike: ike.clone(),
                        esp: esp.clone(),
                        ike_lifetime: b.ike_lifetime,
                        child_lifetime: child,
                        initiates: true,
                        inside: if bgp_on { source.map(|a| (a, 32)) } else { None },
                        static_routes: if bgp_on { Vec::new() } else { routes },
                    });
                }
            }
            out.push(Instance {
                label: format!("azure {gname} instance {i}"),
                kind,
                site: site.clone(),
                outside: vec![local],
                bgp: (!neighbors.is_empty()).then(|| Bgp {
                    asn,
                    neighbors,
                    networks: vnet_nets.clone(),
                    transit: b.transit,
                }),
                conns,
                behind: vnet_nets.clone(),
                refused: Vec::new(),
            });
        }
    }
}

/// Google Cloud: one instance per HA VPN gateway (both interfaces) with its Cloud Router.
fn gcp(w: &World, site_of: SiteOf, out: &mut Vec<Instance>) {
    let b = behaviour::of(Kind::GcpHaVpn);
    for gw in w.gc("vpn-gateways") {
        let gname = gw["name"].as_str().unwrap_or("");
        let network = gw["network"].as_str().unwrap_or("");
        let subnets: Vec<Ipv4Net> = w
            .calls
            .iter()
            .filter(|c| c.is("gcloud", "compute networks subnets create") && c.opt("--network") == Some(network))
            .filter_map(|c| c.opt("--range")?.parse().ok())
            .collect();
        let Some(site) = subnets.first().and_then(site_of) else { continue };
        let ifs: Vec<Ipv4Addr> = gw["vpnInterfaces"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| w.ip(&i["ipAddress"])).collect())
            .unwrap_or_default();
        let mut conns = Vec::new();
        let mut neighbors = Vec::new();
        let mut asn = 0;
        let mut refused = Vec::new();
        // Addresses of every HA VPN gateway: Google's own.
        let google: Vec<Ipv4Addr> = w
            .gc("vpn-gateways")
            .into_iter()
            .flat_map(|g| g["vpnInterfaces"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| w.ip(&i["ipAddress"]))
            .collect();
        for t in w.gc("vpn-tunnels").into_iter().filter(|t| t["vpn-gateway"] == gname) {
            let tname = t["name"].as_str().unwrap_or("").to_string();
            let iface: usize = t["interface"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
            let Some(&local) = ifs.get(iface) else { continue };
            let remote = if let Some(peer) = t["peer-external-gateway"].as_str() {
                let pi: u64 = t["peer-external-gateway-interface"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                w.gc("external-vpn-gateways").into_iter().find(|g| g["name"] == peer).and_then(|g| {
                    g["interfaces"]
                        .as_array()?
                        .iter()
                        .find(|i| i["id"].as_u64() == Some(pi))
                        .and_then(|i| w.ip(&i["ipAddress"]))
                })
            } else if let Some(peer) = t["peer-gcp-gateway"].as_str() {
                // Named by name or by URI (selfLink); interface i reaches the peer's interface i
                // [GCP-HA-TS].
                w.gc("vpn-gateways")
                    .into_iter()
                    .find(|g| g["name"] == peer || g["selfLink"] == peer)
                    .and_then(|g| g["vpnInterfaces"][iface]["ipAddress"].as_str()?.parse().ok())
                    .map(|a| w.remap.ip(a))
            } else {
                t["peer-address"].as_str().and_then(|s| s.parse().ok()).map(|a| w.remap.ip(a))
            };
            let Some(remote) = remote else { continue };
            if t["peer-external-gateway"].is_string() && google.contains(&remote) {
                refused.push((
                    tname.clone(),
                    format!("Google refuses an external VPN gateway holding its own address {remote}: HA VPN to HA VPN needs --peer-gcp-gateway [GCP-HA-TS]"),
                ));
                continue;
            }
            let made = w.call("gcloud", "compute vpn-tunnels create", "", &tname);
            let psk = made.and_then(|m| m.opt("--shared-secret")).unwrap_or("").to_string();
            let version: u8 = t["ike-version"].as_str().and_then(|s| s.parse().ok()).unwrap_or(2);
            let router =
                w.gc("routers").into_iter().find(|r| Some(r["name"].as_str().unwrap_or("")) == t["router"].as_str());
            let mut inside = None;
            if let Some(r) = router {
                asn = r["bgp"]["asn"].as_u64().unwrap_or(0) as u32;
                let ifc = r["interfaces"]
                    .as_array()
                    .and_then(|a| a.iter().find(|i| i["linkedVpnTunnel"].as_str() == Some(tname.as_str())));
                if let Some(ifc) = ifc {
                    let range: Option<Ipv4Net> = ifc["ipRange"].as_str().and_then(|s| s.parse().ok());
                    inside = range.map(|n| (n.addr(), n.prefix_len()));
                    for p in
                        r["bgpPeers"].as_array().into_iter().flatten().filter(|p| p["interfaceName"] == ifc["name"])
                    {
                        if let (Some(ip), Some(pasn), Some((src, _))) = (
                            p["peerIpAddress"].as_str().and_then(|s| s.parse().ok()),
                            // A number, as `routers describe` shows it.
                            p["peerAsn"].as_u64().and_then(|n| u32::try_from(n).ok()),
                            inside,
                        ) {
                            neighbors.push(Neighbor {
                                ip,
                                asn: pasn,
                                source: src,
                                passive: false,
                                conn: tname.clone(),
                            });
                        }
                    }
                }
            }
            let cipher = |flag: &str| made.and_then(|m| m.opts.get(flag)).cloned().unwrap_or_default();
            let p1: Vec<String> = cipher("--phase1-encryption");
            let (ike, esp) = if p1.is_empty() {
                (b.default_ike.to_string(), b.default_esp.to_string())
            } else {
                // Google's names to strongSwan's keywords; the proposal is their join.
                let j = |v: Vec<String>| {
                    v.iter()
                        .flat_map(|s| s.split(','))
                        .filter_map(|s| behaviour::algorithm(s.trim()))
                        .collect::<Vec<_>>()
                        .join("-")
                };
                let join =
                    |parts: Vec<String>| parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
                (
                    join(vec![
                        j(p1),
                        j(cipher("--phase1-integrity")),
                        j(cipher("--phase1-prf")),
                        j(cipher("--phase1-dh")),
                    ]),
                    join(vec![
                        j(cipher("--phase2-encryption")),
                        j(cipher("--phase2-integrity")),
                        j(cipher("--phase2-pfs")),
                    ]),
                )
            };
            conns.push(Conn {
                name: tname.clone(),
                local,
                remote,
                psk,
                version,
                ike,
                esp,
                ike_lifetime: b.ike_lifetime,
                child_lifetime: b.child_lifetime,
                initiates: true,
                inside,
                static_routes: Vec::new(),
                selectors: Vec::new(),
            });
        }
        out.push(Instance {
            label: format!("gcp {gname}"),
            kind: Kind::GcpHaVpn,
            site: site.clone(),
            outside: ifs,
            bgp: (!neighbors.is_empty()).then(|| Bgp { asn, neighbors, networks: subnets.clone(), transit: b.transit }),
            conns,
            behind: subnets.clone(),
            refused,
        });
    }
}

/// Every emulated cloud gateway instance the world holds.
pub fn instances(w: &World, site_of: SiteOf) -> Vec<Instance> {
    let mut out = Vec::new();
    aws(w, site_of, &mut out);
    azure(w, site_of, &mut out);
    gcp(w, site_of, &mut out);
    out
}

// ---- routing inside the clouds ------------------------------------------------------------------

/// Where a VPC's route table sends traffic for a host address.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// The VPN gateway: a virtual private gateway (explicit route or propagation) or a transit
    /// gateway (explicit route).
    Vgw,
    /// An appliance's network interface (with whether its source/destination check is off).
    Eni {
        forwards: bool,
    },
    Other(String),
}

/// AWS: the routes of the route table associated with the subnet holding `host`, and whether the
/// table propagates the VPC's VPN gateway [AWS-RTB]; an interface route forwards only with the
/// source/destination check off [AWS-SRCDST]. `None`: the host is in no AWS subnet of the world.
pub fn aws_routes(w: &World, host: Ipv4Addr) -> Option<RouteTable> {
    let subnet = w
        .aws("subnet")
        .into_iter()
        .find(|s| s["CidrBlock"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()).is_some_and(|n| n.contains(&host)))?;
    let sid = subnet["SubnetId"].as_str()?;
    let Some(rt) = w
        .aws("rtb")
        .into_iter()
        .find(|r| r["Associations"].as_array().is_some_and(|a| a.iter().any(|a| a["SubnetId"] == sid)))
    else {
        return Some((
            format!("subnet {sid} has no route table association (the VPC's main table: local routes only)"),
            Vec::new(),
            false,
        ));
    };
    let vgw_ids: Vec<&str> = w.aws("vgw").into_iter().filter_map(|g| g["VpnGatewayId"].as_str()).collect();
    let tgw_ids: Vec<&str> = w.aws("tgw").into_iter().filter_map(|g| g["TransitGatewayId"].as_str()).collect();
    let mut routes = Vec::new();
    for r in rt["Routes"].as_array().into_iter().flatten() {
        let Some(dest) = r["DestinationCidrBlock"].as_str().and_then(|d| d.parse().ok()) else { continue };
        // The stand-in keeps the CLI's option names (`gateway-id`); AWS says `GatewayId`.
        let field = |a: &str, b: &str| r[a].as_str().or(r[b].as_str());
        let target = if let Some(g) = field("TransitGatewayId", "transit-gateway-id") {
            if tgw_ids.contains(&g) {
                Target::Vgw
            } else {
                Target::Other(g.to_string())
            }
        } else if let Some(g) = field("GatewayId", "gateway-id") {
            if vgw_ids.contains(&g) {
                Target::Vgw
            } else {
                Target::Other(g.to_string())
            }
        } else if let Some(e) = field("NetworkInterfaceId", "network-interface-id") {
            let forwards = w.ec2["eni"][e]["SourceDestCheck"].as_bool() == Some(false);
            Target::Eni { forwards }
        } else {
            continue;
        };
        routes.push((dest, target));
    }
    let propagates = rt["PropagatingVgws"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["GatewayId"].as_str().is_some_and(|g| vgw_ids.contains(&g))));
    Some((rt["RouteTableId"].as_str().unwrap_or("").to_string(), routes, propagates))
}

/// A firewall allow rule: protocol (`-1` for any), port range, source.
pub type Rule = (String, Option<(u16, u16)>, Ipv4Net);

/// A VPC route table as it applies to one host: its id (or why there is none), its routes, and
/// whether it propagates the VPN gateway's routes.
pub type RouteTable = (String, Vec<(Ipv4Net, Target)>, bool);

/// An appliance on EC2: its public address (the elastic IP on its interface) and the security
/// group ingress rules of that interface (protocol, port range, source).
pub struct Ec2Appliance {
    pub private_ip: Ipv4Addr,
    pub public_ip: Option<Ipv4Addr>,
    pub ingress: Vec<Rule>,
}

pub fn ec2_appliance(w: &World, private_ip: Ipv4Addr) -> Option<Ec2Appliance> {
    let (eid, eni) = w.ec2["eni"]
        .as_object()?
        .iter()
        .find(|(_, e)| e["PrivateIpAddress"].as_str() == Some(&private_ip.to_string()))?;
    let public_ip = w.ec2["eip"]
        .as_object()
        .and_then(|m| m.values().find(|a| a["NetworkInterfaceId"].as_str() == Some(eid.as_str())))
        .and_then(|a| w.ip(&a["PublicIp"]));
    let mut ingress = Vec::new();
    for g in eni["Groups"].as_array().into_iter().flatten() {
        let sg = &w.ec2["sg"][g["GroupId"].as_str().unwrap_or("")];
        for p in sg["IpPermissions"].as_array().into_iter().flatten() {
            let proto = p["IpProtocol"].as_str().unwrap_or("-1").to_string();
            let ports = p["FromPort"].as_u64().map(|f| (f as u16, p["ToPort"].as_u64().unwrap_or(f) as u16));
            for r in p["IpRanges"].as_array().into_iter().flatten() {
                if let Some(n) = r["CidrIp"].as_str().and_then(|c| c.parse::<Ipv4Net>().ok()) {
                    let n = if n.prefix_len() == 32 { Ipv4Net::new(w.remap.ip(n.addr()), 32).unwrap() } else { n };
                    ingress.push((proto.clone(), ports, n));
                }
            }
        }
    }
    Some(Ec2Appliance { private_ip, public_ip, ingress })
}

/// An appliance on an Azure VM: the public IP on its NIC, the NSG's inbound allow rules (with the
/// default rule that admits the VNet), and whether the NIC forwards (IP forwarding).
pub fn azure_appliance(w: &World, private_ip: Ipv4Addr) -> Option<Ec2Appliance> {
    let nic =
        w.calls.iter().rev().find(|c| {
            c.is("az", "network nic create") && c.opt("--private-ip-address") == Some(&private_ip.to_string())
        })?;
    let rg = nic.opt("--resource-group").unwrap_or("");
    let public_ip =
        nic.opt("--public-ip-address").and_then(|p| w.ip(&w.json["az"][format!("{rg}/public-ip/{p}")]["ipAddress"]));
    let mut ingress = Vec::new();
    // AllowVnetInBound, one of every NSG's default rules [AZ-NSG].
    let vnet = nic.opt("--vnet-name").and_then(|v| w.az_call(rg, "network vnet create", "--name", v));
    for n in nets(vnet.and_then(|v| v.opts.get("--address-prefixes")).map(Vec::as_slice).unwrap_or(&[])) {
        ingress.push(("-1".to_string(), None, n));
    }
    if let Some(nsg) = nic.opt("--network-security-group") {
        for r in w.calls.iter().filter(|c| c.is("az", "network nsg rule create") && c.opt("--nsg-name") == Some(nsg)) {
            if r.opt("--direction") != Some("Inbound") || r.opt("--access") != Some("Allow") {
                continue;
            }
            // The rule must still exist in the world (a removed rule admits nothing).
            let key = format!("{rg}/nsg rule/{nsg}/{}", r.opt("--name").unwrap_or(""));
            if w.json["az"].get(&key).is_none() {
                continue;
            }
            let proto = r.opt("--protocol").unwrap_or("*").to_ascii_lowercase();
            let ports: Vec<u16> =
                r.opts.get("--destination-port-ranges").into_iter().flatten().filter_map(|p| p.parse().ok()).collect();
            for src in r.opts.get("--source-address-prefixes").into_iter().flatten() {
                let Ok(n) = src.parse::<Ipv4Net>() else { continue };
                let n = Ipv4Net::new(w.remap.ip(n.addr()), n.prefix_len()).unwrap();
                let proto = match proto.as_str() {
                    "*" => "-1".to_string(),
                    p => p.to_string(),
                };
                if ports.is_empty() {
                    ingress.push((proto.clone(), None, n));
                }
                for p in &ports {
                    ingress.push((proto.clone(), Some((*p, *p)), n));
                }
            }
        }
    }
    Some(Ec2Appliance { private_ip, public_ip, ingress })
}

/// Whether the NIC of an appliance on Azure forwards (`--ip-forwarding true`).
pub fn azure_forwards(w: &World, private_ip: Ipv4Addr) -> bool {
    w.calls
        .iter()
        .rev()
        .find(|c| c.is("az", "network nic create") && c.opt("--private-ip-address") == Some(&private_ip.to_string()))
        .and_then(|c| c.opt("--ip-forwarding"))
        == Some("true")
}

/// Azure: the user-defined routes of the route table associated with the subnet holding `host`
/// (prefix, next hop); `Err` says why there are none.
pub fn azure_routes(w: &World, host: Ipv4Addr) -> Result<Vec<(Ipv4Net, Ipv4Addr)>, String> {
    let subnet = w
        .calls
        .iter()
        .filter(|c| c.is("az", "network vnet subnet create"))
        .find(|c| {
            nets(c.opts.get("--address-prefixes").map(Vec::as_slice).unwrap_or(&[])).iter().any(|n| n.contains(&host))
        })
        .ok_or_else(|| format!("{host} is in no subnet the world holds"))?;
    let name = subnet.opt("--name").unwrap_or("");
    let table = w
        .calls
        .iter()
        .rev()
        .filter(|c| {
            (c.is("az", "network vnet subnet create") || c.is("az", "network vnet subnet update"))
                && c.opt("--name") == Some(name)
        })
        .find_map(|c| c.opt("--route-table"))
        .ok_or_else(|| {
            format!("subnet {name} ({host}) has no route table associated, so the VNet routes nothing to the appliance")
        })?;
    Ok(w.calls
        .iter()
        .filter(|c| {
            c.is("az", "network route-table route create")
                && c.opt("--route-table-name") == Some(table)
                && c.opt("--next-hop-type") == Some("VirtualAppliance")
        })
        .filter_map(|c| Some((c.opt("--address-prefix")?.parse().ok()?, c.opt("--next-hop-ip-address")?.parse().ok()?)))
        .collect())
}

/// Google Cloud: the network of the subnet holding `host`, and the ingress allow rules of its
/// firewall (protocol `-1` for all); everything else is dropped by the implied deny-ingress rule
/// [GCP-FW]. `None`: the host is in no Google Cloud subnet of the world.
pub fn gcp_ingress(w: &World, host: Ipv4Addr) -> Option<(String, Vec<Rule>)> {
    let subnet = w
        .calls
        .iter()
        .filter(|c| c.is("gcloud", "compute networks subnets create"))
        .find(|c| c.opt("--range").and_then(|r| r.parse::<Ipv4Net>().ok()).is_some_and(|n| n.contains(&host)))?;
    let network = subnet.opt("--network")?.to_string();
    let mut rules = Vec::new();
    for r in w.gc("firewall-rules").into_iter().filter(|r| r["network"].as_str() == Some(network.as_str())) {
        if r["direction"].as_str().is_some_and(|d| !d.eq_ignore_ascii_case("INGRESS")) {
            continue;
        }
        let sources = nets(&[r["source-ranges"].as_str().unwrap_or("").to_string()]);
        for proto in r["allow"].as_str().unwrap_or("").split(',') {
            let proto = proto.split(':').next().unwrap_or("").to_ascii_lowercase();
            let proto = if proto == "all" { "-1".to_string() } else { proto };
            for s in &sources {
                rules.push((proto.clone(), None, *s));
            }
        }
    }
    Some((network, rules))
}
