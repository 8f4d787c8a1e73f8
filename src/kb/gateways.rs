//! Gateways: SKUs, what each kind can do, how many tunnels it forms, connection limits, MTU.

use super::{src, Src};
use crate::plan::{Encryption, Gateway, GatewayKind, Integrity, Platform, Routing};

/// An Azure VPN gateway SKU.
#[derive(Debug, Clone, Copy)]
pub struct AzureSku {
    pub name: &'static str,
    /// Site-to-site tunnels (connections) the SKU allows.
    pub s2s_tunnels: u32,
    pub bgp: bool,
    pub custom_policy: bool,
    pub active_active: bool,
    /// Can a new gateway of this SKU be created today? If not, what to use instead.
    pub retired: Option<&'static str>,
    pub src: Src,
}

const fn sku(name: &'static str, s2s_tunnels: u32, retired: Option<&'static str>, keys: &'static str) -> AzureSku {
    AzureSku { name, s2s_tunnels, bgp: true, custom_policy: true, active_active: true, retired, src: src(keys) }
}

pub const AZURE_SKUS: &[AzureSku] = &[
    AzureSku {
        name: "Basic",
        s2s_tunnels: 10,
        bgp: false,
        custom_policy: false,
        active_active: false,
        retired: None,
        src: src("[AZ-SKU] [AZ-FAQ]"),
    },
    sku("VpnGw1AZ", 30, None, "[AZ-SKU-TBL] [AZ-FAQ]"),
    sku("VpnGw2AZ", 30, None, "[AZ-SKU-TBL] [AZ-FAQ]"),
    sku("VpnGw3AZ", 30, None, "[AZ-SKU-TBL] [AZ-FAQ]"),
    sku("VpnGw4AZ", 100, None, "[AZ-SKU-TBL]"),
    sku("VpnGw5AZ", 100, None, "[AZ-SKU-TBL]"),
    sku("VpnGw1", 30, Some("VpnGw1AZ"), "[AZ-CONS]"),
    sku("VpnGw2", 30, Some("VpnGw2AZ"), "[AZ-CONS]"),
    sku("VpnGw3", 30, Some("VpnGw3AZ"), "[AZ-CONS]"),
    sku("VpnGw4", 100, Some("VpnGw4AZ"), "[AZ-CONS]"),
    sku("VpnGw5", 100, Some("VpnGw5AZ"), "[AZ-CONS]"),
    sku("Standard", 10, Some("VpnGw1AZ"), "[AZ-FAQ]"),
    sku("HighPerformance", 30, Some("VpnGw2AZ"), "[AZ-FAQ]"),
];

/// Look up a SKU by name (case-insensitive, as Azure treats it).
pub fn azure_sku(name: &str) -> Option<&'static AzureSku> {
    AZURE_SKUS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// SKUs a new gateway can use, for messages and the wizard.
pub fn azure_skus_available() -> impl Iterator<Item = &'static AzureSku> {
    AZURE_SKUS.iter().filter(|s| s.retired.is_none())
}

/// What a gateway kind can do with a routing mode.
#[derive(Debug, Clone, Copy)]
pub struct RoutingSupport {
    pub kind: GatewayKind,
    pub routing: Routing,
    /// `None`: supported. `Some(why)`: not supported, and why.
    pub unsupported: Option<&'static str>,
    pub src: Src,
}

pub const ROUTING: &[RoutingSupport] = &[
    RoutingSupport {
        kind: GatewayKind::GcpHaVpn,
        routing: Routing::Static,
        unsupported: Some("Google Cloud HA VPN routes only with BGP through a Cloud Router"),
        src: src("[GCP-KEY] [GCLOUD-TUN]"),
    },
    RoutingSupport {
        kind: GatewayKind::GcpClassicVpn,
        routing: Routing::Bgp,
        unsupported: Some("new BGP tunnels on Classic VPN are blocked since 2025-08-01"),
        src: src("[GCP-DEPR]"),
    },
];

/// Why `kind` cannot route with `routing`, if it cannot.
pub fn routing_unsupported(kind: GatewayKind, routing: Routing) -> Option<&'static RoutingSupport> {
    ROUTING.iter().find(|r| r.kind == kind && r.routing == routing && r.unsupported.is_some())
}

/// How many public endpoints ("outside addresses") a gateway presents to a peer, and how
/// AWS counts them: AWS forms two tunnels per VPN connection, one connection per peer address.
pub fn outside_addresses(g: &Gateway) -> u8 {
    match g {
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => 2,
        Gateway::AzureVpnGateway { active_active: true, .. } => 2,
        Gateway::AzureVpnGateway { .. } => 1,
        Gateway::GcpHaVpn { .. } => 2,
        Gateway::GcpClassicVpn {} => 1,
        Gateway::Appliance { .. } => 1,
    }
}

/// Platform-wide limits on the number of connections a gateway may terminate.
pub struct ConnectionLimit {
    pub kind: GatewayKind,
    pub max: u32,
    /// What is counted.
    pub unit: &'static str,
    pub src: Src,
}

pub const CONNECTION_LIMITS: &[ConnectionLimit] = &[ConnectionLimit {
    kind: GatewayKind::AwsVgw,
    max: 10,
    unit: "VPN connections per virtual private gateway",
    src: src("[AWS-UG-LIM]"),
}];

/// Recommended tunnel MTU and TCP MSS clamp for one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtuAdvice {
    pub mtu: u32,
    pub mss: u32,
    pub src: Src,
}

/// Fixed per-platform MTU advice (AWS, Azure); Google Cloud and appliances are computed.
pub const MTU_AWS: MtuAdvice = MtuAdvice { mtu: 1399, mss: 1359, src: src("[AWS-UG-CGW] [AWS-UG-LIM]") };
pub const MTU_AZURE: MtuAdvice = MtuAdvice { mtu: 1400, mss: 1350, src: src("[AZ-DEV] [AZ-FAQ]") };

/// Google Cloud payload MTU by phase 2 cipher (IPv4 gateway).
pub const GCP_PAYLOAD_MTU: &[(&str, u32)] = &[("aead", 1406), ("cbc-sha1-sha256", 1390), ("cbc-sha512", 1374)];
pub const GCP_MTU_SRC: Src = src("[GCP-MTU]");

/// Path MTU of the underlay an appliance sends ESP over, by where it runs.
pub fn host_mtu(platform: Platform) -> u32 {
    match platform {
        Platform::Gcp => 1460,
        Platform::Aws | Platform::Azure | Platform::Onprem => 1500,
    }
}

/// The largest inner packet that fits `underlay` bytes after ESP in tunnel mode with NAT-T
/// (appliances in clouds and most sites sit behind NAT): outer IPv4 20, UDP 8, ESP header 8,
/// IV, padding to the cipher block, pad length and next header 2, ICV.
pub fn esp_inner_mtu(underlay: u32, enc: Encryption, integ: Option<Integrity>) -> u32 {
    let (iv, block, icv) = if enc.is_aead() {
        (8, 4, 16)
    } else {
        let icv = match integ.unwrap_or(Integrity::Sha256) {
            Integrity::Sha1 => 12,
            Integrity::Sha256 => 16,
            Integrity::Sha384 => 24,
            Integrity::Sha512 => 32,
        };
        (16, 16, icv)
    };
    let room = underlay.saturating_sub(20 + 8 + 8 + iv + icv);
    // inner + 2 must be a multiple of the block size.
    (room / block * block).saturating_sub(2)
}

/// MTU advice for one end of a link.
pub fn mtu_advice(g: &Gateway, platform: Platform, enc: Encryption, integ: Option<Integrity>) -> MtuAdvice {
    match g {
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => MTU_AWS,
        Gateway::AzureVpnGateway { .. } => MTU_AZURE,
        Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn {} => {
            let key = match (enc.is_aead(), integ) {
                (true, _) => "aead",
                (false, Some(Integrity::Sha512)) => "cbc-sha512",
                _ => "cbc-sha1-sha256",
            };
            let mtu = GCP_PAYLOAD_MTU.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or(1374);
            MtuAdvice { mtu, mss: mtu - 40, src: GCP_MTU_SRC }
        }
        Gateway::Appliance { .. } => {
            let mtu = esp_inner_mtu(host_mtu(platform), enc, integ);
            MtuAdvice { mtu, mss: mtu - 40, src: src("RFC 4303, RFC 3948 (ESP and NAT-T overhead)") }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esp_overhead_matches_worked_examples() {
        // AES-256-CBC + SHA2-256 over 1500 with NAT-T: 1500-20-8-8-16-16 = 1432, padded to
        // 16-byte blocks 1424, minus pad length and next header: 1422, AWS's own figure.
        assert_eq!(esp_inner_mtu(1500, Encryption::Aes256, Some(Integrity::Sha256)), 1422);
        // GCM: 1500-20-8-8-8-16 = 1440 → 1438, AWS's own GCM+NAT-T figure.
        assert_eq!(esp_inner_mtu(1500, Encryption::Aes256Gcm16, None), 1438);
        assert!(esp_inner_mtu(1460, Encryption::Aes128, Some(Integrity::Sha512)) < 1400);
    }

    #[test]
    fn sku_lookup_is_case_insensitive_and_knows_retirements() {
        assert_eq!(azure_sku("vpngw2az").unwrap().name, "VpnGw2AZ");
        assert_eq!(azure_sku("VpnGw1").unwrap().retired, Some("VpnGw1AZ"));
        assert!(azure_sku("VpnGw9").is_none());
        assert!(!azure_sku("Basic").unwrap().bgp);
    }
}
