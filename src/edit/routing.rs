//! A link's routing choices and how many tunnels it can form.

use super::Choice;
use crate::check::resolve;
use crate::kb::gateways::routing_unsupported;
use crate::plan::*;

fn speaks_bgp(g: &Gateway) -> bool {
    match g {
        Gateway::AzureVpnGateway { sku, vpn_type, .. } => {
            *vpn_type == AzureVpnType::RouteBased
                && crate::kb::gateways::azure_sku(sku).is_none_or(|s| s.bgp && s.retired.is_none())
        }
        // FRR (Libreswan, strongSwan) or VyOS's own bgpd: the generated configs set it up.
        Gateway::Appliance { .. } => true,
        g
        @ (Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } | Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn {}) => {
            routing_unsupported(g.kind(), Routing::Bgp).is_none()
        }
    }
}

/// The routing a new link between `a` and `b` starts with: BGP wherever both ends speak it
/// (issue 18: an appliance too, since its generated config runs FRR or VyOS's bgpd), static
/// only where an end cannot (an Azure SKU or policy-based gateway without BGP).
pub fn default_routing(a: &Site, b: &Site) -> Routing {
    default_routing_why(a, b).0
}

/// [`default_routing`] and why, in words for the wizard's "recommended" tag.
pub fn default_routing_why(a: &Site, b: &Site) -> (Routing, &'static str) {
    let needs_bgp = |s: &Site| routing_unsupported(s.gateway.kind(), Routing::Static).is_some();
    if needs_bgp(a) || needs_bgp(b) {
        (Routing::Bgp, "an end routes only with BGP")
    } else if speaks_bgp(&a.gateway) && speaks_bgp(&b.gateway) {
        (
            Routing::Bgp,
            "both ends speak BGP: traffic moves to the other tunnels when one drops, without editing route tables",
        )
    } else {
        (Routing::Static, "an end has no BGP")
    }
}

/// How many tunnels link `li` forms when its count is left to the gateways (0 when the link
/// cannot be resolved).
pub fn tunnel_capacity(plan: &Plan, li: usize) -> usize {
    let mut p = plan.clone();
    let Some(l) = p.links.get_mut(li) else { return 0 };
    l.tunnels = None;
    l.inside.clear();
    resolve(&p).links.iter().find(|l| l.index == li).map(|l| l.tunnels.len()).unwrap_or(0)
}

/// The routing choices of link `li`: static and BGP, each disabled with the reason when an end
/// cannot route that way; the default for the pair is marked recommended.
pub fn routing_choices(plan: &Plan, li: usize) -> Vec<Choice<Routing>> {
    let Some(l) = plan.links.get(li) else { return vec![] };
    let ends: Vec<&Site> = [&l.a, &l.b].iter().filter_map(|n| plan.site(n)).collect();
    let rec = (ends.len() == 2).then(|| default_routing(ends[0], ends[1]));
    [Routing::Static, Routing::Bgp]
        .into_iter()
        .map(|r| {
            let why: Vec<String> = ends
                .iter()
                .filter_map(|s| {
                    if let Some(x) = routing_unsupported(s.gateway.kind(), r) {
                        return Some(format!("{}: {}", s.name, x.unsupported.unwrap_or("not supported")));
                    }
                    match &s.gateway {
                        Gateway::AzureVpnGateway { sku, .. } if r == Routing::Bgp => {
                            crate::kb::gateways::azure_sku(sku)
                                .filter(|k| !k.bgp)
                                .map(|k| format!("{}: an Azure {} gateway has no BGP", s.name, k.name))
                        }
                        Gateway::AzureVpnGateway { .. }
                        | Gateway::AwsVgw { .. }
                        | Gateway::AwsTgw { .. }
                        | Gateway::GcpHaVpn { .. }
                        | Gateway::GcpClassicVpn {}
                        | Gateway::Appliance { .. } => None,
                    }
                })
                .collect();
            Choice {
                value: r,
                label: match r {
                    Routing::Static => "Static routes".into(),
                    Routing::Bgp => "BGP".into(),
                },
                unavailable: (!why.is_empty()).then(|| why.join("; ")),
                recommended: rec == Some(r),
                weak: None,
            }
        })
        .collect()
}
