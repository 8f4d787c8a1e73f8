//! The defaults of a new site and gateway, free names and address spaces.

use crate::kb::addressing::AZURE_GATEWAY_SUBNET;
use crate::kb::gateways::azure_skus_available;
use crate::kb::names::regions;
use crate::plan::*;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Set a gateway's ASN (no-op for a gateway without one).
pub fn set_gateway_asn(g: &mut Gateway, v: Option<u32>) {
    match g {
        Gateway::AwsVgw { asn }
        | Gateway::AwsTgw { asn }
        | Gateway::AzureVpnGateway { asn, .. }
        | Gateway::GcpHaVpn { asn }
        | Gateway::Appliance { asn, .. } => *asn = v,
        Gateway::GcpClassicVpn {} => {}
    }
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
