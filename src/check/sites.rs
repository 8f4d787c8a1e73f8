//! Site checks: names, regions, networks, gateways, address spaces and subnets, ASNs.

use super::overlap::overlapping_pairs;
use super::{site_path, Findings, RSite, RSubnet};
use crate::kb::addressing::{self, AZURE_GATEWAY_SUBNET, DOCUMENTATION, FORBIDDEN_SPACES, PRIVATE_SPACES};
use crate::kb::crypto::{versions_of, Endpoint};
use crate::kb::gateways::{azure_sku, azure_skus_available, outside_addresses};
use crate::kb::names::{self, NameRule};
use crate::kb::{asn, src};
use crate::plan::{AzureVpnType, Gateway, GatewayKind, Network, Plan, Platform, Routing, Site};
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

pub(crate) fn check_sites(plan: &Plan, out: &mut Findings) -> Vec<RSite> {
    if let Some(p) = names::PLAN_NAME.problem(&plan.name) {
        out.error(
            "E_PLAN_NAME",
            "name",
            format!("{p}: the plan name prefixes every resource name and tags what teardown deletes"),
            if plan.name.is_empty() {
                // Nothing typed yet: a made-up suggestion would read as a default to accept.
                format!("type a short name for the plan, such as your project's ({})", names::PLAN_NAME.describe)
            } else {
                format!("use '{}' ({})", names::PLAN_NAME.suggest(&plan.name), names::PLAN_NAME.describe)
            },
            names::PLAN_NAME.src,
        );
    }
    let n = plan.sites.len();
    if !(2..=8).contains(&n) {
        out.error(
            "E_SITE_COUNT",
            "sites",
            format!("the plan has {n} site{}; Tunnelsmith plans 2 to 8 sites", if n == 1 { "" } else { "s" }),
            if n < 2 { "add a site to connect to" } else { "split the plan: at most 8 sites per plan" },
            src(""),
        );
    }
    let mut seen = BTreeMap::new();
    let sites: Vec<RSite> = plan
        .sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            if let Some(&first) = seen.get(site.name.as_str()) {
                out.error(
                    "E_SITE_NAME_DUPLICATE",
                    site_path(i, "name"),
                    format!("sites[{first}] is already called '{}'; links name sites, so names must differ", site.name),
                    "rename one of the two sites",
                    src(""),
                );
            } else {
                seen.insert(site.name.as_str(), i);
            }
            check_site(i, site, out)
        })
        .collect();
    check_cross_site_overlaps(plan, &sites, out);
    sites
}

fn name_finding(out: &mut Findings, code: &'static str, path: String, rule: &NameRule, value: &str, why: &str) -> bool {
    match rule.problem(value) {
        None => true,
        Some(p) => {
            out.error(
                code,
                path,
                format!("{p}{why}"),
                format!("use '{}' ({})", rule.suggest(value), rule.describe),
                rule.src,
            );
            false
        }
    }
}

#[inline(never)]
fn check_site(i: usize, site: &Site, out: &mut Findings) -> RSite {
    name_finding(
        out,
        "E_SITE_NAME",
        site_path(i, "name"),
        &names::SITE_NAME,
        &site.name,
        ": site names become part of resource names on every cloud",
    );
    check_region(i, site, out);
    check_network(i, site, out);
    let endpoint = check_gateway(i, site, out);
    let (address_spaces, subnets) = check_addresses(i, site, out);
    RSite {
        name: names::SITE_NAME.safe(&site.name),
        platform: site.platform,
        region: site.region.clone(),
        address_spaces,
        subnets,
        network: site.network.clone(),
        gateway: site.gateway.clone(),
        endpoint,
        asn: None,
        outside_addresses: outside_addresses(&site.gateway),
    }
}

fn check_region(i: usize, site: &Site, out: &mut Findings) {
    let path = site_path(i, "region");
    let Some(table) = names::regions(site.platform) else {
        if !site.region.is_empty() {
            if let Some(p) = names::ONPREM_LOCATION.problem(&site.region) {
                out.error("E_REGION_INVALID", path, p, names::ONPREM_LOCATION.describe, names::ONPREM_LOCATION.src);
            }
        }
        return;
    };
    let region = site.region.as_str();
    if region.is_empty() {
        let example = table.known.first().copied().unwrap_or("");
        out.error(
            "E_REGION_MISSING",
            path,
            format!("a {} site needs a region", site.platform),
            format!("choose the {} region of the {}, e.g. {example}", site.platform, site.platform.network_noun()),
            table.src,
        );
    } else if let Some(c) = region.chars().find(|c| !(table.chars)(*c)) {
        out.error(
            "E_REGION_INVALID",
            path,
            format!("'{region}' is not a {} region name: it contains {c:?}", site.platform),
            format!("{} region names look like {}", site.platform, table.known[..3].join(", ")),
            table.src,
        );
    } else if !table.known.contains(&region) {
        let near = table.known.iter().min_by_key(|k| edit_distance(k, region)).copied().unwrap_or("");
        out.warn(
            "W_REGION_UNKNOWN",
            path,
            format!("'{region}' is not a {} region this version knows", site.platform),
            format!(
                "check the spelling (nearest known: {near}); a region launched after {} is fine",
                crate::kb::KB_DATE
            ),
            table.src,
        );
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

fn check_network(i: usize, site: &Site, out: &mut Findings) {
    let Network::Existing { id, resource_group } = &site.network else { return };
    let path = site_path(i, "network.id");
    match site.platform {
        Platform::Aws => {
            if let Some(p) = names::aws_vpc_id_problem(id) {
                out.error("E_NETWORK_ID", path, p, names::AWS_VPC_ID.describe, names::AWS_VPC_ID.src);
            }
        }
        Platform::Azure => {
            name_finding(out, "E_NETWORK_ID", path, &names::AZURE_VNET_NAME, id, "");
            name_finding(
                out,
                "E_NETWORK_ID",
                site_path(i, "network.resource_group"),
                &names::AZURE_RESOURCE_GROUP,
                resource_group,
                ": an existing VNet is found by its resource group",
            );
        }
        Platform::Gcp => {
            name_finding(out, "E_NETWORK_ID", path, &names::GCP_NETWORK_NAME, id, "");
        }
        Platform::Onprem => {}
    }
}

fn check_gateway(i: usize, site: &Site, out: &mut Findings) -> Option<Endpoint> {
    let g = &site.gateway;
    if let Some(p) = g.kind().platform() {
        if p != site.platform {
            out.error(
                "E_GATEWAY_PLATFORM",
                site_path(i, "gateway.kind"),
                format!("a {} belongs to {p}, but this site is on {}", g.kind().label(), site.platform),
                format!("pick a {} gateway or an appliance, or change the site's platform", site.platform),
                src(""),
            );
        }
    }
    match g {
        Gateway::AzureVpnGateway { sku, active_active, vpn_type, .. } => match azure_sku(sku) {
            None => {
                let names: Vec<&str> = azure_skus_available().map(|s| s.name).collect();
                out.error(
                    "E_AZURE_SKU_UNKNOWN",
                    site_path(i, "gateway.sku"),
                    format!("'{sku}' is not an Azure VPN gateway SKU"),
                    format!("use one of {}", names.join(", ")),
                    src("[AZ-SKU] [AZ-SKU-TBL]"),
                );
            }
            Some(s) => {
                if let Some(instead) = s.retired {
                    out.error(
                        "E_AZURE_SKU_RETIRED",
                        site_path(i, "gateway.sku"),
                        format!("Azure no longer creates {} gateways", s.name),
                        format!("use {instead}"),
                        s.src,
                    );
                }
                if *active_active && !s.active_active {
                    out.error(
                        "E_AZURE_SKU_FEATURE",
                        site_path(i, "gateway.active_active"),
                        format!("the {} SKU cannot be active-active", s.name),
                        "use VpnGw1AZ or larger, or turn active-active off",
                        s.src,
                    );
                }
                if *vpn_type == AzureVpnType::PolicyBased && (s.name != "Basic" || *active_active) {
                    out.error(
                        "E_AZURE_SKU_FEATURE",
                        site_path(i, "gateway.vpn_type"),
                        "policy-based Azure gateways exist only as Basic SKU, active-standby, with one IKEv1 tunnel",
                        "use a route-based gateway (the default): it supports IKEv2, BGP and more tunnels",
                        src("[AZ-FAQ] [AZ-SKU]"),
                    );
                }
            }
        },
        Gateway::Appliance { software, version, public_ip, private_ip, .. } => {
            if Endpoint::of(g).is_none() {
                let known: Vec<&str> = versions_of(*software).map(|v| v.version).collect();
                out.error(
                    "E_APPLIANCE_VERSION",
                    site_path(i, "gateway.version"),
                    format!("Tunnelsmith does not know {} version '{version}'", software.label()),
                    format!("use one of {}", known.join(", ")),
                    src("[LS-CHG] [SS-NEWS] [VY-MIG]"),
                );
            }
            check_appliance_ips(i, site, public_ip, private_ip, out);
        }
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } | Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn {} => {}
    }
    Endpoint::of(g)
}

fn check_appliance_ips(i: usize, site: &Site, public_ip: &str, private_ip: &str, out: &mut Findings) {
    let host = site.platform.appliance_host();
    let path = site_path(i, "gateway.public_ip");
    if public_ip.is_empty() {
        if site.platform == Platform::Onprem {
            out.error(
                "E_APPLIANCE_PUBLIC_IP",
                path,
                "a self-managed appliance needs its public IP: the cloud gateways connect to it",
                "enter the public IPv4 address the appliance is reachable at (its NAT address if behind NAT)",
                src("[AWS-UG-CGW] [AZ-FAQ] [GCP-PEER]"),
            );
        }
    } else {
        match public_ip.parse::<Ipv4Addr>() {
            Err(_) => out.error(
                "E_APPLIANCE_PUBLIC_IP",
                path,
                format!("'{public_ip}' is not an IPv4 address"),
                "enter a dotted-quad IPv4 address such as 198.51.100.7",
                src(""),
            ),
            Ok(ip) if DOCUMENTATION.iter().any(|n| n.contains(&ip)) => out.warn(
                "W_APPLIANCE_PUBLIC_IP_DOC",
                path,
                format!("{ip} is a documentation (TEST-NET) address, fine for an example but not a real peer"),
                "replace it with the appliance's real public IP before running the scripts",
                src(""),
            ),
            Ok(ip) if !is_public(ip) => out.error(
                "E_APPLIANCE_PUBLIC_IP",
                path,
                format!("{ip} is not a public address: cloud VPN gateways reach peers over the internet"),
                format!("enter the public (elastic/NAT) address of the {host}; its private address goes in private_ip"),
                src("[AWS-UG-CGW] [AZ-FAQ]"),
            ),
            Ok(_) => {}
        }
    }
    let path = site_path(i, "gateway.private_ip");
    if private_ip.is_empty() {
        if site.platform != Platform::Onprem {
            out.error(
                "E_APPLIANCE_PRIVATE_IP",
                path,
                format!("the scripts find the {host} by its private IP (to open ports and route via it)"),
                format!("enter the private IPv4 address of the {host}'s network interface"),
                src(""),
            );
        }
        return;
    }
    match private_ip.parse::<Ipv4Addr>() {
        Err(_) => out.error(
            "E_APPLIANCE_PRIVATE_IP",
            path,
            format!("'{private_ip}' is not an IPv4 address"),
            "enter a dotted-quad IPv4 address such as 10.1.0.212",
            src(""),
        ),
        Ok(ip) => {
            let spaces: Vec<Ipv4Net> = site.address_spaces.iter().filter_map(|s| parse_cidr(s).ok()).collect();
            if !spaces.is_empty() && !spaces.iter().any(|n| n.contains(&ip)) {
                out.error(
                    "E_APPLIANCE_PRIVATE_IP",
                    path,
                    format!("{ip} is outside the site's address spaces"),
                    "enter the appliance's address inside this site's network",
                    src(""),
                );
            }
        }
    }
}

/// Whether an address is routable on the public internet.
pub(crate) fn is_public(ip: Ipv4Addr) -> bool {
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.octets()[0] >= 240
        || ip.octets()[0] == 0
        || PRIVATE_SPACES.iter().any(|n| n.contains(&ip)))
}

/// A parsed CIDR: `Ok(net)` (possibly with host bits, see [`normalise`]) or what is wrong.
pub(crate) fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("it is empty".into());
    }
    if !t.contains('/') {
        return Err(format!("'{t}' has no prefix length (write it as {t}/24, for example)"));
    }
    t.parse::<Ipv4Net>().map_err(|_| format!("'{t}' is not an IPv4 CIDR such as 10.1.0.0/16"))
}

fn check_addresses(i: usize, site: &Site, out: &mut Findings) -> (Vec<Ipv4Net>, Vec<RSubnet>) {
    let sizes = addressing::size_rule(site.platform);
    let mut spaces = Vec::new();
    if site.address_spaces.is_empty() {
        out.error(
            "E_SPACES_MISSING",
            site_path(i, "address_spaces"),
            format!("the {} has no address space", site.platform.network_noun()),
            "add the CIDR(s) of the network, e.g. 10.1.0.0/16",
            src(""),
        );
    }
    for (k, text) in site.address_spaces.iter().enumerate() {
        let path = site_path(i, &format!("address_spaces[{k}]"));
        if let Some(net) = parse_and_normalise(&path, text, out) {
            if let Some((_, why)) = FORBIDDEN_SPACES.iter().find(|(f, _)| super::overlap::overlaps(f, &net)) {
                out.error(
                    "E_CIDR_FORBIDDEN",
                    path,
                    format!("{net} overlaps a reserved range: {why}"),
                    "use a private range such as 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
                    src("[AWS-UG-TUN] [AZ-FAQ]"),
                );
                continue;
            }
            if !PRIVATE_SPACES.iter().any(|p| p.contains(&net)) {
                out.warn(
                    "W_CIDR_NOT_PRIVATE",
                    path.clone(),
                    format!("{net} is public address space: its real owners become unreachable from this site"),
                    "use a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) unless you own this block",
                    src(""),
                );
            }
            if !(sizes.space.0..=sizes.space.1).contains(&net.prefix_len()) {
                out.error(
                    "E_CIDR_SIZE",
                    path,
                    format!(
                        "a {} address space must be /{} to /{}; {net} is /{}",
                        site.platform,
                        sizes.space.0,
                        sizes.space.1,
                        net.prefix_len()
                    ),
                    format!("choose a prefix length between /{} and /{}", sizes.space.0, sizes.space.1),
                    sizes.src,
                );
            }
            spaces.push((k, net));
        }
    }
    // Overlaps within the site.
    let nets: Vec<Ipv4Net> = spaces.iter().map(|(_, n)| *n).collect();
    for (x, y) in overlapping_pairs(&nets) {
        out.error(
            "E_CIDR_OVERLAP_SITE",
            site_path(i, &format!("address_spaces[{}]", spaces[y].0)),
            format!("{} overlaps {} (address_spaces[{}]) of the same site", nets[y], nets[x], spaces[x].0),
            "remove the smaller one: the larger already covers it",
            src(""),
        );
    }

    let gcp = site.platform == Platform::Gcp;
    let mut subnets = Vec::new();
    for (k, sub) in site.subnets.iter().enumerate() {
        let rule = if gcp { &names::GCP_SUBNET_NAME } else { &names::SUBNET_NAME };
        let is_gateway_subnet = site.platform == Platform::Azure && sub.name == AZURE_GATEWAY_SUBNET.name;
        if !is_gateway_subnet {
            name_finding(out, "E_SUBNET_NAME", site_path(i, &format!("subnets[{k}].name")), rule, &sub.name, "");
        }
        let path = site_path(i, &format!("subnets[{k}].cidr"));
        let Some(net) = parse_and_normalise(&path, &sub.cidr, out) else { continue };
        if !nets.is_empty() && !nets.iter().any(|s| s.contains(&net)) {
            let list: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
            out.error(
                "E_SUBNET_OUTSIDE",
                path.clone(),
                format!("subnet {} ({net}) is outside the site's address spaces ({})", sub.name, list.join(", ")),
                "move the subnet inside an address space, or add an address space that covers it",
                src(""),
            );
        }
        if !(sizes.subnet.0..=sizes.subnet.1).contains(&net.prefix_len()) && !is_gateway_subnet {
            out.error(
                "E_CIDR_SIZE",
                path,
                format!(
                    "a {} subnet must be /{} to /{}; {net} is /{}",
                    site.platform,
                    sizes.subnet.0,
                    sizes.subnet.1,
                    net.prefix_len()
                ),
                format!("choose a prefix length between /{} and /{}", sizes.subnet.0, sizes.subnet.1),
                sizes.src,
            );
        }
        subnets.push((k, RSubnet { name: sub.name.clone(), cidr: net }));
    }
    let subnet_nets: Vec<Ipv4Net> = subnets.iter().map(|(_, s)| s.cidr).collect();
    for (x, y) in overlapping_pairs(&subnet_nets) {
        out.error(
            "E_CIDR_OVERLAP_SITE",
            site_path(i, &format!("subnets[{}].cidr", subnets[y].0)),
            format!(
                "subnet {} ({}) overlaps subnet {} ({})",
                subnets[y].1.name, subnet_nets[y], subnets[x].1.name, subnet_nets[x]
            ),
            "give each subnet its own range",
            src(""),
        );
    }
    if site.subnets.is_empty() && site.network == Network::New && site.platform != Platform::Onprem {
        out.warn(
            "W_SUBNETS_MISSING",
            site_path(i, "subnets"),
            format!("the new {} has no subnet for workloads", site.platform.network_noun()),
            "add at least one subnet inside the address space",
            src(""),
        );
    }
    if site.platform == Platform::Azure && site.gateway.kind() == GatewayKind::AzureVpnGateway {
        check_gateway_subnet(i, &nets, &subnets, out);
        check_workload_subnet(i, &nets, &subnets, out);
    }
    (nets, subnets.into_iter().map(|(_, s)| s).collect())
}

fn check_gateway_subnet(i: usize, spaces: &[Ipv4Net], subnets: &[(usize, RSubnet)], out: &mut Findings) {
    let rule = &AZURE_GATEWAY_SUBNET;
    match subnets.iter().find(|(_, s)| s.name == rule.name) {
        None => {
            let suggestion = free_block(spaces, subnets, rule.recommended_prefix)
                .map(|n| format!("add a subnet named {} with {n}", rule.name))
                .unwrap_or_else(|| {
                    format!("add a subnet named {} of /{} or larger", rule.name, rule.recommended_prefix)
                });
            out.error(
                "E_AZURE_GATEWAY_SUBNET",
                site_path(i, "subnets"),
                format!("an Azure VPN gateway needs a subnet named exactly {} in its VNet", rule.name),
                suggestion,
                rule.src,
            );
        }
        Some((k, s)) if s.cidr.prefix_len() > rule.min_prefix => out.error(
            "E_AZURE_GATEWAY_SUBNET",
            site_path(i, &format!("subnets[{k}].cidr")),
            format!("{} is /{}; Azure needs at least /{}", rule.name, s.cidr.prefix_len(), rule.min_prefix),
            format!("make it /{} (recommended) or at least /{}", rule.recommended_prefix, rule.min_prefix),
            rule.src,
        ),
        Some((k, s)) if s.cidr.prefix_len() > rule.recommended_prefix => out.warn(
            "W_AZURE_GATEWAY_SUBNET_SMALL",
            site_path(i, &format!("subnets[{k}].cidr")),
            format!(
                "{} is /{}; Azure recommends /{} or larger (active-active and future SKUs need room)",
                rule.name,
                s.cidr.prefix_len(),
                rule.recommended_prefix
            ),
            format!("make it /{}", rule.recommended_prefix),
            rule.src,
        ),
        Some(_) => {}
    }
}

/// An Azure VNet whose only subnet is GatewaySubnet has nowhere for a VM: nothing there can use
/// the tunnels, and there is no host to test from.
fn check_workload_subnet(i: usize, spaces: &[Ipv4Net], subnets: &[(usize, RSubnet)], out: &mut Findings) {
    let rule = &AZURE_GATEWAY_SUBNET;
    if subnets.is_empty() || subnets.iter().any(|(_, s)| s.name != rule.name) {
        return;
    }
    let fix = match free_block(spaces, subnets, 24) {
        Some(n) => format!("add a workload subnet, e.g. named workload with {n}"),
        None => "add a workload subnet inside the address space (GatewaySubnet is for the gateway only)".to_string(),
    };
    out.warn(
        "W_AZURE_NO_WORKLOAD_SUBNET",
        site_path(i, "subnets"),
        format!(
            "the VNet's only subnet is {}, which may hold nothing but the VPN gateway: no VM can use the tunnels and the runbook has no host to test from",
            rule.name
        ),
        fix,
        rule.src,
    );
}

/// The highest free block of `prefix` length inside the spaces, not overlapping any subnet.
fn free_block(spaces: &[Ipv4Net], subnets: &[(usize, RSubnet)], prefix: u8) -> Option<Ipv4Net> {
    for space in spaces.iter().rev() {
        if space.prefix_len() > prefix {
            continue;
        }
        let Ok(blocks) = space.subnets(prefix) else { continue };
        let mut blocks: Vec<Ipv4Net> = blocks.collect();
        blocks.reverse();
        if let Some(b) =
            blocks.into_iter().take(4096).find(|b| !subnets.iter().any(|(_, s)| super::overlap::overlaps(&s.cidr, b)))
        {
            return Some(b);
        }
    }
    None
}

/// Parse a CIDR, report problems, and return the normalised prefix.
fn parse_and_normalise(path: &str, text: &str, out: &mut Findings) -> Option<Ipv4Net> {
    match parse_cidr(text) {
        Err(why) => {
            out.error(
                "E_CIDR_INVALID",
                path,
                format!("not a CIDR: {why}"),
                "write an IPv4 prefix such as 10.1.0.0/16",
                src(""),
            );
            None
        }
        Ok(net) => {
            let trunc = net.trunc();
            if trunc != net {
                out.warn(
                    "W_CIDR_HOST_BITS",
                    path,
                    format!("{net} has host bits set; it means {trunc}"),
                    format!("write {trunc}"),
                    src(""),
                );
            }
            Some(trunc)
        }
    }
}

#[inline(never)]
fn check_cross_site_overlaps(plan: &Plan, sites: &[RSite], out: &mut Findings) {
    // One list of every site's address spaces; pairs within one site are reported per site.
    let mut nets = Vec::new();
    let mut owner = Vec::new();
    for (i, s) in sites.iter().enumerate() {
        for (k, n) in s.address_spaces.iter().enumerate() {
            nets.push(*n);
            owner.push((i, k));
        }
    }
    let mut reported = BTreeSet::new();
    for (x, y) in overlapping_pairs(&nets) {
        let ((si, _), (sj, _)) = (owner[x], owner[y]);
        if si == sj || !reported.insert((x.min(y), x.max(y))) {
            continue;
        }
        let path_k = index_of_text(plan, sj, &nets[y]);
        let fix = match free_range(&nets, nets[y]) {
            Some(free) => format!(
                "use '{free}' for {}, the first /{} after it that no site uses (its subnets can follow it), or re-address {} instead",
                sites[sj].name,
                free.prefix_len(),
                sites[si].name
            ),
            None => "give every site its own non-overlapping range (re-address one network before joining them)".into(),
        };
        out.error(
            "E_CIDR_OVERLAP",
            site_path(sj, &format!("address_spaces[{path_k}]")),
            format!(
                "{} of site {} overlaps {} of site {}: routes between them would be ambiguous",
                nets[y], sites[sj].name, nets[x], sites[si].name
            ),
            fix,
            src("[AZ-FAQ]"),
        );
    }
}

/// A range the size of `like` that overlaps none of `taken`: the next one after `like` in the
/// private block that holds it (10.0.0.0/8 when none does), wrapping around; `None` when the block
/// is full or `like` is larger than it. Bounded: at most 4,096 candidates are looked at.
pub(crate) fn free_range(taken: &[Ipv4Net], like: Ipv4Net) -> Option<Ipv4Net> {
    let block = PRIVATE_SPACES.iter().find(|b| b.contains(&like)).copied().unwrap_or(PRIVATE_SPACES[0]);
    let len = like.prefix_len();
    if len < block.prefix_len() {
        return None;
    }
    let count: u64 = 1 << (len - block.prefix_len());
    let size: u64 = 1 << (32 - len);
    let base = u64::from(u32::from(block.network()));
    let start = if block.contains(&like) { (u64::from(u32::from(like.network())) - base) / size } else { 0 };
    (1..=count.min(4_096)).find_map(|step| {
        let at = base + ((start + step) % count) * size;
        let n = Ipv4Net::new(Ipv4Addr::from(at as u32), len).ok()?;
        (!taken.iter().any(|t| t.contains(&n) || n.contains(t))).then_some(n)
    })
}

/// The index, in the plan's text list, of a parsed address space (its first match).
fn index_of_text(plan: &Plan, site: usize, net: &Ipv4Net) -> usize {
    plan.sites[site].address_spaces.iter().position(|t| parse_cidr(t).map(|n| n.trunc()) == Ok(*net)).unwrap_or(0)
}

/// Resolve every gateway's ASN: the plan's after validation, else a default that is unique in
/// the plan (platform default first, then the next free one).
#[inline(never)]
pub(crate) fn assign_asns(plan: &Plan, sites: &mut [RSite], out: &mut Findings) {
    let mut used: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, site) in plan.sites.iter().enumerate() {
        let Some(a) = site.gateway.asn() else { continue };
        let kind = site.gateway.kind();
        if let Some(p) = asn::own_problem(kind, a) {
            let rule = asn::own_rule(kind);
            out.error(
                "E_ASN_INVALID",
                site_path(i, "gateway.asn"),
                format!("ASN {a} cannot be used: {p}"),
                format!("use a private ASN such as {}", rule.map_or(asn::APPLIANCE_DEFAULT, |r| r.default)),
                rule.map(|r| r.src).unwrap_or(src("[AZ-FAQ]")),
            );
        } else if kind == GatewayKind::Appliance && !asn::is_private(a) {
            out.warn(
                "W_ASN_PUBLIC",
                site_path(i, "gateway.asn"),
                format!("ASN {a} is a public ASN"),
                "use a private ASN (64512–65534) unless your organisation owns this one",
                src("[AZ-FAQ]"),
            );
        }
        if let Some(&j) = used.get(&a) {
            out.warn(
                "W_ASN_DUPLICATE",
                site_path(i, "gateway.asn"),
                format!(
                    "sites {} and {} both use ASN {a}: BGP drops routes whose path holds its own ASN",
                    plan.sites[j].name, site.name
                ),
                "give every site its own private ASN",
                src("[AZ-FAQ]"),
            );
        } else {
            used.insert(a, i);
        }
        sites[i].asn = Some(a);
    }
    for (i, site) in plan.sites.iter().enumerate() {
        if sites[i].asn.is_some() || matches!(site.gateway, Gateway::GcpClassicVpn {}) {
            continue;
        }
        let Some(rule) = asn::own_rule(site.gateway.kind()) else { continue };
        // Nor one a BGP peer rejects (Azure's default 65515 to another Azure gateway).
        let peers: Vec<GatewayKind> = plan
            .links
            .iter()
            .filter(|l| l.routing == Routing::Bgp)
            .filter_map(|l| match (l.a == site.name, l.b == site.name) {
                (true, false) => Some(&l.b),
                (false, true) => Some(&l.a),
                _ => None,
            })
            .filter_map(|n| plan.sites.iter().find(|x| x.name == *n).map(|x| x.gateway.kind()))
            .collect();
        let mut a = rule.default as i64;
        while used.contains_key(&(a as u32))
            || asn::own_problem(rule.kind, a as u32).is_some()
            || peers.iter().any(|&p| asn::peer_problem(p, a as u32).is_some())
        {
            a += rule.step;
        }
        used.insert(a as u32, i);
        sites[i].asn = Some(a as u32);
    }
}
