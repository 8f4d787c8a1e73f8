//! Addressing rules: tunnel inside /30s, network and subnet sizes, ranges nobody may use.

use super::{src, Src};
use crate::plan::{GatewayKind, Platform};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// All tunnel inside addresses come from IPv4 link-local space.
pub const LINK_LOCAL: Ipv4Net = net(169, 254, 0, 0, 16);

const fn net(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    match Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len) {
        Ok(n) => n,
        Err(_) => panic!("bad constant prefix"),
    }
}

/// A rule on tunnel inside /30s that one end imposes.
#[derive(Debug, Clone, Copy)]
pub struct InsideRule {
    /// The gateway kind it applies to; `None`: every tunnel.
    pub kind: Option<GatewayKind>,
    /// Applies only when the link runs BGP (the addresses matter to the gateway only then).
    pub bgp_only: bool,
    /// The /30 must lie within this inclusive address range.
    pub within: (Ipv4Addr, Ipv4Addr),
    /// /30s that may never be used.
    pub avoid: &'static [Ipv4Net],
    pub what: &'static str,
    pub src: Src,
}

pub const AWS_RESERVED_INSIDE: &[Ipv4Net] = &[
    net(169, 254, 0, 0, 30),
    net(169, 254, 1, 0, 30),
    net(169, 254, 2, 0, 30),
    net(169, 254, 3, 0, 30),
    net(169, 254, 4, 0, 30),
    net(169, 254, 5, 0, 30),
    net(169, 254, 169, 252, 30),
];

/// Azure's custom APIPA BGP window.
pub const AZURE_APIPA: (Ipv4Addr, Ipv4Addr) = (Ipv4Addr::new(169, 254, 21, 0), Ipv4Addr::new(169, 254, 22, 255));

const LL: (Ipv4Addr, Ipv4Addr) = (Ipv4Addr::new(169, 254, 0, 0), Ipv4Addr::new(169, 254, 255, 255));

pub const INSIDE_RULES: &[InsideRule] = &[
    InsideRule {
        kind: None,
        bgp_only: false,
        within: LL,
        avoid: &[],
        what: "tunnel inside ranges are link-local /30s in 169.254.0.0/16",
        src: src("[AWS-UG-TUN] [GCLOUD-RTR] [AZ-BGP]"),
    },
    InsideRule {
        kind: Some(GatewayKind::AwsVgw),
        bgp_only: false,
        within: LL,
        avoid: AWS_RESERVED_INSIDE,
        what: "AWS tunnel inside CIDRs are /30s in 169.254.0.0/16 outside AWS's reserved blocks",
        src: src("[AWS-UG-TUN] [AWS-API]"),
    },
    InsideRule {
        kind: Some(GatewayKind::AwsTgw),
        bgp_only: false,
        within: LL,
        avoid: AWS_RESERVED_INSIDE,
        what: "AWS tunnel inside CIDRs are /30s in 169.254.0.0/16 outside AWS's reserved blocks",
        src: src("[AWS-UG-TUN] [AWS-API]"),
    },
    InsideRule {
        kind: Some(GatewayKind::AzureVpnGateway),
        bgp_only: true,
        within: AZURE_APIPA,
        avoid: &[],
        what: "Azure custom APIPA BGP addresses must lie in 169.254.21.0–169.254.22.255",
        src: src("[AZ-BGP] [AZ-AWS]"),
    },
    InsideRule {
        kind: Some(GatewayKind::GcpHaVpn),
        bgp_only: false,
        within: LL,
        avoid: &[],
        what: "Cloud Router BGP interfaces use link-local /30s in 169.254.0.0/16",
        src: src("[GCLOUD-RTR] [GCP-AZ]"),
    },
    InsideRule {
        kind: Some(GatewayKind::Appliance),
        bgp_only: false,
        within: LL,
        avoid: &[],
        what: "tunnel interfaces use link-local /30s in 169.254.0.0/16",
        src: src("[LS-CONN] [VY-XML]"),
    },
];

/// Where automatic allocation starts: Azure instance 0 in 169.254.21.x and instance 1 in
/// 169.254.22.x (the pattern of Microsoft's AWS guide), everything else from 169.254.10.0.
pub const ALLOC_START_AZURE: [Ipv4Addr; 2] = [Ipv4Addr::new(169, 254, 21, 0), Ipv4Addr::new(169, 254, 22, 0)];
pub const ALLOC_START_OTHER: Ipv4Addr = Ipv4Addr::new(169, 254, 10, 0);

/// Which end of a /30 takes the first host address (.1): lower rank first. AWS always uses
/// the first host; Azure always the second.
pub fn first_host_rank(kind: GatewayKind) -> u8 {
    match kind {
        GatewayKind::AwsVgw | GatewayKind::AwsTgw => 0,
        GatewayKind::GcpHaVpn | GatewayKind::GcpClassicVpn => 1,
        GatewayKind::Appliance => 2,
        GatewayKind::AzureVpnGateway => 3,
    }
}

/// Size limits of a site's address spaces and subnets.
#[derive(Debug, Clone, Copy)]
pub struct SizeRule {
    pub platform: Platform,
    /// Prefix length range for an address space (VPC CIDR, VNet address space).
    pub space: (u8, u8),
    /// Prefix length range for a subnet.
    pub subnet: (u8, u8),
    pub src: Src,
}

pub const SIZES: &[SizeRule] = &[
    SizeRule { platform: Platform::Aws, space: (16, 28), subnet: (16, 28), src: src("[AWS-VPC-CIDR]") },
    SizeRule { platform: Platform::Azure, space: (8, 29), subnet: (8, 29), src: src("[AZ-VNET-FAQ]") },
    SizeRule { platform: Platform::Gcp, space: (8, 29), subnet: (8, 29), src: src("[GCP-SUBNETS]") },
    SizeRule { platform: Platform::Onprem, space: (8, 32), subnet: (8, 32), src: src("") },
];

pub fn size_rule(p: Platform) -> &'static SizeRule {
    SIZES.iter().find(|r| r.platform == p).unwrap_or(&SIZES[SIZES.len() - 1])
}

/// Ranges no site may use as an address space.
pub const FORBIDDEN_SPACES: &[(Ipv4Net, &str)] = &[
    (net(0, 0, 0, 0, 8), "0.0.0.0/8 is 'this network'"),
    (net(127, 0, 0, 0, 8), "127.0.0.0/8 is loopback"),
    (LINK_LOCAL, "169.254.0.0/16 is link-local: tunnel inside addresses and cloud metadata live there"),
    (net(224, 0, 0, 0, 4), "224.0.0.0/4 is multicast"),
    (net(240, 0, 0, 0, 4), "240.0.0.0/4 is reserved"),
];

/// Private ranges that are safe for address spaces (RFC 1918, RFC 6598 shared space).
pub const PRIVATE_SPACES: &[Ipv4Net] =
    &[net(10, 0, 0, 0, 8), net(172, 16, 0, 0, 12), net(192, 168, 0, 0, 16), net(100, 64, 0, 0, 10)];

/// Documentation ranges (TEST-NET-1/2/3): fine in examples, never real peers.
pub const DOCUMENTATION: &[Ipv4Net] = &[net(192, 0, 2, 0, 24), net(198, 51, 100, 0, 24), net(203, 0, 113, 0, 24)];

/// The Azure gateway subnet: its exact name and sizes.
pub struct GatewaySubnetRule {
    pub name: &'static str,
    /// Longest prefix Azure accepts.
    pub min_prefix: u8,
    /// Longest prefix recommended.
    pub recommended_prefix: u8,
    pub src: Src,
}

pub const AZURE_GATEWAY_SUBNET: GatewaySubnetRule =
    GatewaySubnetRule { name: "GatewaySubnet", min_prefix: 29, recommended_prefix: 27, src: src("[AZ-FAQ]") };

/// Whether `net` lies within the inclusive range.
pub fn within(net: Ipv4Net, range: (Ipv4Addr, Ipv4Addr)) -> bool {
    net.network() >= range.0 && net.broadcast() <= range.1
}
