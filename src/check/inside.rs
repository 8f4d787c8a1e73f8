//! Tunnel inside /30 allocation: deterministic, pins first, every platform rule honoured,
//! unique across the whole plan (which covers AWS's per-VGW, Azure's per-gateway and Google's
//! per-VPC uniqueness rules at once).

use super::{link_path, Findings, RLink, RSite};
use crate::kb::addressing::{first_host_rank, within, InsideRule, ALLOC_START_AZURE, ALLOC_START_OTHER, INSIDE_RULES};
use crate::kb::pairing::Inside;
use crate::kb::src;
use crate::plan::{GatewayKind, Plan, Routing};
use ipnet::Ipv4Net;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// One tunnel's need for an inside /30.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsideRequest {
    /// The gateway kinds at the two ends.
    pub kinds: [GatewayKind; 2],
    pub bgp: bool,
    pub pinned: Option<Ipv4Net>,
    /// Azure instance the tunnel terminates on, if an end is Azure (0 or 1).
    pub azure_instance: Option<u8>,
}

/// Why a /30 could not be given.
#[derive(Debug, Clone)]
pub enum InsideError {
    NotSlash30,
    Rule(&'static InsideRule),
    /// Pinned to a /30 that request `n` already uses.
    Duplicate(usize),
    Exhausted,
}

impl InsideRequest {
    /// The rules that apply to this tunnel.
    pub fn rules(&self) -> impl Iterator<Item = &'static InsideRule> + '_ {
        INSIDE_RULES.iter().filter(move |r| r.kind.is_none_or(|k| self.kinds.contains(&k)) && (self.bgp || !r.bgp_only))
    }

    /// The first rule `net` breaks, if any (shape and uniqueness aside).
    pub fn broken_rule(&self, net: Ipv4Net) -> Option<&'static InsideRule> {
        self.rules().find(|r| !within(net, r.within) || r.avoid.contains(&net))
    }

    fn start(&self) -> Ipv4Addr {
        match self.azure_instance {
            Some(i) if self.bgp => ALLOC_START_AZURE[usize::from(i.min(1))],
            _ => ALLOC_START_OTHER,
        }
    }
}

/// Allocate a /30 for every request, in order. Pinned /30s are claimed first; the rest take
/// the lowest free /30 at or after their start address (wrapping around) that every rule of
/// both ends accepts.
pub fn allocate(reqs: &[InsideRequest]) -> Vec<Result<Ipv4Net, InsideError>> {
    let mut used: BTreeSet<Ipv4Net> = BTreeSet::new();
    let mut owner: Vec<(Ipv4Net, usize)> = Vec::new();
    let mut out: Vec<Option<Result<Ipv4Net, InsideError>>> = vec![None; reqs.len()];
    for (i, r) in reqs.iter().enumerate() {
        let Some(net) = r.pinned else { continue };
        let res = if net.prefix_len() != 30 || net.trunc() != net {
            Err(InsideError::NotSlash30)
        } else if let Some(rule) = r.broken_rule(net) {
            Err(InsideError::Rule(rule))
        } else if let Some((_, j)) = owner.iter().find(|(n, _)| *n == net) {
            Err(InsideError::Duplicate(*j))
        } else {
            used.insert(net);
            owner.push((net, i));
            Ok(net)
        };
        out[i] = Some(res);
    }
    for (i, r) in reqs.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let start = u32::from(r.start()) >> 2;
        let base = u32::from(Ipv4Addr::new(169, 254, 0, 0)) >> 2;
        let count = 1u32 << 14; // /30s in a /16
        let found = (0..count)
            .map(|k| base + (start - base + k) % count)
            .map(|q| Ipv4Net::new(Ipv4Addr::from(q << 2), 30).expect("a /30"))
            .find(|n| !used.contains(n) && r.broken_rule(*n).is_none());
        out[i] = Some(match found {
            Some(n) => {
                used.insert(n);
                Ok(n)
            }
            None => Err(InsideError::Exhausted),
        });
    }
    out.into_iter().map(|r| r.unwrap_or(Err(InsideError::Exhausted))).collect()
}

/// Fill every tunnel's inside /30 and addresses, reporting pins that break rules.
#[inline(never)]
pub(crate) fn assign(plan: &Plan, sites: &[RSite], links: &mut [RLink], out: &mut Findings) {
    let mut reqs = Vec::new();
    let mut slots = Vec::new();
    for (k, l) in links.iter().enumerate() {
        let pins = &plan.links[l.index].inside;
        // Links without inside addresses: nothing to allocate, and a pin is an error.
        let none = match l.pairing.map(|c| c.inside) {
            Some(Inside::GatewayDefault) => Some((
                "the two Azure gateways talk BGP from their own default BGP addresses over a VNet-to-VNet connection",
                "[AZ-V2V] [AZ-FAQ-BGP]",
            )),
            Some(Inside::Selectors) => Some((
                "a policy-based Azure gateway has no tunnel interface, and its traffic selectors (the two sites' address spaces) decide what enters the tunnel",
                "[AZ-PBTS] [AZ-FAQ]",
            )),
            Some(Inside::Allocated) | None => None,
        };
        if let Some((why, keys)) = none {
            if !pins.is_empty() {
                out.error(
                    "E_INSIDE_EXTRA",
                    link_path(l.index, "inside"),
                    format!("this link needs no inside /30s: {why}"),
                    "remove the inside entries",
                    src(keys),
                );
            }
            continue;
        }
        if pins.len() > l.tunnels.len() && !l.tunnels.is_empty() {
            out.error(
                "E_INSIDE_EXTRA",
                link_path(l.index, "inside"),
                format!("{} inside /30s pinned for {} tunnels", pins.len(), l.tunnels.len()),
                "remove the extra entries",
                src(""),
            );
        }
        for t in &l.tunnels {
            let path = link_path(l.index, &format!("inside[{}]", t.index));
            let pinned = match pins.get(t.index).cloned().flatten() {
                None => None,
                Some(text) => match text.trim().parse::<Ipv4Net>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        out.error(
                            "E_INSIDE_INVALID",
                            path.clone(),
                            format!("'{text}' is not a CIDR"),
                            "write a /30 such as 169.254.21.0/30, or leave it empty to allocate one",
                            src(""),
                        );
                        None
                    }
                },
            };
            let kinds = [sites[l.a].gateway.kind(), sites[l.b].gateway.kind()];
            let azure_instance = (0..2).find(|&e| kinds[e] == GatewayKind::AzureVpnGateway).map(|e| t.ends[e].outside);
            reqs.push(InsideRequest { kinds, bgp: l.routing == Routing::Bgp, pinned, azure_instance });
            slots.push((k, t.index, path));
        }
    }
    for ((res, (k, t, path)), req) in allocate(&reqs).into_iter().zip(slots).zip(&reqs) {
        let l = &mut links[k];
        match res {
            Ok(net) => {
                let kinds = req.kinds;
                let first = if first_host_rank(kinds[1]) < first_host_rank(kinds[0]) { 1 } else { 0 };
                let hosts: Vec<Ipv4Addr> = net.hosts().collect();
                let tun = &mut l.tunnels[t];
                tun.inside = Some(net);
                tun.ends[first].inside_ip = Some(hosts[0]);
                tun.ends[1 - first].inside_ip = Some(hosts[1]);
            }
            Err(InsideError::NotSlash30) => out.error(
                "E_INSIDE_INVALID",
                path,
                format!("{} is not a /30 network", req.pinned.map(|n| n.to_string()).unwrap_or_default()),
                "tunnel inside ranges are /30s (4 addresses) with the host bits clear, e.g. 169.254.21.0/30",
                src("[AWS-UG-TUN] [GCLOUD-RTR]"),
            ),
            Err(InsideError::Rule(rule)) => out.error(
                "E_INSIDE_RULE",
                path,
                format!("{}: {}", req.pinned.map(|n| n.to_string()).unwrap_or_default(), rule.what),
                "pick another /30, or leave it empty to have one allocated",
                rule.src,
            ),
            Err(InsideError::Duplicate(j)) => out.error(
                "E_INSIDE_DUPLICATE",
                path,
                format!(
                    "{} is already used by another tunnel ({}): inside ranges must be unique per gateway and per Cloud Router network",
                    req.pinned.map(|n| n.to_string()).unwrap_or_default(),
                    reqs_path(links, j)
                ),
                "give each tunnel its own /30",
                src("[AWS-UG-TUN] [AZ-BGP] [GCP-AZ]"),
            ),
            Err(InsideError::Exhausted) => out.error(
                "E_INSIDE_EXHAUSTED",
                path,
                "no free /30 satisfies every rule for this tunnel",
                "unpin some inside ranges or reduce the number of BGP tunnels on the Azure gateway",
                src("[AZ-BGP]"),
            ),
        }
    }
}

/// The field path of the `j`th request, for messages.
fn reqs_path(links: &[RLink], j: usize) -> String {
    let mut n = 0;
    for l in links {
        for t in &l.tunnels {
            if n == j {
                return link_path(l.index, &format!("inside[{}]", t.index));
            }
            n += 1;
        }
    }
    String::new()
}
