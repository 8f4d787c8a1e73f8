//! Google Cloud: network and subnets when new, a firewall rule for the peers' prefixes, the HA
//! VPN gateway, the Cloud Router with its ASN, one external VPN gateway per peer with as many
//! interfaces as the peer has addresses, tunnels, router interfaces and BGP peers on the
//! allocated /30s; or, for an appliance on Compute Engine, its firewall rules, address and routes.
//!
//! Google Cloud has no labels on VPN resources: every name starts with `<plan>-<site>` and
//! carries a `tunnelsmith plan <plan>` description, which teardown matches.

use super::{
    cat, links_of, object, param, public_address, secret, spaces, t, ts, var, via_file, Arg, Builder, Guard, Program,
    ResourceKind,
};
use crate::check::Resolved;
use crate::kb::asn;
use crate::kb::dialects::{self, Dialect};
use crate::kb::pairing::PeerObject;
use crate::plan::{Gateway, IkeVersion, Network};
use std::collections::BTreeSet;

const GCLOUD: Program = Program::Gcloud;

struct Ctx<'r> {
    s: super::SiteCtx<'r>,
}

impl<'r> std::ops::Deref for Ctx<'r> {
    type Target = super::SiteCtx<'r>;
    fn deref(&self) -> &Self::Target {
        &self.s
    }
}

impl Ctx<'_> {
    fn region(&self) -> Vec<Arg> {
        vec![t("--region"), param(text!("{}_REGION", self.v), self.r.sites[self.site].region.clone())]
    }

    fn network(&self) -> Arg {
        let value = match &self.r.sites[self.site].network {
            Network::Existing { id, .. } => id.clone(),
            Network::New => text!("{}-net", self.prefix),
        };
        param(text!("{}_NETWORK", self.v), value)
    }

    fn description(&self) -> Vec<Arg> {
        vec![t("--description"), t(text!("tunnelsmith plan {}", self.r.plan_name))]
    }

    /// `gcloud compute <what...> NAME`
    fn compute(&self, what: &[&'static str], name: Arg) -> Vec<Arg> {
        let mut a = vec![t("compute")];
        a.extend(ts(what));
        a.push(name);
        a
    }

    /// `gcloud compute <what...> delete NAME [--region R] --quiet`
    fn delete(&self, what: &[&'static str], name: Arg, regional: bool) -> Vec<Arg> {
        let mut a = vec![t("gcloud"), t("compute")];
        a.extend(ts(what));
        a.extend([t("delete"), name]);
        if regional {
            a.extend(self.region());
        }
        a.push(t("--quiet"));
        a
    }
}

/// Google Cloud's proposal pinned to the one the link resolved to (`--phase1-*`/`--phase2-*`):
/// a smaller IKE_SA_INIT, and the same negotiation every time. With AES-GCM the integrity is the
/// cipher's own and only the PRF is given; without PFS no phase 2 group is.
fn ciphers(p: &crate::check::Profile) -> Vec<Arg> {
    let d = Dialect::Gcp;
    let mut a = Vec::new();
    let mut flag = |f: &'static str, v: Option<&'static str>| {
        if let Some(v) = v {
            a.extend([t(f), t(v)]);
        }
    };
    flag("--phase1-encryption", dialects::encryption(d, p.p1_encryption));
    if !p.p1_encryption.is_aead() {
        flag("--phase1-integrity", dialects::integrity(d, p.p1_integrity));
    }
    flag("--phase1-prf", Some(dialects::gcp_prf(p.p1_integrity)));
    flag("--phase1-dh", dialects::dh_group(d, p.p1_dh));
    flag("--phase2-encryption", dialects::encryption(d, p.p2_encryption));
    flag("--phase2-integrity", p.p2_integrity.and_then(|i| dialects::integrity(d, i)));
    flag("--phase2-pfs", p.pfs.and_then(|g| dialects::pfs_group(d, Some(g))));
    a
}

fn format(f: &str) -> Vec<Arg> {
    vec![t("--format"), t(text!("value({f})"))]
}

pub(crate) fn site(b: &mut Builder, r: &Resolved, i: usize) {
    let s = &r.sites[i];
    let c = Ctx { s: super::SiteCtx::new(r, i) };
    network(b, &c);
    match &s.gateway {
        Gateway::GcpHaVpn { .. } => ha_vpn(b, &c),
        Gateway::Appliance { .. } => appliance(b, &c),
        Gateway::AwsVgw { .. }
        | Gateway::AwsTgw { .. }
        | Gateway::AzureVpnGateway { .. }
        | Gateway::GcpClassicVpn { .. } => {}
    }
}

fn network(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    if s.network == Network::New {
        let name = text!("{}-net", c.prefix);
        let mut a = c.compute(&["networks", "create"], c.network());
        a.extend(ts(&["--subnet-mode", "custom", "--bgp-routing-mode", "global"]));
        a.extend(c.description());
        a.extend(format("name"));
        b.add(c.site, c.id("network"), text!("Create the VPC network {name}"), GCLOUD, a).creates(
            ResourceKind::GcpVpcNetwork,
            name,
            c.delete(&["networks"], c.network(), false),
        );
        for (k, sub) in s.subnets.iter().enumerate() {
            let mut a = c.compute(&["networks", "subnets", "create"], t(sub.name.clone()));
            a.extend([t("--network"), c.network()]);
            a.extend(c.region());
            a.extend([t("--range"), t(sub.cidr.to_string())]);
            a.extend(c.description());
            a.extend(format("name"));
            b.add(
                c.site,
                c.id(format_args!("subnet-{}", k + 1)),
                text!("Create subnet {} ({})", sub.name, sub.cidr),
                GCLOUD,
                a,
            )
            .after(c.id("network"))
            .creates(
                ResourceKind::GcpSubnet,
                sub.name.clone(),
                c.delete(&["networks", "subnets"], t(sub.name.clone()), true),
            )
            // Subnet names are per region, not per network: delete only the one in this network.
            .only_if(Guard::Prints {
                check: {
                    let mut a = vec![t("gcloud"), t("compute"), t("networks"), t("subnets"), t("describe")];
                    a.push(t(sub.name.clone()));
                    a.extend(c.region());
                    a.extend(format("network.basename()"));
                    a
                },
                expect: c.network(),
            });
        }
    }
    // Traffic from the peers' prefixes (arriving through the tunnels) may reach the VMs.
    let mut ranges: Vec<String> = Vec::new();
    for (_, _, peer) in links_of(c.r, c.site) {
        for p in spaces(peer) {
            if !ranges.contains(&p) {
                ranges.push(p);
            }
        }
    }
    if ranges.is_empty() {
        return;
    }
    let name = text!("{}-from-peers", c.prefix);
    let mut a = c.compute(&["firewall-rules", "create"], t(name.clone()));
    a.extend([
        t("--network"),
        c.network(),
        t("--direction"),
        t("INGRESS"),
        t("--allow"),
        t("tcp,udp,icmp"),
        t("--source-ranges"),
        t(ranges.join(",")),
    ]);
    a.extend(c.description());
    a.extend(format("name"));
    let step = b.add(
        c.site,
        c.id("firewall"),
        text!("Allow traffic from the peer networks ({})", ranges.join(", ")),
        GCLOUD,
        a,
    );
    step.creates(ResourceKind::GcpFirewallRule, name.clone(), c.delete(&["firewall-rules"], t(name), false));
    if s.network == Network::New {
        step.after(c.id("network"));
    }
}

fn ha_vpn(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let gw_name = text!("{}-vpngw", c.prefix);
    let gw = param(text!("{}_VPN_GW", c.v), gw_name.clone());
    let mut a = c.compute(&["vpn-gateways", "create"], gw.clone());
    a.extend([t("--network"), c.network()]);
    a.extend(c.region());
    a.extend(c.description());
    a.extend(format("name"));
    let step = b.add(c.site, c.id("gateway"), text!("Create the HA VPN gateway {gw_name}"), GCLOUD, a);
    step.creates(ResourceKind::GcpHaVpnGateway, gw_name, c.delete(&["vpn-gateways"], gw.clone(), true));
    if s.network == Network::New {
        step.after(c.id("network"));
    }
    for n in 1..=2u8 {
        let mut a = c.compute(&["vpn-gateways", "describe"], gw.clone());
        a.extend(c.region());
        a.extend(format(&text!("vpnInterfaces[{}].ipAddress", n - 1)));
        b.add(
            c.site,
            c.id(format_args!("gateway-ip-{n}")),
            text!("Read the address of HA VPN interface {}", n - 1),
            GCLOUD,
            a,
        )
        .after(c.id("gateway"))
        .capture(c.out(format_args!("GW_IP_{n}")), text!("address of HA VPN interface {}", n - 1));
    }
    if links_of(c.r, c.site).any(|(l, e, _)| object(l, e) == Some(PeerObject::PeerGcpGateway)) {
        let mut a = c.compute(&["vpn-gateways", "describe"], gw.clone());
        a.extend(c.region());
        a.extend(format("selfLink"));
        b.add(
            c.site,
            c.id("gateway-uri"),
            "Read the HA VPN gateway's URI (for the peer HA VPN gateway's tunnels)",
            GCLOUD,
            a,
        )
        .after(c.id("gateway"))
        .capture(c.out("VPN_GW_URI"), "the HA VPN gateway's URI");
    }
    let router_name = text!("{}-router", c.prefix);
    let router = param(text!("{}_ROUTER", c.v), router_name.clone());
    let asn = s.asn.unwrap_or(asn::GCP_DEFAULT);
    let mut a = c.compute(&["routers", "create"], router.clone());
    a.extend([t("--network"), c.network()]);
    a.extend(c.region());
    a.extend([t("--asn"), param(text!("{}_ASN", c.v), asn.to_string())]);
    a.extend(c.description());
    a.extend(format("name"));
    let step = b.add(c.site, c.id("router"), text!("Create the Cloud Router {router_name} (ASN {asn})"), GCLOUD, a);
    step.creates(ResourceKind::GcpCloudRouter, router_name, c.delete(&["routers"], router.clone(), true));
    if s.network == Network::New {
        step.after(c.id("network"));
    }

    for (l, e, peer) in links_of(c.r, c.site) {
        let Some(profile) = &l.profile else { continue };
        let peer_gcp = object(l, e) == Some(PeerObject::PeerGcpGateway);
        // The peer's addresses, in tunnel order: one external gateway interface each.
        let mut keys: Vec<(u8, u8)> = Vec::new();
        let mut ips: Vec<Arg> = Vec::new();
        for tun in &l.tunnels {
            let o = tun.ends[1 - e];
            if keys.contains(&(o.connection, o.outside)) {
                continue;
            }
            let Some(ip) = public_address(c.r, l.site(1 - e), tun, 1 - e) else { continue };
            keys.push((o.connection, o.outside));
            ips.push(ip);
        }
        if ips.is_empty() && !peer_gcp {
            continue;
        }
        // HA VPN to HA VPN: the tunnels name the other gateway; Google refuses an external VPN
        // gateway holding its own addresses.
        // gcloud takes the peer's region only as part of its URI (`--peer-gcp-gateway-region`
        // excludes `--peer-gcp-gateway`), so the peer's own script records it.
        let peer_gw = [t("--peer-gcp-gateway"), super::out(text!("{}_VPN_GW_URI", var(&peer.name)))];
        let ext_name = text!("{}-{}-peer", c.r.plan_name, l.id);
        let ext = param(text!("{}_PEER_GW_{}", c.v, var(&peer.name)), ext_name.clone());
        let mut interfaces = Vec::new();
        for (k, ip) in ips.into_iter().enumerate() {
            interfaces.push(t(text!("{}{k}=", if k == 0 { "" } else { "," })));
            interfaces.push(ip);
        }
        let redundancy = match keys.len() {
            1 => "SINGLE_IP_INTERNALLY_REDUNDANT",
            2 => "TWO_IPS_REDUNDANCY",
            _ => "FOUR_IPS_REDUNDANCY",
        };
        if !peer_gcp {
            let mut a = c.compute(&["external-vpn-gateways", "create"], ext.clone());
            a.extend([t("--interfaces"), cat(interfaces)]);
            a.extend(c.description());
            a.extend(format("redundancyType"));
            b.add(
                c.site,
                c.id(format_args!("peer-{}", peer.name)),
                text!("Create external VPN gateway {ext_name} for {} ({redundancy})", peer.name),
                GCLOUD,
                a,
            )
            .creates(
                ResourceKind::GcpExternalVpnGateway,
                ext_name,
                c.delete(&["external-vpn-gateways"], ext.clone(), false),
            );
        }

        let peer_asn = peer.asn.unwrap_or(asn::APPLIANCE_DEFAULT);
        for tun in &l.tunnels {
            let o = tun.ends[1 - e];
            let j = if peer_gcp {
                usize::from(o.outside)
            } else {
                let Some(j) = keys.iter().position(|k| *k == (o.connection, o.outside)) else { continue };
                j
            };
            // Both HA VPN ends create a tunnel for the same pair of interfaces: the names say whose.
            let tname = if peer_gcp {
                text!("{}-{}-{}", c.r.plan_name, tun.id, if e == 0 { 'a' } else { 'b' })
            } else {
                text!("{}-{}", c.r.plan_name, tun.id)
            };
            let tunnel = param(text!("{}_TUNNEL_{}", c.v, var(&tun.id)), tname.clone());
            let mut a = c.compute(&["vpn-tunnels", "create"], tunnel.clone());
            a.extend(c.region());
            a.extend([t("--vpn-gateway"), gw.clone(), t("--interface"), t(tun.ends[e].outside.to_string())]);
            if peer_gcp {
                a.extend(peer_gw.clone());
            } else {
                a.extend([
                    t("--peer-external-gateway"),
                    ext.clone(),
                    t("--peer-external-gateway-interface"),
                    t(j.to_string()),
                ]);
            }
            a.extend([
                t("--ike-version"),
                t(match profile.ike {
                    IkeVersion::V1 => "1",
                    IkeVersion::V2 => "2",
                }),
                // The key from a private file: gcloud reads flags from a YAML file. A literal
                // block scalar (`|2-`) holds any printable text as it is, and is always a string.
                t("--flags-file"),
                via_file("", cat(vec![t("--shared-secret: |2-\n  "), secret(&tun.psk_name), t("\n")])),
                t("--router"),
                router.clone(),
            ]);
            a.extend(ciphers(profile));
            // The cipher flags are in the beta track of gcloud 528.0.0 (the version the commands
            // were checked with), not in its GA command: [GCLOUD-TUN-REF].
            a.insert(0, t("beta"));
            a.extend(c.description());
            a.extend(format("name"));
            let step = b.add(
                c.site,
                c.id(format_args!("tunnel-{}", tun.id)),
                if peer_gcp {
                    text!(
                        "Create tunnel {tname} (interface {} to {}'s HA VPN interface {j})",
                        tun.ends[e].outside,
                        peer.name
                    )
                } else {
                    text!("Create tunnel {tname} (interface {} to {} address {j})", tun.ends[e].outside, peer.name)
                },
                GCLOUD,
                a,
            );
            step.after(c.id("gateway")).after(c.id("router"));
            if !peer_gcp {
                step.after(c.id(format_args!("peer-{}", peer.name)));
            }
            step.creates(ResourceKind::GcpVpnTunnel, tname.clone(), c.delete(&["vpn-tunnels"], tunnel.clone(), true));

            let (Some(inside), Some(mine), Some(theirs)) = (tun.inside, tun.ends[e].inside_ip, o.inside_ip) else {
                continue;
            };
            let ifname = text!("{tname}-if");
            let mut a = c.compute(&["routers", "add-interface"], router.clone());
            a.extend(c.region());
            a.extend([
                t("--interface-name"),
                t(ifname.clone()),
                t("--vpn-tunnel"),
                tunnel.clone(),
                t("--ip-address"),
                t(mine.to_string()),
                t("--mask-length"),
                t(inside.prefix_len().to_string()),
            ]);
            a.extend(format("name"));
            b.add(
                c.site,
                c.id(format_args!("if-{}", tun.id)),
                text!("Add router interface {ifname} ({mine}/{})", inside.prefix_len()),
                GCLOUD,
                a,
            )
            .after(c.id(format_args!("tunnel-{}", tun.id)));
            let mut a = c.compute(&["routers", "add-bgp-peer"], router.clone());
            a.extend(c.region());
            a.extend([
                t("--peer-name"),
                t(text!("{tname}-bgp")),
                t("--interface"),
                t(ifname),
                t("--peer-ip-address"),
                t(theirs.to_string()),
                t("--peer-asn"),
                t(peer_asn.to_string()),
            ]);
            a.extend(format("name"));
            b.add(
                c.site,
                c.id(format_args!("bgp-{}", tun.id)),
                text!("Add BGP peer {theirs} (ASN {peer_asn}) on tunnel {}", tun.id),
                GCLOUD,
                a,
            )
            .after(c.id(format_args!("if-{}", tun.id)));
        }
    }
}

/// An appliance on Compute Engine: a static external address, firewall rules letting IKE, NAT-T
/// and ESP in from the peers only (to instances tagged `<plan>-<site>-appliance`), and routes to
/// the peers' prefixes through the appliance's private address. The VM itself must be created
/// with `--can-ip-forward` and that tag.
fn appliance(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let Gateway::Appliance { private_ip, public_ip, .. } = &s.gateway else { return };
    let tag = text!("{}-appliance", c.prefix);
    if public_ip.is_empty() {
        let name = text!("{}-appliance-ip", c.prefix);
        let mut a = c.compute(&["addresses", "create"], t(name.clone()));
        a.extend(c.region());
        a.extend(c.description());
        a.extend(format("address"));
        b.add(c.site, c.id("appliance-ip"), text!("Reserve the appliance's external address {name}"), GCLOUD, a)
            .capture(c.out("PUBLIC_IP"), "the appliance's public address")
            .creates(ResourceKind::GcpExternalAddress, name.clone(), c.delete(&["addresses"], t(name), true));
    }
    let mut seen: Vec<Arg> = Vec::new();
    for (l, e, peer) in links_of(c.r, c.site) {
        for tun in &l.tunnels {
            let Some(ip) = public_address(c.r, l.site(1 - e), tun, 1 - e) else { continue };
            if seen.contains(&ip) {
                continue;
            }
            seen.push(ip.clone());
            let name = text!("{}-ipsec-{}-{}", c.prefix, peer.name, seen.len());
            let mut a = c.compute(&["firewall-rules", "create"], t(name.clone()));
            a.extend([
                t("--network"),
                c.network(),
                t("--direction"),
                t("INGRESS"),
                t("--allow"),
                t("udp:500,udp:4500,esp"),
                t("--source-ranges"),
                cat(vec![ip, t("/32")]),
                t("--target-tags"),
                t(tag.clone()),
            ]);
            a.extend(c.description());
            a.extend(format("name"));
            let step = b.add(
                c.site,
                c.id(format_args!("fw-{}-{}", peer.name, seen.len())),
                text!("Allow IKE, NAT-T and ESP from {} to the appliance", peer.name),
                GCLOUD,
                a,
            );
            step.creates(ResourceKind::GcpFirewallRule, name.clone(), c.delete(&["firewall-rules"], t(name), false));
            if s.network == Network::New {
                step.after(c.id("network"));
            }
        }
    }
    let mut routed = BTreeSet::new();
    for (_, _, peer) in links_of(c.r, c.site) {
        for p in spaces(peer) {
            if !routed.insert(p.clone()) {
                continue;
            }
            let name = text!("{}-to-{}-{}", c.prefix, peer.name, routed.len());
            let mut a = c.compute(&["routes", "create"], t(name.clone()));
            a.extend([
                t("--network"),
                c.network(),
                t("--destination-range"),
                t(p.clone()),
                t("--next-hop-address"),
                param(text!("{}_APPLIANCE_IP", c.v), private_ip.clone()),
            ]);
            a.extend(c.description());
            a.extend(format("name"));
            let step = b.add(
                c.site,
                c.id(format_args!("route-{p}")),
                text!("Route {p} ({}) through the appliance", peer.name),
                GCLOUD,
                a,
            );
            step.creates(ResourceKind::GcpRoute, name.clone(), c.delete(&["routes"], t(name), false));
            if s.network == Network::New {
                step.after(c.id("network"));
            }
        }
    }
}
