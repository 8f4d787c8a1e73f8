//! Plan editing: the pure operations the wizard performs on a [`Plan`].
//!
//! The wizard never reaches into a plan on its own for anything structural: adding a site (with
//! its platform's defaults and links to every existing site), renaming one (its links follow),
//! reordering, removing (with its links), changing platform or gateway kind (with that kind's
//! defaults), pinning inside /30s, and the per-link crypto choices with the reason each
//! unavailable value is unavailable. Everything here is deterministic and holds no web type, so
//! it is tested natively.
//!
//! Sites and links get stable ids in an [`Editor`]: while a name is being typed it may for a
//! moment equal another site's, and links must still follow the site being renamed, not
//! whichever site currently answers to the name.

use crate::check::{resolve, Finding, Resolved, Severity};
use crate::kb::addressing::AZURE_GATEWAY_SUBNET;
use crate::kb::crypto::{caps, dh_label, ike_versions, Caps, Life, PREFERENCE, WEAK_DH, WEAK_IKEV1, WEAK_INTEGRITY};
use crate::kb::gateways::{azure_skus_available, routing_unsupported};
use crate::kb::names::regions;
use crate::plan::*;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Fewest sites a plan may have.
pub const MIN_SITES: usize = 2;
/// Most sites a plan may have.
pub const MAX_SITES: usize = 8;

/// The code of a finding about input the plan cannot hold (letters in an ASN, say); the wizard
/// keeps such text as typed and marks it with this finding.
pub const E_INPUT: &str = "E_INPUT";

/// An empty plan: no name, no sites, no links.
///
/// ```
/// let p = tunnelsmith::edit::blank();
/// assert!(p.sites.is_empty() && p.name.is_empty());
/// ```
pub fn blank() -> Plan {
    Plan {
        version: PLAN_VERSION,
        name: String::new(),
        description: String::new(),
        sites: vec![],
        links: vec![],
        topology: Topology::FullMesh,
    }
}

/// A plan being edited, with stable ids for its sites and links.
///
/// ```
/// use tunnelsmith::edit::{blank, Editor};
/// use tunnelsmith::plan::Platform;
/// let mut e = Editor::new(blank());
/// e.add_site(Platform::Aws);
/// e.add_site(Platform::Azure);
/// assert_eq!(e.plan().links.len(), 1);
/// e.set_site_name(0, "east");
/// assert_eq!(e.plan().links[0].a, "east");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    plan: Plan,
    site_ids: Vec<u32>,
    link_ids: Vec<u32>,
    /// Per link, the ids of the sites its `a` and `b` named when they were last set
    /// (`None`: a name no site had).
    ends: Vec<[Option<u32>; 2]>,
    next_id: u32,
}

impl Editor {
    /// Start editing `plan`; link ends are matched to sites by name (first match, as the checks do).
    pub fn new(plan: Plan) -> Editor {
        let mut e = Editor { plan, site_ids: vec![], link_ids: vec![], ends: vec![], next_id: 0 };
        e.reindex();
        e
    }

    fn reindex(&mut self) {
        self.site_ids = (0..self.plan.sites.len() as u32).collect();
        self.next_id = self.site_ids.len() as u32;
        self.link_ids = (0..self.plan.links.len() as u32).map(|i| self.next_id + i).collect();
        self.next_id += self.plan.links.len() as u32;
        self.ends = self.plan.links.iter().map(|l| [self.id_named(&l.a), self.id_named(&l.b)]).collect();
    }

    fn fresh(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    fn id_named(&self, name: &str) -> Option<u32> {
        self.plan.sites.iter().position(|s| s.name == name).map(|i| self.site_ids[i])
    }

    /// The plan as edited so far.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn into_plan(self) -> Plan {
        self.plan
    }

    /// Stable ids of the sites, in plan order.
    pub fn site_ids(&self) -> &[u32] {
        &self.site_ids
    }

    /// Stable ids of the links, in plan order.
    pub fn link_ids(&self) -> &[u32] {
        &self.link_ids
    }

    /// The index of the site with this id.
    pub fn site_index(&self, id: u32) -> Option<usize> {
        self.site_ids.iter().position(|x| *x == id)
    }

    /// The index of the link with this id.
    pub fn link_index(&self, id: u32) -> Option<usize> {
        self.link_ids.iter().position(|x| *x == id)
    }

    /// Change fields that are neither site names nor link ends (those have their own methods,
    /// which keep links attached). If `f` adds or removes sites or links, ids are rebuilt.
    pub fn edit(&mut self, f: impl FnOnce(&mut Plan)) {
        f(&mut self.plan);
        if self.plan.sites.len() != self.site_ids.len() || self.plan.links.len() != self.link_ids.len() {
            self.reindex();
        }
    }

    /// Rename site `i`; every link attached to it follows, whatever the name is for a moment.
    pub fn set_site_name(&mut self, i: usize, name: &str) {
        let Some(site) = self.plan.sites.get_mut(i) else { return };
        site.name = name.to_string();
        let id = self.site_ids[i];
        for (l, ends) in self.plan.links.iter_mut().zip(&self.ends) {
            if ends[0] == Some(id) {
                l.a = name.to_string();
            }
            if ends[1] == Some(id) {
                l.b = name.to_string();
            }
        }
    }

    /// Whether another site may be added.
    pub fn can_add_site(&self) -> bool {
        self.plan.sites.len() < MAX_SITES
    }

    /// Whether a site may be removed without going below the minimum.
    pub fn can_remove_site(&self) -> bool {
        self.plan.sites.len() > MIN_SITES
    }

    /// Add a site on `platform` with [`site_defaults`] and a link to every existing site
    /// (cloud gateways do not transit, so a full mesh is the default). Returns its index.
    pub fn add_site(&mut self, platform: Platform) -> usize {
        let site = site_defaults(platform, &self.plan);
        let id = self.fresh();
        let i = self.plan.sites.len();
        for j in 0..i {
            let routing = default_routing(&self.plan.sites[j], &site);
            let link = Link {
                a: self.plan.sites[j].name.clone(),
                b: site.name.clone(),
                routing,
                tunnels: None,
                crypto: Crypto::default(),
                inside: vec![],
            };
            let lid = self.fresh();
            self.plan.links.push(link);
            self.link_ids.push(lid);
            self.ends.push([Some(self.site_ids[j]), Some(id)]);
        }
        self.plan.sites.push(site);
        self.site_ids.push(id);
        i
    }

    /// Remove site `i` and every link attached to it.
    pub fn remove_site(&mut self, i: usize) {
        if i >= self.plan.sites.len() {
            return;
        }
        let id = self.site_ids.remove(i);
        self.plan.sites.remove(i);
        let mut k = 0;
        while k < self.plan.links.len() {
            if self.ends[k].contains(&Some(id)) {
                self.remove_link(k);
            } else {
                k += 1;
            }
        }
    }

    /// Move site `i` to position `to` (links are unchanged: they name sites).
    pub fn move_site(&mut self, i: usize, to: usize) {
        let n = self.plan.sites.len();
        if i >= n || to >= n || i == to {
            return;
        }
        let s = self.plan.sites.remove(i);
        self.plan.sites.insert(to, s);
        let id = self.site_ids.remove(i);
        self.site_ids.insert(to, id);
    }

    /// Move site `i` to `platform`: a gateway of another cloud is replaced by the new
    /// platform's default (an appliance stays), and a region unknown there is replaced by its
    /// default region.
    pub fn set_platform(&mut self, i: usize, platform: Platform) {
        let Some(site) = self.plan.sites.get_mut(i) else { return };
        if site.platform == platform {
            return;
        }
        site.platform = platform;
        let kind = site.gateway.kind();
        if kind.platform().is_some_and(|p| p != platform) || (platform == Platform::Onprem && kind.platform().is_some())
        {
            let asn = site.gateway.asn();
            site.gateway = gateway_defaults(default_kind(platform), site);
            set_asn(&mut site.gateway, asn);
        }
        let known = regions(platform).is_some_and(|r| r.known.contains(&site.region.as_str()));
        if !known {
            site.region = default_region(platform).to_string();
        }
        if let Network::Existing { resource_group, .. } = &mut site.network {
            if platform != Platform::Azure {
                resource_group.clear();
            }
        }
    }

    /// Give site `i` a gateway of `kind` with that kind's defaults, keeping its ASN.
    pub fn set_gateway_kind(&mut self, i: usize, kind: GatewayKind) {
        let Some(site) = self.plan.sites.get_mut(i) else { return };
        if site.gateway.kind() == kind {
            return;
        }
        let asn = site.gateway.asn();
        let mut g = gateway_defaults(kind, site);
        set_asn(&mut g, asn);
        site.gateway = g;
    }

    /// Change the appliance software of site `i`; the version becomes that software's latest.
    pub fn set_software(&mut self, i: usize, to: Software) {
        let Some(Gateway::Appliance { software, version, .. }) = self.plan.sites.get_mut(i).map(|s| &mut s.gateway)
        else {
            return;
        };
        if *software != to {
            *software = to;
            *version = latest_version(to).to_string();
        }
    }

    /// Set end `end` (0 = a, 1 = b) of link `li` to the site called `name`.
    pub fn set_link_end(&mut self, li: usize, end: usize, name: &str) {
        if li >= self.plan.links.len() || end > 1 {
            return;
        }
        let id = self.id_named(name);
        let l = &mut self.plan.links[li];
        if end == 0 {
            l.a = name.to_string();
        } else {
            l.b = name.to_string();
        }
        self.ends[li][end] = id;
    }

    /// Swap the two ends of link `li` (the link's id and tunnel names follow `a-b`).
    pub fn swap_link_ends(&mut self, li: usize) {
        if let Some(l) = self.plan.links.get_mut(li) {
            std::mem::swap(&mut l.a, &mut l.b);
            self.ends[li].swap(0, 1);
        }
    }

    /// Move link `li` to position `to` (allocation of inside /30s follows link order).
    pub fn move_link(&mut self, li: usize, to: usize) {
        let n = self.plan.links.len();
        if li >= n || to >= n || li == to {
            return;
        }
        let l = self.plan.links.remove(li);
        self.plan.links.insert(to, l);
        let id = self.link_ids.remove(li);
        self.link_ids.insert(to, id);
        let e = self.ends.remove(li);
        self.ends.insert(to, e);
    }

    pub fn remove_link(&mut self, li: usize) {
        if li < self.plan.links.len() {
            self.plan.links.remove(li);
            self.link_ids.remove(li);
            self.ends.remove(li);
        }
    }

    /// Pairs of sites (indices, in plan order) that no link joins.
    pub fn missing_pairs(&self) -> Vec<(usize, usize)> {
        let n = self.plan.sites.len();
        let mut out = vec![];
        for a in 0..n {
            for b in a + 1..n {
                let (ia, ib) = (Some(self.site_ids[a]), Some(self.site_ids[b]));
                if !self.ends.iter().any(|e| (e[0] == ia && e[1] == ib) || (e[0] == ib && e[1] == ia)) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    /// Link sites `a` and `b` (indices) with the default routing for the pair. Returns its index.
    pub fn add_link(&mut self, a: usize, b: usize) -> Option<usize> {
        let (sa, sb) = (self.plan.sites.get(a)?, self.plan.sites.get(b)?);
        let link = Link {
            a: sa.name.clone(),
            b: sb.name.clone(),
            routing: default_routing(sa, sb),
            tunnels: None,
            crypto: Crypto::default(),
            inside: vec![],
        };
        let id = self.fresh();
        self.plan.links.push(link);
        self.link_ids.push(id);
        self.ends.push([Some(self.site_ids[a]), Some(self.site_ids[b])]);
        Some(self.plan.links.len() - 1)
    }

    /// Use the recommended crypto profile on link `li` (every choice cleared).
    pub fn set_recommended_crypto(&mut self, li: usize) {
        if let Some(l) = self.plan.links.get_mut(li) {
            l.crypto = Crypto::default();
        }
    }

    /// Switch link `li` to custom crypto, starting from the profile it uses now (so nothing
    /// changes until a choice is changed). Lifetimes and DPD stay as they are.
    pub fn set_custom_crypto(&mut self, li: usize, resolved: &Resolved) {
        let Some(p) = resolved.links.iter().find(|l| l.index == li).and_then(|l| l.profile.as_ref()) else { return };
        let Some(l) = self.plan.links.get_mut(li) else { return };
        let c = &mut l.crypto;
        c.ike_version = Some(p.ike);
        c.phase1_encryption = Some(p.p1_encryption);
        c.phase1_integrity = Some(p.p1_integrity);
        c.phase1_dh_group = Some(p.p1_dh);
        c.phase2_encryption = Some(p.p2_encryption);
        c.phase2_integrity = p.p2_integrity;
        c.pfs_group = Some(p.pfs.unwrap_or(0));
    }

    /// Set the text of tunnel `t`'s inside /30 pin on link `li`; empty text unpins it.
    pub fn set_inside(&mut self, li: usize, t: usize, text: &str) {
        let Some(l) = self.plan.links.get_mut(li) else { return };
        if text.trim().is_empty() {
            if let Some(slot) = l.inside.get_mut(t) {
                *slot = None;
            }
            while l.inside.last() == Some(&None) {
                l.inside.pop();
            }
        } else {
            if l.inside.len() <= t {
                l.inside.resize(t + 1, None);
            }
            l.inside[t] = Some(text.to_string());
        }
    }
}

fn set_asn(g: &mut Gateway, v: Option<u32>) {
    match g {
        Gateway::AwsVgw { asn }
        | Gateway::AwsTgw { asn }
        | Gateway::AzureVpnGateway { asn, .. }
        | Gateway::GcpHaVpn { asn }
        | Gateway::Appliance { asn, .. } => *asn = v,
        Gateway::GcpClassicVpn {} => {}
    }
}

/// Set a gateway's ASN (no-op for a gateway without one).
pub fn set_gateway_asn(g: &mut Gateway, v: Option<u32>) {
    set_asn(g, v)
}

/// The region a new site on `platform` starts with (the first of the kb's list; none on premises).
pub fn default_region(platform: Platform) -> &'static str {
    regions(platform).and_then(|r| r.known.first().copied()).unwrap_or("")
}

/// The gateway kind a new site on `platform` starts with.
pub fn default_kind(platform: Platform) -> GatewayKind {
    match platform {
        Platform::Aws => GatewayKind::AwsVgw,
        Platform::Azure => GatewayKind::AzureVpnGateway,
        Platform::Gcp => GatewayKind::GcpHaVpn,
        Platform::Onprem => GatewayKind::Appliance,
    }
}

/// The gateway kinds that belong on `platform` (appliances run anywhere), in display order.
/// Classic VPN is left out: it exists only so old plans get a finding.
pub fn kinds_for(platform: Platform) -> Vec<GatewayKind> {
    let mut v: Vec<GatewayKind> =
        [GatewayKind::AwsVgw, GatewayKind::AwsTgw, GatewayKind::AzureVpnGateway, GatewayKind::GcpHaVpn]
            .into_iter()
            .filter(|k| k.platform() == Some(platform))
            .collect();
    v.push(GatewayKind::Appliance);
    v
}

/// The newest version of `software` this build knows.
pub fn latest_version(software: Software) -> &'static str {
    crate::kb::crypto::versions_of(software).last().map(|v| v.version).unwrap_or("")
}

/// A gateway of `kind` with its defaults for `site`: the first Azure SKU that has BGP and
/// active-active (active-active on: it is needed for BGP with AWS and costs no more), an
/// appliance running the newest strongSwan, on a cloud at the first subnet's `.10`.
pub fn gateway_defaults(kind: GatewayKind, site: &Site) -> Gateway {
    match kind {
        GatewayKind::AwsVgw => Gateway::AwsVgw { asn: None },
        GatewayKind::AwsTgw => Gateway::AwsTgw { asn: None },
        GatewayKind::AzureVpnGateway => Gateway::AzureVpnGateway {
            sku: azure_skus_available().find(|s| s.bgp && s.active_active).map(|s| s.name).unwrap_or("VpnGw1AZ").into(),
            active_active: true,
            vpn_type: AzureVpnType::RouteBased,
            asn: None,
        },
        GatewayKind::GcpHaVpn => Gateway::GcpHaVpn { asn: None },
        GatewayKind::GcpClassicVpn => Gateway::GcpClassicVpn {},
        GatewayKind::Appliance => {
            let private_ip = if site.platform == Platform::Onprem {
                String::new()
            } else {
                site.subnets
                    .iter()
                    .find_map(|s| s.cidr.parse::<Ipv4Net>().ok())
                    .or_else(|| site.address_spaces.iter().find_map(|s| s.parse::<Ipv4Net>().ok()))
                    .and_then(|n| n.hosts().nth(9))
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            };
            Gateway::Appliance {
                software: Software::Strongswan,
                version: latest_version(Software::Strongswan).into(),
                public_ip: String::new(),
                private_ip,
                asn: None,
            }
        }
    }
}

/// The first of `10.1.0.0/16`, `10.2.0.0/16`, … that overlaps none of the plan's address spaces.
pub fn free_space(plan: &Plan) -> Ipv4Net {
    let used: Vec<Ipv4Net> = plan
        .sites
        .iter()
        .flat_map(|s| &s.address_spaces)
        .filter_map(|t| t.trim().parse::<Ipv4Net>().ok())
        .map(|n| n.trunc())
        .collect();
    (1..=255u8)
        .map(|k| Ipv4Net::new(Ipv4Addr::new(10, k, 0, 0), 16).expect("valid /16"))
        .find(|c| !used.iter().any(|u| u.contains(&c.network()) || c.contains(&u.network())))
        .unwrap_or_else(|| Ipv4Net::new(Ipv4Addr::new(10, 0, 0, 0), 16).expect("valid /16"))
}

/// Where each subnet of `site` that lies outside every address space would go in address space
/// `space` (issue 18: change 10.1.0.0/16 to 172.20.0.0/16 and the subnets follow in one click):
/// the same size, at the same offset inside a block of the space's size. `(subnet index, new
/// CIDR)`, only for subnets that fit and collide with nothing already inside; empty when the
/// space is not a CIDR or no subnet needs moving.
///
/// ```
/// use tunnelsmith::edit::{site_defaults, subnets_into};
/// use tunnelsmith::plan::{Platform, Plan};
/// let mut site = site_defaults(Platform::Azure, &tunnelsmith::edit::blank());
/// assert_eq!(site.subnets[1].cidr, "10.1.255.0/27");
/// site.address_spaces[0] = "172.20.0.0/16".into();
/// assert_eq!(subnets_into(&site, 0), [(0, "172.20.0.0/24".to_string()), (1, "172.20.255.0/27".to_string())]);
/// ```
pub fn subnets_into(site: &Site, space: usize) -> Vec<(usize, String)> {
    let Some(to) = site.address_spaces.get(space).and_then(|t| t.trim().parse::<Ipv4Net>().ok()).map(|n| n.trunc())
    else {
        return vec![];
    };
    let spaces: Vec<Ipv4Net> =
        site.address_spaces.iter().filter_map(|t| t.trim().parse::<Ipv4Net>().ok()).map(|n| n.trunc()).collect();
    let parsed: Vec<Option<Ipv4Net>> = site.subnets.iter().map(|s| s.cidr.trim().parse::<Ipv4Net>().ok()).collect();
    let inside = |n: &Ipv4Net| spaces.iter().any(|sp| sp.contains(n));
    let mut taken: Vec<Ipv4Net> = parsed.iter().flatten().filter(|n| inside(n)).copied().collect();
    let mut out = vec![];
    for (k, n) in parsed.iter().enumerate() {
        let Some(n) = n else { continue };
        if inside(n) || n.prefix_len() < to.prefix_len() {
            continue;
        }
        // The subnet's offset inside the block of the new space's size that holds it.
        let block = Ipv4Net::new(n.network(), to.prefix_len()).expect("prefix checked").trunc();
        let offset = u32::from(n.network()) - u32::from(block.network());
        let moved =
            Ipv4Net::new(Ipv4Addr::from(u32::from(to.network()) + offset), n.prefix_len()).expect("same prefix");
        if to.contains(&moved) && !taken.iter().any(|t| t.contains(&moved.network()) || moved.contains(&t.network())) {
            taken.push(moved);
            out.push((k, moved.to_string()));
        }
    }
    out
}

/// A name for a new site on `platform` that no site of `plan` has: `aws`, then `aws-2`, …
pub fn free_name(platform: Platform, plan: &Plan) -> String {
    let base = match platform {
        Platform::Aws => "aws",
        Platform::Azure => "azure",
        Platform::Gcp => "gcp",
        Platform::Onprem => "onprem",
    };
    std::iter::once(base.to_string())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|n| plan.site(n).is_none())
        .expect("an unbounded sequence has a free name")
}

/// A new site on `platform`: a free name and `/16`, the platform's first region, subnets the
/// platform needs (Azure's `GatewaySubnet` at its recommended size, [`AZURE_GATEWAY_SUBNET`]), and its
/// default gateway.
pub fn site_defaults(platform: Platform, plan: &Plan) -> Site {
    let space = free_space(plan);
    let o = space.network().octets();
    let sub = |third: u8, len: u8| format!("{}.{}.{third}.0/{len}", o[0], o[1]);
    let subnets = match platform {
        Platform::Aws => vec![Subnet { name: "workload".into(), cidr: sub(1, 24) }],
        Platform::Azure => vec![
            Subnet { name: "workload".into(), cidr: sub(0, 24) },
            Subnet { name: AZURE_GATEWAY_SUBNET.name.into(), cidr: sub(255, AZURE_GATEWAY_SUBNET.recommended_prefix) },
        ],
        Platform::Gcp => vec![Subnet { name: "vms".into(), cidr: sub(1, 24) }],
        Platform::Onprem => vec![Subnet { name: "lan".into(), cidr: sub(1, 24) }],
    };
    let mut site = Site {
        name: free_name(platform, plan),
        platform,
        region: default_region(platform).into(),
        address_spaces: vec![space.to_string()],
        subnets,
        network: Network::New,
        gateway: Gateway::GcpClassicVpn {},
    };
    site.gateway = gateway_defaults(default_kind(platform), &site);
    site
}

fn speaks_bgp(g: &Gateway) -> bool {
    match g {
        Gateway::AzureVpnGateway { sku, vpn_type, .. } => {
            *vpn_type == AzureVpnType::RouteBased
                && crate::kb::gateways::azure_sku(sku).is_none_or(|s| s.bgp && s.retired.is_none())
        }
        // FRR (Libreswan, strongSwan) or VyOS's own bgpd: the generated configs set it up.
        Gateway::Appliance { .. } => true,
        g => routing_unsupported(g.kind(), Routing::Bgp).is_none(),
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
                        _ => None,
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

/// Parse an optional whole number as typed: empty means "not set"; anything else must be a
/// number from `min` to `max`. The error says what was expected, for the field.
///
/// ```
/// use tunnelsmith::edit::parse_whole;
/// assert_eq!(parse_whole(" 65001 ", 1, 4_294_967_294), Ok(Some(65001)));
/// assert_eq!(parse_whole("", 1, 10), Ok(None));
/// assert!(parse_whole("65a", 1, 10).unwrap_err().contains("whole number"));
/// ```
pub fn parse_whole(text: &str, min: u64, max: u64) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{t}' is not a whole number: type digits only, from {min} to {max}"));
    }
    match t.parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(format!("{t} is out of range: type a number from {min} to {max}")),
    }
}

/// The value a finding's fix proposes for the finding's own field, offered as a one-click "Use"
/// (issue 18): a name that follows the naming rule, or a free address space.
pub fn suggestion(f: &Finding) -> Option<String> {
    if !matches!(f.code, "E_PLAN_NAME" | "E_SITE_NAME" | "E_SUBNET_NAME" | "E_CIDR_OVERLAP") {
        return None;
    }
    let v = f.fix.strip_prefix("use '")?.split('\'').next()?;
    (!v.is_empty()).then(|| v.to_string())
}

/// Which field a suggestion goes to: `name`, `sites[i].name`, `sites[i].subnets[k].name` or
/// `sites[i].address_spaces[k]`.
fn suggestion_target(path: &str) -> Option<(Option<usize>, &str, Option<usize>)> {
    if path == "name" {
        return Some((None, "name", None));
    }
    let (i, rest) = path.strip_prefix("sites[")?.split_once("].")?;
    let i = i.parse().ok()?;
    if rest == "name" {
        return Some((Some(i), "name", None));
    }
    let (list, rest) = rest.split_once('[')?;
    let (k, tail) = rest.split_once(']')?;
    let k = k.parse().ok()?;
    match (list, tail) {
        ("subnets", ".name") => Some((Some(i), "subnet", Some(k))),
        ("address_spaces", "") => Some((Some(i), "space", Some(k))),
        _ => None,
    }
}

impl Editor {
    /// Put a finding's [`suggestion`] in its field. `false` when the path names no such field.
    pub fn apply_suggestion(&mut self, path: &str, value: &str) -> bool {
        let Some((site, what, k)) = suggestion_target(path) else { return false };
        match (site, what, k) {
            (None, "name", None) => self.plan.name = value.to_string(),
            (Some(i), "name", None) if i < self.plan.sites.len() => self.set_site_name(i, value),
            (Some(i), "subnet", Some(k)) => {
                let Some(s) = self.plan.sites.get_mut(i).and_then(|s| s.subnets.get_mut(k)) else { return false };
                s.name = value.to_string();
            }
            (Some(i), "space", Some(k)) => {
                let Some(a) = self.plan.sites.get_mut(i).and_then(|s| s.address_spaces.get_mut(k)) else {
                    return false;
                };
                *a = value.to_string();
            }
            _ => return false,
        }
        true
    }
}

/// The finding for text a field could not take (kept as typed, marked, counted as an error).
pub fn input_finding(path: &str, message: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        code: E_INPUT,
        path: path.to_string(),
        message: message.to_string(),
        fix: "correct the value, or clear the field to use the default".into(),
        source: String::new(),
    }
}

/// One value of a crypto parameter, offered or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<T> {
    pub value: T,
    pub label: String,
    /// `None`: both ends accept it. `Some(why)`: why it cannot be chosen, naming the end.
    pub unavailable: Option<String>,
    /// The value the recommended profile uses.
    pub recommended: bool,
    /// Both ends accept it, but a careful engineer replaces it: why (`kb::crypto` `WEAK_*`).
    pub weak: Option<String>,
}

impl<T> Choice<T> {
    pub fn available(&self) -> bool {
        self.unavailable.is_none()
    }
}

/// What one end allows for a lifetime or DPD timeout, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub site: String,
    pub rule: String,
}

/// The custom crypto choices of one link: every value, with what both ends accept enabled and
/// the rest disabled with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoChoices {
    /// The IKE version the algorithm lists below are for (the link's choice, else the
    /// negotiated one).
    pub ike_in_use: IkeVersion,
    pub ike: Vec<Choice<IkeVersion>>,
    pub phase1_encryption: Vec<Choice<Encryption>>,
    pub phase1_integrity: Vec<Choice<Integrity>>,
    pub phase1_dh_group: Vec<Choice<u8>>,
    pub phase2_encryption: Vec<Choice<Encryption>>,
    pub phase2_integrity: Vec<Choice<Integrity>>,
    /// `0` is "no PFS".
    pub pfs_group: Vec<Choice<u8>>,
    pub phase1_lifetime: Vec<Allowed>,
    pub phase2_lifetime: Vec<Allowed>,
    pub dpd_timeout: Vec<Allowed>,
}

/// Every DH group any endpoint accepts, in number order.
pub fn dh_groups() -> Vec<u8> {
    let mut v: Vec<u8> = PREFERENCE.dh.to_vec();
    v.sort_unstable();
    v
}

/// The choices for link `li` of `plan` (`resolved` is its resolution). `None` when the link does
/// not join two known endpoints (its findings say why).
pub fn crypto_choices(plan: &Plan, resolved: &Resolved, li: usize) -> Option<CryptoChoices> {
    let rl = resolved.links.iter().find(|l| l.index == li)?;
    let ends = [&resolved.sites[rl.a], &resolved.sites[rl.b]];
    let eps = [ends[0].endpoint?, ends[1].endpoint?];
    let who = |e: usize| format!("{} ({})", ends[e].name, eps[e].label());
    let custom = &plan.links.get(li)?.crypto;

    // What the recommended profile would use, from the engine itself.
    let mut rec_plan = plan.clone();
    rec_plan.links[li].crypto = Crypto::default();
    let rec = resolve(&rec_plan).links.into_iter().find(|l| l.index == li).and_then(|l| l.profile);

    let versions = [ike_versions(eps[0]), ike_versions(eps[1])];
    let ike: Vec<Choice<IkeVersion>> = [IkeVersion::V2, IkeVersion::V1]
        .into_iter()
        .map(|v| {
            let missing: Vec<String> = (0..2)
                .filter(|&e| !versions[e].contains(&v))
                .map(|e| format!("{} speaks only {}", who(e), labels(&versions[e], |x| x.label().into())))
                .collect();
            Choice {
                value: v,
                label: v.label().into(),
                unavailable: (!missing.is_empty()).then(|| missing.join("; ")),
                recommended: rec.as_ref().is_some_and(|p| p.ike == v),
                weak: None,
            }
        })
        .collect();
    let ike_in_use = custom
        .ike_version
        .filter(|v| versions.iter().all(|vs| vs.contains(v)))
        .or(rl.profile.as_ref().map(|p| p.ike))
        .or_else(|| ike.iter().find(|c| c.available()).map(|c| c.value))?;
    let cp = [caps(eps[0], ike_in_use)?, caps(eps[1], ike_in_use)?];
    let suffix = format!(" with {}", ike_in_use.label());

    fn list<T: Copy + PartialEq>(
        all: &[T],
        of: fn(&Caps) -> &'static [T],
        cp: [&Caps; 2],
        who: &dyn Fn(usize) -> String,
        label: fn(T) -> String,
        rec: Option<T>,
        suffix: &str,
    ) -> Vec<Choice<T>> {
        all.iter()
            .map(|&v| {
                let rejecting: Vec<String> = (0..2).filter(|&e| !of(cp[e]).contains(&v)).map(who).collect();
                Choice {
                    value: v,
                    label: label(v),
                    unavailable: (!rejecting.is_empty())
                        .then(|| format!("{} does not accept {}{suffix}", rejecting.join(" and "), label(v))),
                    recommended: rec == Some(v),
                    weak: None,
                }
            })
            .collect()
    }
    let enc_label: fn(Encryption) -> String = |v| v.label().into();
    let integ_label: fn(Integrity) -> String = |v| v.label().into();
    let groups = dh_groups();
    let same_ike = rec.as_ref().filter(|p| p.ike == ike_in_use);
    let p2_enc_in_use = custom.phase2_encryption.or(rl.profile.as_ref().map(|p| p.p2_encryption));

    let mut phase2_integrity =
        list(&Integrity::ALL, |c| c.p2_integ, cp, &who, integ_label, same_ike.and_then(|p| p.p2_integrity), &suffix);
    if let Some(enc) = p2_enc_in_use.filter(|e| e.is_aead()) {
        for c in &mut phase2_integrity {
            c.unavailable = Some(format!("{} has integrity built in: phase 2 integrity does not apply", enc.label()));
        }
    }
    let mut pfs_group = vec![Choice {
        value: 0,
        label: "no PFS".into(),
        unavailable: {
            let required: Vec<String> = (0..2).filter(|&e| !cp[e].pfs_optional).map(&who).collect();
            (!required.is_empty()).then(|| format!("{} requires PFS in phase 2", required.join(" and ")))
        },
        recommended: same_ike.is_some_and(|p| p.pfs.is_none()),
        weak: None,
    }];
    pfs_group.extend(list(&groups, |c| c.pfs, cp, &who, dh_label, same_ike.and_then(|p| p.pfs), &suffix));

    let allowed = |rule: fn(&Caps) -> Option<Life>| -> Vec<Allowed> {
        (0..2)
            .map(|e| Allowed {
                site: ends[e].name.clone(),
                rule: match rule(cp[e]) {
                    Some(Life::Range { min, max }) => format!("{min}–{max} s"),
                    Some(Life::Fixed(v)) => format!("a fixed {v} s (not configurable)"),
                    None => "its own (not configurable)".into(),
                },
            })
            .collect()
    };

    let mut ike = ike;
    for c in ike.iter_mut().filter(|c| c.value == IkeVersion::V1) {
        c.weak = Some(WEAK_IKEV1.why.to_string());
    }
    let weak_dh = |list: &mut Vec<Choice<u8>>| {
        for c in list.iter_mut() {
            c.weak = WEAK_DH.iter().find(|(g, _)| *g == c.value).map(|(_, w)| w.why.to_string());
        }
    };
    let weak_integ = |list: &mut Vec<Choice<Integrity>>| {
        for c in list.iter_mut() {
            c.weak = WEAK_INTEGRITY.iter().find(|(x, _)| *x == c.value).map(|(_, w)| w.why.to_string());
        }
    };
    let mut phase1_dh_group = list(&groups, |c| c.p1_dh, cp, &who, dh_label, same_ike.map(|p| p.p1_dh), &suffix);
    let mut phase1_integrity =
        list(&Integrity::ALL, |c| c.p1_integ, cp, &who, integ_label, same_ike.map(|p| p.p1_integrity), &suffix);
    weak_dh(&mut phase1_dh_group);
    weak_dh(&mut pfs_group);
    weak_integ(&mut phase1_integrity);
    weak_integ(&mut phase2_integrity);

    Some(CryptoChoices {
        ike_in_use,
        ike,
        phase1_encryption: list(
            &Encryption::ALL,
            |c| c.p1_enc,
            cp,
            &who,
            enc_label,
            same_ike.map(|p| p.p1_encryption),
            &suffix,
        ),
        phase1_integrity,
        phase1_dh_group,
        phase2_encryption: list(
            &Encryption::ALL,
            |c| c.p2_enc,
            cp,
            &who,
            enc_label,
            same_ike.map(|p| p.p2_encryption),
            &suffix,
        ),
        phase2_integrity,
        pfs_group,
        phase1_lifetime: allowed(|c| Some(c.p1_life)),
        phase2_lifetime: allowed(|c| Some(c.p2_life)),
        dpd_timeout: allowed(|c| c.dpd_timeout),
    })
}

fn labels<T: Copy>(v: &[T], f: fn(T) -> String) -> String {
    if v.is_empty() {
        "nothing".into()
    } else {
        v.iter().map(|x| f(*x)).collect::<Vec<_>>().join(" and ")
    }
}

/// Where a finding's field is, in words: `sites[1].address_spaces[0]` → `Site azure › address
/// space 1`. Unknown paths come back as they are.
///
/// ```
/// let plan = tunnelsmith::presets::find("004-aws-azure-gcp-bgp").unwrap().plan();
/// assert_eq!(tunnelsmith::edit::field_label(&plan, "links[1].crypto.phase1_dh_group"), "Link gcp ↔ azure › phase 1 DH group");
/// ```
pub fn field_label(plan: &Plan, path: &str) -> String {
    let segs: Vec<(&str, Option<usize>)> = path
        .split('.')
        .map(|s| match s.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse().ok()),
            None => (s, None),
        })
        .collect();
    let nth = |k: Option<usize>| k.map(|k| format!(" {}", k + 1)).unwrap_or_default();
    let field = |name: &str| -> String {
        match name {
            "name" => "name".into(),
            "region" => "region".into(),
            "network" => "network".into(),
            "id" => "existing network".into(),
            "resource_group" => "resource group".into(),
            "gateway" => "gateway".into(),
            "kind" => "gateway kind".into(),
            "sku" => "SKU".into(),
            "active_active" => "active-active".into(),
            "vpn_type" => "VPN type".into(),
            "asn" => "ASN".into(),
            "software" => "software".into(),
            "version" => "version".into(),
            "public_ip" => "public IP".into(),
            "private_ip" => "private IP".into(),
            "routing" => "routing".into(),
            "tunnels" => "tunnels".into(),
            "a" => "first site".into(),
            "b" => "second site".into(),
            "crypto" => "crypto".into(),
            "ike_version" => "IKE version".into(),
            "phase1_encryption" => "phase 1 encryption".into(),
            "phase1_integrity" => "phase 1 integrity".into(),
            "phase1_dh_group" => "phase 1 DH group".into(),
            "phase1_lifetime" => "phase 1 lifetime".into(),
            "phase2_encryption" => "phase 2 encryption".into(),
            "phase2_integrity" => "phase 2 integrity".into(),
            "pfs_group" => "PFS group".into(),
            "phase2_lifetime" => "phase 2 lifetime".into(),
            "dpd_timeout" => "DPD timeout".into(),
            "cidr" => "CIDR".into(),
            other => other.replace('_', " "),
        }
    };
    let mut out: Vec<String> = Vec::new();
    let mut rest = segs.as_slice();
    match rest.first() {
        Some(("name", None)) if rest.len() == 1 => return "Plan name".into(),
        Some(("description", None)) if rest.len() == 1 => return "Plan description".into(),
        Some(("sites", None)) if rest.len() == 1 => return "Sites".into(),
        Some(("secrets", None)) => return format!("Pre-shared key {}", &path["secrets.".len().min(path.len())..]),
        Some(("sites", Some(i))) => {
            out.push(match plan.sites.get(*i).map(|s| s.name.as_str()) {
                Some(n) if !n.is_empty() => format!("Site {n}"),
                _ => format!("Site {}", i + 1),
            });
            rest = &rest[1..];
        }
        Some(("links", Some(i))) => {
            out.push(match plan.links.get(*i) {
                Some(l) => format!("Link {} ↔ {}", l.a, l.b),
                None => format!("Link {}", i + 1),
            });
            rest = &rest[1..];
        }
        _ => return path.to_string(),
    }
    for (k, (name, idx)) in rest.iter().enumerate() {
        let text = match (*name, *idx) {
            ("address_spaces", i) => format!("address space{}", nth(i)),
            ("subnets", i) => format!("subnet{}", nth(i)),
            ("inside", Some(t)) => format!("tunnel {} inside /30", t + 1),
            ("inside", None) => "inside /30s".into(),
            // The gateway's own fields read better without "gateway ›" in front.
            ("gateway", None) if k + 1 < rest.len() => continue,
            ("network", None) | ("crypto", None) if k + 1 < rest.len() => continue,
            (n, i) => format!("{}{}", field(n), nth(i)),
        };
        out.push(text);
    }
    out.join(" › ")
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;
    use crate::check::analyze;
    use crate::presets::PRESETS;

    fn used(e: &mut Editor, code: &str) -> (String, String) {
        let f = analyze(e.plan()).findings.into_iter().find(|f| f.code == code).expect(code);
        let v = suggestion(&f).unwrap_or_else(|| panic!("{code}: no suggestion in '{}'", f.fix));
        assert!(e.apply_suggestion(&f.path, &v), "{code} at {}", f.path);
        (f.path, v)
    }

    #[test]
    fn an_overlap_suggests_a_free_range_of_the_same_size_and_using_it_clears_the_error() {
        let mut e = Editor::new(PRESETS[4].plan());
        let taken: Vec<String> = e.plan().sites.iter().flat_map(|s| s.address_spaces.clone()).collect();
        e.edit(|p| p.sites[1].address_spaces[0] = p.sites[0].address_spaces[0].clone());
        let f = analyze(e.plan()).findings.into_iter().find(|f| f.code == "E_CIDR_OVERLAP").unwrap();
        assert_eq!(f.path, "sites[1].address_spaces[0]");
        let (_, v) = used(&mut e, "E_CIDR_OVERLAP");
        let free: Ipv4Net = v.parse().unwrap();
        assert_eq!(free.prefix_len(), taken[0].parse::<Ipv4Net>().unwrap().prefix_len());
        assert!(!taken.contains(&v), "{v} is in use");
        let codes: Vec<&str> = analyze(e.plan()).findings.iter().map(|f| f.code).collect();
        assert!(!codes.contains(&"E_CIDR_OVERLAP") && !codes.contains(&"E_CIDR_OVERLAP_SITE"), "{codes:?}");
        // The subnets follow the new space in one more click (issue 18 item 3).
        let moves = subnets_into(&e.plan().sites[1], 0);
        assert!(!moves.is_empty());
    }

    #[test]
    fn a_name_against_the_rule_suggests_one_that_follows_it_and_links_follow_a_site() {
        let mut e = Editor::new(PRESETS[4].plan());
        e.set_site_name(0, "My AWS");
        e.edit(|p| p.name = "Multi Cloud".into());
        let (path, v) = used(&mut e, "E_SITE_NAME");
        assert_eq!((path.as_str(), e.plan().sites[0].name.as_str()), ("sites[0].name", v.as_str()));
        assert!(e.plan().links.iter().any(|l| l.a == v || l.b == v));
        used(&mut e, "E_PLAN_NAME");
        assert!(analyze(e.plan()).findings.iter().all(|f| !f.is_error()), "{:?}", analyze(e.plan()).findings);
        assert!(!e.apply_suggestion("links[0].routing", "bgp"));
        assert!(!e.apply_suggestion("sites[9].name", "x"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::analyze;
    use crate::presets::{find, PRESETS};

    fn plan_004() -> Plan {
        find("004-aws-azure-gcp-bgp").unwrap().plan()
    }

    /// Builds seed 004 from blank with the editor's operations, as the wizard journey does.
    fn build_004() -> Plan {
        let mut e = Editor::new(blank());
        e.edit(|p| {
            p.name = "multicloud".into();
            p.description = "AWS, Azure and Google Cloud, BGP full mesh".into();
        });
        e.add_site(Platform::Aws);
        e.add_site(Platform::Azure);
        e.add_site(Platform::Gcp);
        e.edit(|p| {
            let s = &mut p.sites;
            s[0].address_spaces = vec!["172.16.0.0/16".into()];
            s[0].subnets[0].cidr = "172.16.1.0/24".into();
            set_gateway_asn(&mut s[0].gateway, Some(65002));
            s[1].address_spaces = vec!["192.168.0.0/16".into()];
            s[1].subnets[0].cidr = "192.168.0.0/24".into();
            s[1].subnets[1].cidr = "192.168.1.0/27".into();
            set_gateway_asn(&mut s[1].gateway, Some(65001));
            s[2].region = "us-east1".into();
            s[2].address_spaces = vec!["10.0.1.0/24".into()];
            s[2].subnets[0].cidr = "10.0.1.0/24".into();
            set_gateway_asn(&mut s[2].gateway, Some(65003));
        });
        // Links come as aws-azure, aws-gcp, azure-gcp; the seed has gcp-azure second.
        e.swap_link_ends(2);
        e.move_link(2, 1);
        e.into_plan()
    }

    #[test]
    fn seed_004_can_be_built_from_blank() {
        let built = build_004();
        assert_eq!(built, plan_004());
        assert_eq!(analyze(&built).errors(), 0);
    }

    #[test]
    fn new_sites_get_defaults_without_errors_and_a_full_mesh() {
        for platforms in
            [[Platform::Aws, Platform::Azure, Platform::Gcp], [Platform::Azure, Platform::Gcp, Platform::Aws]]
        {
            let mut e = Editor::new(blank());
            e.edit(|p| p.name = "demo".into());
            for p in platforms {
                e.add_site(p);
            }
            let a = analyze(e.plan());
            assert_eq!(a.errors(), 0, "{:#?}", a.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
            assert_eq!(e.plan().links.len(), 3);
            assert!(e.missing_pairs().is_empty());
            assert!(e.plan().links.iter().all(|l| l.routing == Routing::Bgp));
        }
        let mut e = Editor::new(blank());
        e.add_site(Platform::Aws);
        e.add_site(Platform::Aws);
        assert_eq!(e.plan().sites[1].name, "aws-2");
        assert_eq!(e.plan().sites[1].address_spaces, ["10.2.0.0/16"]);
    }

    #[test]
    fn appliance_links_start_with_bgp_and_onprem_needs_its_public_ip() {
        let mut e = Editor::new(blank());
        e.edit(|p| p.name = "demo".into());
        e.add_site(Platform::Onprem);
        e.add_site(Platform::Aws);
        // Both ends speak BGP (the appliance with FRR): BGP, as the plan's other links would.
        assert_eq!(e.plan().links[0].routing, Routing::Bgp);
        e.add_site(Platform::Azure);
        assert!(e.plan().links.iter().all(|l| l.routing == Routing::Bgp), "{:?}", e.plan().links);
        let a = analyze(e.plan());
        assert!(a.findings.iter().any(|f| f.code == "E_APPLIANCE_PUBLIC_IP" && f.path == "sites[0].gateway.public_ip"));
        e.edit(|p| {
            if let Gateway::Appliance { public_ip, .. } = &mut p.sites[0].gateway {
                *public_ip = "198.18.7.1".into();
            }
        });
        assert_eq!(analyze(e.plan()).errors(), 0);
    }

    #[test]
    fn renaming_keeps_links_attached_even_through_a_duplicate_name() {
        let mut e = Editor::new(plan_004());
        // Type "aws" over "azure", one key at a time: "azure" → "a" → "aw" → "aws" → "aws2".
        for name in ["a", "aw", "aws", "aws2"] {
            e.set_site_name(1, name);
        }
        let links: Vec<(&str, &str)> = e.plan().links.iter().map(|l| (l.a.as_str(), l.b.as_str())).collect();
        assert_eq!(links, [("aws", "aws2"), ("gcp", "aws2"), ("aws", "gcp")]);
    }

    #[test]
    fn remove_and_move_sites_and_links() {
        let mut e = Editor::new(plan_004());
        e.move_site(2, 0);
        assert_eq!(e.plan().sites[0].name, "gcp");
        assert_eq!(e.plan().links.len(), 3);
        e.remove_site(1); // aws
        assert_eq!(e.plan().sites.len(), 2);
        assert_eq!(e.plan().links.len(), 1);
        assert_eq!((e.plan().links[0].a.as_str(), e.plan().links[0].b.as_str()), ("gcp", "azure"));
        e.remove_link(0);
        assert_eq!(e.missing_pairs(), [(0, 1)]);
        assert_eq!(e.add_link(0, 1), Some(0));
        assert_eq!(e.plan().links[0].routing, Routing::Bgp);
        assert!(!e.can_remove_site());
        let ids = e.site_ids().to_vec();
        e.move_site(0, 1);
        assert_eq!(e.site_ids(), [ids[1], ids[0]]);
    }

    #[test]
    fn link_ends_can_be_set_to_unknown_names_and_back() {
        let mut e = Editor::new(plan_004());
        e.set_link_end(0, 1, "nowhere");
        assert!(analyze(e.plan()).findings.iter().any(|f| f.code == "E_LINK_SITE" && f.path == "links[0].b"));
        e.set_site_name(1, "az");
        assert_eq!(e.plan().links[0].b, "nowhere", "a link end that named no site does not follow a rename");
        e.set_link_end(0, 1, "az");
        e.set_site_name(1, "azure");
        assert_eq!(e.plan().links[0].b, "azure");
    }

    #[test]
    fn platform_and_kind_changes_bring_their_defaults() {
        let mut e = Editor::new(plan_004());
        e.set_platform(0, Platform::Gcp);
        let s = &e.plan().sites[0];
        assert_eq!(s.gateway.kind(), GatewayKind::GcpHaVpn);
        assert_eq!(s.region, default_region(Platform::Gcp));
        e.set_gateway_kind(0, GatewayKind::Appliance);
        match &e.plan().sites[0].gateway {
            Gateway::Appliance { software, version, private_ip, asn, .. } => {
                assert_eq!(*software, Software::Strongswan);
                assert_eq!(version, "6");
                assert_eq!(private_ip, "172.16.1.10");
                assert_eq!(*asn, Some(65002), "the ASN is kept");
            }
            g => panic!("{g:?}"),
        }
        e.set_software(0, Software::Vyos);
        assert!(matches!(&e.plan().sites[0].gateway, Gateway::Appliance { version, .. } if version == "1.5"));
        // An appliance stays an appliance when the platform changes.
        e.set_platform(0, Platform::Aws);
        assert_eq!(e.plan().sites[0].gateway.kind(), GatewayKind::Appliance);
        assert_eq!(kinds_for(Platform::Aws), [GatewayKind::AwsVgw, GatewayKind::AwsTgw, GatewayKind::Appliance]);
    }

    #[test]
    fn inside_pins_and_tunnel_capacity() {
        let mut e = Editor::new(plan_004());
        assert_eq!(tunnel_capacity(e.plan(), 0), 4);
        assert_eq!(tunnel_capacity(e.plan(), 1), 2);
        e.edit(|p| p.links[0].tunnels = Some(2));
        assert_eq!(tunnel_capacity(e.plan(), 0), 4);
        e.set_inside(2, 1, "169.254.10.100/30");
        assert_eq!(e.plan().links[2].inside, [None, Some("169.254.10.100/30".to_string())]);
        let r = resolve(e.plan());
        assert_eq!(r.links[2].tunnels[1].inside.unwrap().to_string(), "169.254.10.100/30");
        e.set_inside(2, 1, "");
        assert!(e.plan().links[2].inside.is_empty());
    }

    #[test]
    fn crypto_choices_are_limited_to_what_both_ends_accept() {
        let plan = find("002-aws-vgw-to-azure-static").unwrap().plan(); // azure ↔ aws
        let r = resolve(&plan);
        let c = crypto_choices(&plan, &r, 0).unwrap();
        assert_eq!(c.ike_in_use, IkeVersion::V2);
        let aes192 = c.phase1_encryption.iter().find(|x| x.value == Encryption::Aes192).unwrap();
        let why = aes192.unavailable.as_deref().unwrap();
        assert!(why.contains("aws (AWS Site-to-Site VPN) does not accept AES-192-CBC"), "{why}");
        assert!(c.phase1_encryption.iter().find(|x| x.value == Encryption::Aes256).unwrap().recommended);
        let dh21 = c.phase1_dh_group.iter().find(|x| x.value == 21).unwrap();
        assert!(dh21.unavailable.as_deref().unwrap().contains("azure"), "{dh21:?}");
        assert!(c.phase1_dh_group.iter().find(|x| x.value == 20).unwrap().available());
        let dh2 = c.phase1_dh_group.iter().find(|x| x.value == 2).unwrap();
        assert!(dh2.available() && dh2.weak.as_deref().unwrap().contains("1024-bit"), "{dh2:?}");
        assert!(c.phase1_integrity.iter().find(|x| x.value == Integrity::Sha1).unwrap().weak.is_some());
        // AWS requires PFS; Azure has a fixed phase 1 lifetime.
        assert!(c.pfs_group[0].unavailable.as_deref().unwrap().contains("aws"));
        assert!(c.phase1_lifetime[0].rule.contains("fixed 28800"));
        // Every available choice is accepted by the engine.
        for ch in c.phase1_dh_group.iter().filter(|x| x.available()) {
            let mut p = plan.clone();
            p.links[0].crypto.phase1_dh_group = Some(ch.value);
            assert!(!analyze(&p).findings.iter().any(|f| f.code == "E_CRYPTO_REJECTED"), "{}", ch.label);
        }
        for ch in c.phase1_dh_group.iter().filter(|x| !x.available()) {
            let mut p = plan.clone();
            p.links[0].crypto.phase1_dh_group = Some(ch.value);
            assert!(analyze(&p).findings.iter().any(|f| f.code == "E_CRYPTO_REJECTED"), "{}", ch.label);
        }
    }

    #[test]
    fn ike_choices_explain_an_ikev1_only_end_and_gcm_disables_phase2_integrity() {
        let mut plan = find("001-libreswan-ec2-to-azure").unwrap().plan();
        if let Gateway::AzureVpnGateway { vpn_type, sku, .. } = &mut plan.sites[1].gateway {
            *vpn_type = AzureVpnType::PolicyBased;
            *sku = "Basic".into();
        }
        if let Gateway::Appliance { version, .. } = &mut plan.sites[0].gateway {
            *version = "5".into();
        }
        let r = resolve(&plan);
        assert!(crypto_choices(&plan, &r, 0).is_none(), "no common IKE version: no choices");

        let mut plan = find("004-aws-azure-gcp-bgp").unwrap().plan();
        plan.links[1].crypto.phase2_encryption = Some(Encryption::Aes256Gcm16);
        let r = resolve(&plan);
        let c = crypto_choices(&plan, &r, 1).unwrap();
        assert!(c.phase2_integrity.iter().all(|x| x.unavailable.as_deref().unwrap().contains("built in")));
        assert!(c.ike.iter().find(|x| x.value == IkeVersion::V1).unwrap().unavailable.is_none());
    }

    #[test]
    fn custom_crypto_starts_from_the_profile_in_use() {
        for p in PRESETS {
            let mut e = Editor::new(p.plan());
            let before = resolve(e.plan());
            for li in 0..e.plan().links.len() {
                e.set_custom_crypto(li, &before);
            }
            let after = resolve(e.plan());
            for (x, y) in before.links.iter().zip(&after.links) {
                let (Some(px), Some(py)) = (&x.profile, &y.profile) else { continue };
                assert_eq!((px.ike, px.p1_dh, px.pfs, px.p2_integrity), (py.ike, py.p1_dh, py.pfs, py.p2_integrity));
                assert!(!py.recommended);
            }
            assert_eq!(analyze(e.plan()).errors(), analyze(&p.plan()).errors(), "{}", p.id);
            for li in 0..e.plan().links.len() {
                e.set_recommended_crypto(li);
            }
            assert_eq!(e.plan(), &p.plan());
        }
    }

    #[test]
    fn field_labels_read_like_the_form() {
        let plan = plan_004();
        let l = |p: &str| field_label(&plan, p);
        assert_eq!(l("name"), "Plan name");
        assert_eq!(l("sites[1].address_spaces[0]"), "Site azure › address space 1");
        assert_eq!(l("sites[1].subnets[1].cidr"), "Site azure › subnet 2 › CIDR");
        assert_eq!(l("sites[0].gateway.asn"), "Site aws › ASN");
        assert_eq!(l("sites[0].network.id"), "Site aws › existing network");
        assert_eq!(l("links[2].inside[1]"), "Link aws ↔ gcp › tunnel 2 inside /30");
        assert_eq!(l("links[0]"), "Link aws ↔ azure");
        assert_eq!(l("secrets.PSK_AWS_AZURE_T1"), "Pre-shared key PSK_AWS_AZURE_T1");
        assert_eq!(l("sites[9].name"), "Site 10 › name");
        assert_eq!(l("weird"), "weird");
    }

    #[test]
    fn routing_choices_explain_what_an_end_cannot_do() {
        let plan = plan_004();
        let c = routing_choices(&plan, 1); // gcp ↔ azure
        assert!(c[0].unavailable.as_deref().unwrap().contains("gcp: Google Cloud HA VPN routes only with BGP"));
        assert!(c[1].available() && c[1].recommended);
        let mut plan = find("002-aws-vgw-to-azure-static").unwrap().plan();
        if let Gateway::AzureVpnGateway { sku, .. } = &mut plan.sites[0].gateway {
            *sku = "Basic".into();
        }
        let c = routing_choices(&plan, 0);
        assert!(c[1].unavailable.as_deref().unwrap().contains("Basic gateway has no BGP"));
        assert!(c[0].available());
        assert!(routing_choices(&plan, 7).is_empty());
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(parse_whole("0", 0, 5), Ok(Some(0)));
        assert!(parse_whole("6", 0, 5).unwrap_err().contains("out of range"));
        assert!(parse_whole("-1", 0, 5).unwrap_err().contains("not a whole number"));
        assert!(parse_whole("99999999999999999999999", 0, 5).unwrap_err().contains("out of range"));
        let f = input_finding("sites[0].gateway.asn", "x");
        assert!(f.is_error() && f.code == E_INPUT);
    }

    /// Subnets follow a changed address space: sizes and offsets kept, a subnet already inside
    /// or one that would collide stays, a space smaller than a subnet takes none.
    #[test]
    fn subnets_follow_their_address_space() {
        let mut site = site_defaults(Platform::Azure, &blank());
        site.subnets.push(Subnet { name: "db".into(), cidr: "10.1.7.128/25".into() });
        site.address_spaces[0] = "172.20.0.0/16".into();
        assert_eq!(
            subnets_into(&site, 0),
            [(0, "172.20.0.0/24".to_string()), (1, "172.20.255.0/27".to_string()), (2, "172.20.7.128/25".to_string())]
        );
        // One already moved by hand (and one typed over its place): the rest still follow.
        site.subnets[0].cidr = "172.20.7.0/24".into();
        assert_eq!(subnets_into(&site, 0), [(1, "172.20.255.0/27".to_string())]);
        // A bigger space: the offset inside a block of its size.
        site.address_spaces[0] = "172.16.0.0/12".into();
        site.subnets[0].cidr = "10.1.0.0/24".into();
        assert_eq!(subnets_into(&site, 0)[0], (0, "172.17.0.0/24".to_string()));
        // Not a CIDR yet, or too small for the subnets: nothing to offer.
        site.address_spaces[0] = "172.20.".into();
        assert!(subnets_into(&site, 0).is_empty());
        site.address_spaces[0] = "172.20.0.0/26".into();
        assert!(subnets_into(&site, 0).iter().all(|(k, _)| *k == 1), "only the /27 fits a /26");
    }
}
