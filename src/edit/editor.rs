//! [`Editor`]: a plan with stable ids for its sites and links, and the structural operations.

use super::{
    default_kind, default_region, default_routing, gateway_defaults, latest_version, set_gateway_asn, site_defaults,
    MAX_SITES, MIN_SITES,
};
use crate::check::Resolved;
use crate::kb::names::regions;
use crate::plan::*;

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
    /// Edited in place by the operations of this module and [`Editor::apply_suggestion`].
    pub(super) plan: Plan,
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
            let link = new_link(&self.plan.sites[j], &site);
            self.push_link(link, [Some(self.site_ids[j]), Some(id)]);
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
        move_to(&mut self.plan.sites, i, to);
        move_to(&mut self.site_ids, i, to);
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
            set_gateway_asn(&mut site.gateway, asn);
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
        set_gateway_asn(&mut g, asn);
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
        move_to(&mut self.plan.links, li, to);
        move_to(&mut self.link_ids, li, to);
        move_to(&mut self.ends, li, to);
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
        let link = new_link(self.plan.sites.get(a)?, self.plan.sites.get(b)?);
        self.push_link(link, [Some(self.site_ids[a]), Some(self.site_ids[b])]);
        Some(self.plan.links.len() - 1)
    }

    /// Append `link` with a fresh id; `ends` are the ids of the sites it names.
    fn push_link(&mut self, link: Link, ends: [Option<u32>; 2]) {
        let id = self.fresh();
        self.plan.links.push(link);
        self.link_ids.push(id);
        self.ends.push(ends);
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

/// Move element `i` of `v` to position `to`; nothing when either is out of range (the site and
/// link lists and their ids and ends have the same lengths, so they move together or not at all).
fn move_to<T>(v: &mut Vec<T>, i: usize, to: usize) {
    if i >= v.len() || to >= v.len() {
        return;
    }
    let x = v.remove(i);
    v.insert(to, x);
}

/// A link from `a` to `b` with the pair's default routing and everything else left to the defaults.
fn new_link(a: &Site, b: &Site) -> Link {
    Link {
        a: a.name.clone(),
        b: b.name.clone(),
        routing: default_routing(a, b),
        tunnels: None,
        crypto: Crypto::default(),
        inside: vec![],
    }
}
