//! BGP autonomous system numbers: what each platform accepts for itself and for its peers.

use super::{src, Src};
use crate::plan::{Gateway, GatewayKind};

/// The rule for a gateway's own ASN.
#[derive(Debug, Clone, Copy)]
pub struct OwnAsn {
    pub kind: GatewayKind,
    /// Inclusive ranges the ASN must fall in.
    pub allowed: &'static [(u32, u32)],
    /// The platform default, or where Tunnelsmith starts allocating.
    pub default: u32,
    /// Direction in which defaults are bumped to stay unique in a plan.
    pub step: i64,
    pub src: Src,
}

/// The platforms' own default ASNs (the sources are in [`OWN`]), and 65000 for an appliance
/// (AWS's customer-gateway example). Steps fall back to these where a site has no ASN.
pub const AWS_DEFAULT: u32 = 64_512;
pub const AZURE_DEFAULT: u32 = 65_515;
pub const GCP_DEFAULT: u32 = 65_534;
pub const APPLIANCE_DEFAULT: u32 = 65_000;

const PRIVATE_16_32: &[(u32, u32)] = &[(64_512, 65_534), (4_200_000_000, 4_294_967_294)];
const ANY_ASN: &[(u32, u32)] = &[(1, 4_294_967_294)];

pub const OWN: &[OwnAsn] = &[
    OwnAsn {
        kind: GatewayKind::AwsVgw,
        allowed: PRIVATE_16_32,
        default: AWS_DEFAULT,
        step: 1,
        src: src("[AWS-API-VGW] [AWS-HOW]"),
    },
    OwnAsn {
        kind: GatewayKind::AwsTgw,
        allowed: PRIVATE_16_32,
        default: AWS_DEFAULT,
        step: 1,
        src: src("[AWS-API-TGW]"),
    },
    OwnAsn {
        kind: GatewayKind::AzureVpnGateway,
        allowed: ANY_ASN,
        default: AZURE_DEFAULT,
        step: 1,
        src: src("[AZ-FAQ] [AZ-BGP]"),
    },
    OwnAsn {
        kind: GatewayKind::GcpHaVpn,
        allowed: PRIVATE_16_32,
        default: GCP_DEFAULT,
        step: -1,
        src: src("[GCP-AWS] [GCLOUD-RTR] [GCP-NCC]"),
    },
    OwnAsn {
        kind: GatewayKind::Appliance,
        allowed: ANY_ASN,
        default: APPLIANCE_DEFAULT,
        step: 1,
        src: src("[AWS-API-CGW]"),
    },
];

pub fn own_rule(kind: GatewayKind) -> Option<&'static OwnAsn> {
    OWN.iter().find(|r| r.kind == kind)
}

/// ASNs nobody may use, with why.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    pub from: u32,
    pub to: u32,
    pub why: &'static str,
    /// `None`: reserved everywhere; `Some(kind)`: a peer of this kind rejects it.
    pub rejected_by_peer: Option<GatewayKind>,
    pub src: Src,
}

pub const RESERVED: &[Reserved] = &[
    Reserved { from: 0, to: 0, why: "ASN 0 is reserved (RFC 7607)", rejected_by_peer: None, src: src("[AZ-FAQ]") },
    Reserved {
        from: 23_456,
        to: 23_456,
        why: "AS_TRANS is reserved by IANA",
        rejected_by_peer: None,
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 64_496,
        to: 64_511,
        why: "reserved by IANA for documentation",
        rejected_by_peer: None,
        src: src("[AZ-FAQ]"),
    },
    Reserved { from: 65_535, to: 65_551, why: "reserved by IANA", rejected_by_peer: None, src: src("[AZ-FAQ]") },
    Reserved {
        from: 4_294_967_295,
        to: 4_294_967_295,
        why: "reserved by IANA",
        rejected_by_peer: None,
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 8_074,
        to: 8_075,
        why: "reserved by Azure",
        rejected_by_peer: Some(GatewayKind::AzureVpnGateway),
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 12_076,
        to: 12_076,
        why: "reserved by Azure",
        rejected_by_peer: Some(GatewayKind::AzureVpnGateway),
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 65_515,
        to: 65_515,
        why: "reserved by Azure for its own gateways",
        rejected_by_peer: Some(GatewayKind::AzureVpnGateway),
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 65_517,
        to: 65_520,
        why: "reserved by Azure",
        rejected_by_peer: Some(GatewayKind::AzureVpnGateway),
        src: src("[AZ-FAQ]"),
    },
    Reserved {
        from: 16_550,
        to: 16_550,
        why: "Google reserves 16550 for Cloud Routers serving Partner Interconnect",
        rejected_by_peer: Some(GatewayKind::GcpHaVpn),
        src: src("[GCP-NCC] [GCP-BGP]"),
    },
    Reserved {
        from: 7_224,
        to: 7_224,
        why: "reserved by AWS in us-east-1",
        rejected_by_peer: Some(GatewayKind::AwsVgw),
        src: src("[AWS-API-CGW-OLD]"),
    },
    Reserved {
        from: 9_059,
        to: 9_059,
        why: "reserved by AWS in eu-west-1",
        rejected_by_peer: Some(GatewayKind::AwsVgw),
        src: src("[AWS-API-CGW-OLD]"),
    },
];

/// Why `asn` cannot be used by a gateway of kind `own` at all, if it cannot.
pub fn own_problem(own: GatewayKind, asn: u32) -> Option<String> {
    if let Some(r) = RESERVED.iter().find(|r| r.rejected_by_peer.is_none() && (r.from..=r.to).contains(&asn)) {
        return Some(format!("{asn} is {}", r.why));
    }
    let rule = own_rule(own)?;
    if !rule.allowed.iter().any(|(a, b)| (*a..=*b).contains(&asn)) {
        let ranges: Vec<String> = rule.allowed.iter().map(|(a, b)| format!("{a}–{b}")).collect();
        return Some(format!("{} accepts only ASNs {}", own.label(), ranges.join(" or ")));
    }
    None
}

/// Why a gateway of kind `peer` rejects `asn` on the other end of a BGP session.
pub fn peer_problem(peer: GatewayKind, asn: u32) -> Option<&'static Reserved> {
    let peer = if peer == GatewayKind::AwsTgw { GatewayKind::AwsVgw } else { peer };
    RESERVED.iter().find(|r| r.rejected_by_peer == Some(peer) && (r.from..=r.to).contains(&asn))
}

/// Whether an ASN is in a private range (RFC 6996).
pub fn is_private(asn: u32) -> bool {
    PRIVATE_16_32.iter().any(|(a, b)| (*a..=*b).contains(&asn))
}

/// The ASN a gateway uses: the plan's, or the platform default.
pub fn default_for(g: &Gateway) -> Option<u32> {
    own_rule(g.kind()).map(|r| r.default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_reserved_asns_are_rejected_only_by_azure_peers() {
        assert!(peer_problem(GatewayKind::AzureVpnGateway, 65_515).is_some());
        assert!(peer_problem(GatewayKind::AwsVgw, 65_515).is_none());
        assert!(peer_problem(GatewayKind::AwsTgw, 7_224).is_some());
    }

    #[test]
    fn own_ranges_follow_the_platform() {
        assert!(own_problem(GatewayKind::AwsVgw, 64_512).is_none());
        assert!(own_problem(GatewayKind::AwsVgw, 65_000).is_none());
        assert!(own_problem(GatewayKind::AwsVgw, 1_000).unwrap().contains("64512–65534"));
        assert!(own_problem(GatewayKind::GcpHaVpn, 23_456).unwrap().contains("AS_TRANS"));
        assert!(own_problem(GatewayKind::Appliance, 3_356).is_none());
    }
}
