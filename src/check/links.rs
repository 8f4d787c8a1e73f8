//! Link and topology checks: which pairs can form tunnels, how many, routing, limits.

use super::{crypto, join_keys, link_path, site_path, Findings, Profile, RLink, RSite, RTunnel, TunnelEnd};
use crate::kb::gateways::{self, azure_sku, mtu_advice, CONNECTION_LIMITS};
use crate::kb::pairing::{transit, verdict, Class, Connect, Inside, Layout, Verdict};
use crate::kb::{asn, src, Src};
use crate::plan::{Gateway, Plan, Routing, Topology};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn check_links(plan: &Plan, sites: &[RSite], out: &mut Findings) -> Vec<RLink> {
    // Links name sites as the plan spells them (resolved names may be the naming rule's fix).
    let index: BTreeMap<&str, usize> = plan.sites.iter().enumerate().rev().map(|(i, s)| (s.name.as_str(), i)).collect();
    let mut pairs: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut links = Vec::new();
    for (li, link) in plan.links.iter().enumerate() {
        let (Some(&a), Some(&b)) = (index.get(link.a.as_str()), index.get(link.b.as_str())) else {
            for (end, name) in [("a", &link.a), ("b", &link.b)] {
                if !index.contains_key(name.as_str()) {
                    let names: Vec<&str> = plan.sites.iter().map(|s| s.name.as_str()).collect();
                    out.error(
                        "E_LINK_SITE",
                        link_path(li, end),
                        format!("no site is called '{name}'"),
                        format!("use one of: {}", names.join(", ")),
                        src(""),
                    );
                }
            }
            continue;
        };
        if a == b {
            out.error(
                "E_LINK_SELF",
                link_path(li, "b"),
                format!("the link joins {} to itself", link.a),
                "choose two different sites",
                src(""),
            );
            continue;
        }
        let key = (a.min(b), a.max(b));
        if let Some(&first) = pairs.get(&key) {
            out.error(
                "E_LINK_DUPLICATE",
                link_path(li, ""),
                format!("links[{first}] already joins {} and {}", link.a, link.b),
                "remove this link; set the tunnel count on the first one for more tunnels",
                src(""),
            );
            continue;
        }
        pairs.insert(key, li);
        links.push(check_link(plan, li, a, b, sites, out));
    }
    check_topology(sites, &links, &pairs, plan.topology, out);
    links
}

/// One link between two distinct sites: how the gateways meet, its tunnels, crypto and MTU, and
/// its BGP ASNs. Each step reports its own findings; a refused pairing stops after the first.
#[inline(never)]
fn check_link(plan: &Plan, li: usize, a: usize, b: usize, sites: &[RSite], out: &mut Findings) -> RLink {
    let link = &plan.links[li];
    let ends = [&sites[a], &sites[b]];
    let mut rlink = RLink {
        index: li,
        id: format!("{}-{}", ends[0].name, ends[1].name),
        a,
        b,
        routing: link.routing,
        pairing: None,
        profile: None,
        tunnels: Vec::new(),
        mtu: 0,
        mss: 0,
    };
    let Some((how, layout_src)) = check_pairing(li, link.routing, ends, out) else {
        return rlink;
    };
    rlink.pairing = Some(how);
    let layout = layout(&how, &ends[0].gateway, &ends[1].gateway);
    let count = check_tunnel_count(li, link.tunnels, &how, layout.len(), ends, layout_src, out);
    rlink.tunnels = tunnels(&rlink.id, layout, count);
    check_static_failover(li, &how, &rlink.tunnels, ends, out);
    share_azure_connection_keys(&mut rlink, ends);
    if let (Some(ea), Some(eb)) = (ends[0].endpoint, ends[1].endpoint) {
        rlink.profile = crypto::negotiate(li, ends, [ea, eb], &link.crypto, out);
    }
    if let Some(p) = &rlink.profile {
        (rlink.mtu, rlink.mss) = check_mtu(li, p, ends, out);
    }
    if link.routing == Routing::Bgp {
        check_bgp_asns([a, b], ends, out);
    }
    rlink
}

/// How the two gateways meet (kb::pairing), with the layout's source; `None` (and an error) when
/// they cannot be joined.
fn check_pairing(li: usize, routing: Routing, [sa, sb]: [&RSite; 2], out: &mut Findings) -> Option<(Connect, Src)> {
    match verdict(Class::of(&sa.gateway), Class::of(&sb.gateway), routing) {
        Verdict::Connect(how, source) => Some((how, source)),
        Verdict::Refuse(r, source) => {
            let with = if r.field == "routing" { format!(" with {} routing", routing.label()) } else { String::new() };
            out.error(
                r.code,
                link_path(li, r.field),
                format!(
                    "{} ({}) and {} ({}) cannot be joined{with}: {}",
                    sa.name,
                    Class::of(&sa.gateway).label(),
                    sb.name,
                    Class::of(&sb.gateway).label(),
                    r.why
                ),
                r.fix,
                source,
            );
            None
        }
    }
}

/// The number of tunnels to configure: the asked count checked against the `possible` ones
/// (too many or none, fewer than all, fewer than a pairing that needs all of them).
fn check_tunnel_count(
    li: usize,
    asked: Option<u8>,
    how: &Connect,
    possible: usize,
    [sa, sb]: [&RSite; 2],
    layout_src: Src,
    out: &mut Findings,
) -> usize {
    let want = asked.map(usize::from).unwrap_or(possible);
    if want == 0 || want > possible {
        out.error(
            "E_TUNNELS_COUNT",
            link_path(li, "tunnels"),
            format!(
                "{} and {} can form {possible} tunnel{}; {want} asked",
                sa.name,
                sb.name,
                if possible == 1 { "" } else { "s" }
            ),
            format!("set tunnels to a number from 1 to {possible} (or leave it out for all of them)"),
            layout_src,
        );
    } else if want < possible {
        let msg = if matches!(how.layout, Layout::Aws(_)) && want % 2 == 1 {
            format!(
                "only {want} of the tunnels AWS creates will be configured: AWS always builds two tunnels per VPN connection and takes one down for maintenance, so the other one must be up"
            )
        } else {
            format!("{want} of the {possible} possible tunnels: the link loses redundancy when a gateway instance or tunnel goes down")
        };
        out.warn(
            "W_TUNNELS_REDUCED",
            link_path(li, "tunnels"),
            msg,
            format!("leave tunnels out to use all {possible}"),
            layout_src,
        );
    }
    let count = want.min(possible);

    // Pairings that need every tunnel (AWS BGP to Azure: one APIPA per AWS tunnel needs both
    // Azure instances; VNet-to-VNet forms them all whatever is asked).
    if let (Some(r), true) = (how.all_tunnels, count < possible) {
        out.error(
            r.code,
            link_path(li, r.field),
            format!("{} and {}: {}; {count} asked", sa.name, sb.name, r.why),
            r.fix,
            layout_src,
        );
    }
    count
}

/// A pairing whose static routes do not fail over between AWS VPN connections (the pairing
/// table's `no_failover_across_connections`: an AWS gateway to an active-active Azure gateway, one
/// connection per instance), when the link's tunnels use more than one connection: AWS fails over
/// between the two tunnels of a connection only, and only BGP withdraws the routes of a
/// connection that is down, as Azure's active-active gateway expects of its peer.
fn check_static_failover(li: usize, how: &Connect, tunnels: &[RTunnel], ends: [&RSite; 2], out: &mut Findings) {
    let (Some(why), Layout::Aws(e)) = (how.no_failover_across_connections, how.layout) else { return };
    let (aws, peer) = (ends[e], ends[1 - e]);
    let conns: BTreeSet<u8> = tunnels.iter().map(|t| t.ends[e].connection).collect();
    if conns.len() < 2 {
        return;
    }
    out.warn(
        "W_AWS_STATIC_NO_FAILOVER",
        link_path(li, "routing"),
        format!(
            "{} makes {} VPN connections to {}, one per Azure instance; AWS fails over between the two tunnels of one connection, but with static routing {} ({}) {} when the Azure instance that connection reaches is down (maintenance or failure), traffic from {} to {} stops: only BGP withdraws the routes of a connection that is down, as Azure's active-active gateway expects of its peer",
            aws.name,
            conns.len(),
            peer.name,
            aws.name,
            Class::of(&aws.gateway).label(),
            why.replace("{peer}", &peer.name),
            aws.name,
            peer.name
        ),
        "set routing to \"bgp\" (Azure's documented way to AWS: four tunnels, BGP on each), or make the Azure gateway active-standby (one VPN connection, whose two tunnels AWS fails over between)",
        src("[AWS-VPN-ROUTES] [AWS-TGW-RT] [AZ-AA] [AZ-AWS]"),
    );
}

/// The first `count` tunnels of the layout, named after the link, each with its own key name.
fn tunnels(link_id: &str, layout: Vec<[TunnelEnd; 2]>, count: usize) -> Vec<RTunnel> {
    layout
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(t, ends)| {
            let tid = format!("{link_id}-t{}", t + 1);
            let psk_name = format!("PSK_{}", tid.to_ascii_uppercase().replace('-', "_"));
            RTunnel { index: t, id: tid, ends, inside: None, psk_name }
        })
        .collect()
}

/// The tunnel MTU and TCP MSS clamp both ends can carry with the negotiated ESP (`I_MTU`).
fn check_mtu(li: usize, p: &Profile, [sa, sb]: [&RSite; 2], out: &mut Findings) -> (u32, u32) {
    let ma = mtu_advice(&sa.gateway, sa.platform, p.p2_encryption, p.p2_integrity);
    let mb = mtu_advice(&sb.gateway, sb.platform, p.p2_encryption, p.p2_integrity);
    let (mtu, mss) = (ma.mtu.min(mb.mtu), ma.mss.min(mb.mss));
    out.info(
        "I_MTU",
        link_path(li, ""),
        format!(
            "tunnel MTU {mtu} and TCP MSS clamp {mss} on both ends ({} advises {}/{}, {} {}/{}): without the clamp, large packets vanish and SSH hangs at key exchange",
            sa.name, ma.mtu, ma.mss, sb.name, mb.mtu, mb.mss
        ),
        join_keys(ma.src, mb.src),
    );
    (mtu, mss)
}

/// The ASNs across a BGP session: different at each end, and none the other end reserves.
fn check_bgp_asns([a, b]: [usize; 2], [sa, sb]: [&RSite; 2], out: &mut Findings) {
    let (Some(x), Some(y)) = (sa.asn, sb.asn) else {
        return;
    };
    if x == y {
        out.error(
            "E_ASN_SAME",
            site_path(b, "gateway.asn"),
            format!("{} and {} both use ASN {x}; eBGP needs a different ASN at each end", sa.name, sb.name),
            format!("change the ASN of {}", sb.name),
            src("[AZ-FAQ] [GCP-BGP]"),
        );
    }
    for (own, other, other_i, other_asn) in [(sa, sb, b, y), (sb, sa, a, x)] {
        if let Some(r) = asn::peer_problem(own.gateway.kind(), other_asn) {
            out.error(
                "E_ASN_PEER_RESERVED",
                site_path(other_i, "gateway.asn"),
                format!("{}'s ASN {other_asn} is {}; {} rejects it as a BGP peer", other.name, r.why, own.name),
                "choose another private ASN, e.g. 65010",
                r.src,
            );
        }
    }
}

/// An Azure connection (one per peer address) carries one shared key for every tunnel it forms:
/// an active-active gateway builds a tunnel from each instance to the same peer address. Those
/// tunnels therefore share one pre-shared key name (the first tunnel's), so that the Azure
/// connection, the peer's configuration and `secrets.env` agree. Azure at both ends chains the
/// groups, hence the loop until nothing changes.
fn share_azure_connection_keys(l: &mut RLink, ends: [&RSite; 2]) {
    loop {
        let mut changed = false;
        for e in (0..2).filter(|&e| matches!(ends[e].gateway, Gateway::AzureVpnGateway { .. })) {
            let mut first: BTreeMap<(u8, u8), String> = BTreeMap::new();
            for t in &mut l.tunnels {
                let peer = t.ends[1 - e];
                let name = first.entry((peer.connection, peer.outside)).or_insert_with(|| t.psk_name.clone());
                if t.psk_name != *name {
                    t.psk_name = name.clone();
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// Every tunnel two gateways can form, in a stable order (the pairing's layout over the
/// gateways' outside addresses).
pub(crate) fn layout(how: &Connect, a: &Gateway, b: &Gateway) -> Vec<[TunnelEnd; 2]> {
    let end = |(outside, connection): (u8, u8)| TunnelEnd { outside, connection, inside_ip: None };
    how.tunnels([gateways::outside_addresses(a), gateways::outside_addresses(b)])
        .into_iter()
        .map(|[x, y]| [end(x), end(y)])
        .collect()
}

#[inline(never)]
fn check_topology(
    sites: &[RSite],
    links: &[RLink],
    pairs: &BTreeMap<(usize, usize), usize>,
    topology: Topology,
    out: &mut Findings,
) {
    // Sites without a direct link: say whether a gateway between them passes their traffic
    // (kb::pairing::transit), per platform and routing mode. A warning while a full mesh is
    // meant; information once the user has said hub and spoke is intended.
    if (2..=8).contains(&sites.len()) {
        let link_of =
            |x: usize, y: usize| pairs.get(&(x.min(y), x.max(y))).and_then(|li| links.iter().find(|l| l.index == *li));
        for i in 0..sites.len() {
            for j in i + 1..sites.len() {
                if pairs.contains_key(&(i, j)) {
                    continue;
                }
                // A hub k linked to both, whose gateway transits with both links' routing.
                let hub = (0..sites.len()).filter(|&k| k != i && k != j).find_map(|k| {
                    let (Some(x), Some(y)) = (link_of(i, k), link_of(k, j)) else { return None };
                    if x.tunnels.is_empty() || y.tunnels.is_empty() || x.routing != y.routing {
                        return None;
                    }
                    transit(Class::of(&sites[k].gateway), x.routing).map(|(why, s)| (k, why, s))
                });
                let (a, b) = (&sites[i].name, &sites[j].name);
                let through = hub.is_some();
                let (what, s) = match hub {
                    Some((k, why, s)) => (
                        format!(
                            "their traffic goes through {} ({why}), so it depends on {} and its tunnels and crosses it twice",
                            sites[k].name, sites[k].name
                        ),
                        s,
                    ),
                    None => (
                        "no site linked to both passes traffic between its tunnels here (only Azure VPN gateways and AWS virtual private and transit gateways do, with BGP on both links; Google Cloud HA VPN advertises only its own subnets and appliances only their own routes), so these two sites cannot reach each other".to_string(),
                        src("[AZ-FAQ-BGP] [AWS-CLOUDHUB] [AWS-TGW-RT] [GCP-BGP]"),
                    ),
                };
                if topology == Topology::HubAndSpoke {
                    out.info(
                        "I_TOPOLOGY_UNLINKED",
                        "links",
                        format!("{a} and {b} are left without a link, as intended (hub and spoke): {what}"),
                        s,
                    );
                } else {
                    out.warn(
                        "W_TOPOLOGY_MISSING_LINK",
                        "links",
                        if through {
                            format!("no direct link between {a} and {b}: {what}")
                        } else {
                            format!("no link between {a} and {b}, and {what}")
                        },
                        format!("add a link {a} ↔ {b} (the wizard's default is a full mesh), or mark hub and spoke as intended if they are meant to be unlinked"),
                        s,
                    );
                }
            }
        }
    }

    // Per-gateway connection and tunnel limits.
    for (si, s) in sites.iter().enumerate() {
        let mine: Vec<&RLink> = links.iter().filter(|l| l.a == si || l.b == si).collect();
        for lim in CONNECTION_LIMITS.iter().filter(|l| l.kind == s.gateway.kind()) {
            // AWS: one VPN connection per distinct peer address used.
            let connections: usize = mine
                .iter()
                .map(|l| {
                    let e = if l.a == si { 0 } else { 1 };
                    l.tunnels.iter().map(|t| t.ends[e].connection).collect::<BTreeSet<_>>().len()
                })
                .sum();
            if connections as u32 > lim.max {
                out.error(
                    "E_CONNECTION_LIMIT",
                    site_path(si, "gateway"),
                    format!(
                        "{} would terminate {connections} VPN connections; the limit is {} {}",
                        s.name, lim.max, lim.unit
                    ),
                    "use a transit gateway, or split the links across gateways",
                    lim.src,
                );
            }
        }
        if let Gateway::AzureVpnGateway { sku, active_active, .. } = &s.gateway {
            let tunnels: usize = mine.iter().map(|l| l.tunnels.len()).sum();
            if let Some(sku) = azure_sku(sku) {
                if tunnels as u32 > sku.s2s_tunnels {
                    out.error(
                        "E_CONNECTION_LIMIT",
                        site_path(si, "gateway.sku"),
                        format!(
                            "{} would terminate {tunnels} tunnels; the {} SKU allows {}",
                            s.name, sku.name, sku.s2s_tunnels
                        ),
                        "choose a larger SKU (VpnGw4AZ and VpnGw5AZ allow 100)",
                        sku.src,
                    );
                }
            }
            // Active-standby: one custom APIPA address for all BGP tunnels.
            let bgp_tunnels: usize = mine
                .iter()
                .filter(|l| l.routing == Routing::Bgp && l.pairing.is_some_and(|c| c.inside == Inside::Allocated))
                .map(|l| l.tunnels.len())
                .sum();
            if !active_active && bgp_tunnels > 1 {
                out.error(
                    "E_AZURE_APIPA_ACTIVE_STANDBY",
                    site_path(si, "gateway.active_active"),
                    format!(
                        "{}'s active-standby gateway has a single custom APIPA BGP address, but {bgp_tunnels} BGP tunnels each need their own /30",
                        s.name
                    ),
                    "make the Azure gateway active-active (two instances, two APIPA sets)",
                    src("[AZ-BGP] [AZ-AWS]"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::resolve;
    use crate::plan::*;
    use crate::presets::PRESETS;
    use std::collections::BTreeSet;

    fn keys(p: &Plan, link: usize) -> Vec<String> {
        resolve(p).links[link].tunnels.iter().map(|t| t.psk_name.clone()).collect()
    }

    #[test]
    fn tunnels_of_one_azure_connection_share_a_key() {
        // Active-active Azure to one appliance address: one connection, two tunnels, one key.
        let mut p = PRESETS[1].plan();
        if let Gateway::AzureVpnGateway { active_active, .. } = &mut p.sites[1].gateway {
            *active_active = true;
        }
        let k = keys(&p, 0);
        assert_eq!(k.len(), 2);
        assert_eq!(k[0], k[1]);
        // Azure to Azure, both active-active: every tunnel belongs to a connection of each side.
        let mut q = PRESETS[4].plan();
        let mut other = q.sites[1].clone();
        other.name = "azure2".into();
        other.address_spaces = vec!["10.77.0.0/16".into()];
        other.subnets = vec![Subnet { name: "GatewaySubnet".into(), cidr: "10.77.255.0/27".into() }];
        if let Gateway::AzureVpnGateway { asn, .. } = &mut other.gateway {
            *asn = Some(65077);
        }
        q.sites.push(other);
        q.links.push(Link {
            a: "azure".into(),
            b: "azure2".into(),
            routing: Routing::Bgp,
            tunnels: None,
            crypto: Crypto::default(),
            inside: vec![],
        });
        let k = keys(&q, 3);
        assert_eq!(k.len(), 4);
        assert_eq!(k.iter().collect::<BTreeSet<_>>().len(), 1, "{k:?}");
    }

    #[test]
    fn separate_peer_addresses_keep_separate_keys() {
        for (preset, link, n) in [(4, 0, 4), (4, 1, 2), (4, 2, 4), (2, 0, 2)] {
            let k = keys(&PRESETS[preset].plan(), link);
            assert_eq!(k.iter().collect::<BTreeSet<_>>().len(), n, "{k:?}");
        }
    }
}
