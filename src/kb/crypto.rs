//! What each VPN endpoint accepts in phase 1 and phase 2, per IKE version.

use super::{src, Src};
use crate::plan::{AzureVpnType, Encryption, Gateway, IkeVersion, Integrity, Software};

use Encryption::*;
use Integrity::*;

/// A crypto personality: one row family of [`CAPS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// AWS Site-to-Site VPN (virtual private or transit gateway): identical tunnel options.
    Aws,
    /// Azure route-based VPN gateway on a VpnGw*AZ SKU, with a custom IPsec/IKE policy.
    AzureRouteBased,
    /// Azure Basic SKU (route-based): no custom policy, so Azure's default proposals apply.
    AzureBasic,
    /// Azure policy-based gateway (Basic): IKEv1 only, default proposals.
    AzurePolicyBased,
    /// Google Cloud VPN (HA and Classic share one cipher table).
    Gcp,
    Libreswan4,
    Libreswan5,
    Strongswan5,
    Strongswan6,
    Vyos13,
    /// VyOS 1.4 (sagitta), 1.5 (circinus) and rolling: one node tree.
    Vyos14,
}

impl Endpoint {
    /// How the endpoint is named in messages.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Aws => "AWS Site-to-Site VPN",
            Endpoint::AzureRouteBased => "Azure VPN gateway",
            Endpoint::AzureBasic => "Azure Basic VPN gateway",
            Endpoint::AzurePolicyBased => "Azure policy-based VPN gateway",
            Endpoint::Gcp => "Google Cloud VPN",
            Endpoint::Libreswan4 => "Libreswan 4",
            Endpoint::Libreswan5 => "Libreswan 5",
            Endpoint::Strongswan5 => "strongSwan 5",
            Endpoint::Strongswan6 => "strongSwan 6",
            Endpoint::Vyos13 => "VyOS 1.3",
            Endpoint::Vyos14 => "VyOS 1.4+",
        }
    }

    /// The endpoint a gateway behaves as; `None` for an appliance version this build does not
    /// know (a finding reports it).
    pub fn of(gateway: &Gateway) -> Option<Endpoint> {
        Some(match gateway {
            Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => Endpoint::Aws,
            Gateway::AzureVpnGateway { vpn_type: AzureVpnType::PolicyBased, .. } => Endpoint::AzurePolicyBased,
            Gateway::AzureVpnGateway { sku, .. } if sku == "Basic" => Endpoint::AzureBasic,
            Gateway::AzureVpnGateway { .. } => Endpoint::AzureRouteBased,
            Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn {} => Endpoint::Gcp,
            Gateway::Appliance { software, version, .. } => {
                return APPLIANCE_VERSIONS
                    .iter()
                    .find(|v| v.software == *software && v.version == version.as_str())
                    .map(|v| v.endpoint)
            }
        })
    }
}

/// A lifetime rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Configurable within `min..=max` seconds.
    Range { min: u32, max: u32 },
    /// Set by the platform; cannot be changed.
    Fixed(u32),
}

impl Life {
    /// The value this end will use when the plan asks for `want`.
    pub fn settle(self, want: u32) -> u32 {
        match self {
            Life::Range { min, max } => want.clamp(min, max),
            Life::Fixed(v) => v,
        }
    }

    pub fn accepts(self, v: u32) -> bool {
        match self {
            Life::Range { min, max } => (min..=max).contains(&v),
            Life::Fixed(f) => f == v,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Life::Range { min, max } => format!("{min}–{max} s"),
            Life::Fixed(v) => format!("a fixed {v} s"),
        }
    }
}

/// What one endpoint accepts with one IKE version.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub endpoint: Endpoint,
    pub ike: IkeVersion,
    pub p1_enc: &'static [Encryption],
    pub p1_integ: &'static [Integrity],
    pub p1_dh: &'static [u8],
    pub p2_enc: &'static [Encryption],
    /// Phase 2 integrity for non-AEAD ciphers.
    pub p2_integ: &'static [Integrity],
    /// PFS groups accepted in phase 2.
    pub pfs: &'static [u8],
    /// Whether phase 2 may run without PFS.
    pub pfs_optional: bool,
    pub p1_life: Life,
    pub p2_life: Life,
    /// DPD timeout rule; `None`: the platform runs its own DPD, not configurable.
    pub dpd_timeout: Option<Life>,
    pub src: Src,
}

const AES_ALL: &[Encryption] = &[Aes128, Aes192, Aes256, Aes128Gcm16, Aes256Gcm16];
const AES_CBC: &[Encryption] = &[Aes128, Aes192, Aes256];
const SHA_ALL: &[Integrity] = &[Sha1, Sha256, Sha384, Sha512];
const ANY_LIFE: Life = Life::Range { min: 60, max: 86_400 };
const VYOS_LIFE: Life = Life::Range { min: 30, max: 86_400 };
const DH_LIBRESWAN: &[u8] = &[5, 14, 15, 16, 17, 18, 19, 20, 21, 31];
const DH_WIDE: &[u8] = &[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 31];

/// A software gateway's row: it negotiates whatever it is configured with, so both phases take
/// the same lists, PFS is optional, and both lifetimes follow one rule.
const fn appliance(
    endpoint: Endpoint,
    ike: IkeVersion,
    p1_enc: &'static [Encryption],
    dh: &'static [u8],
    life: Life,
    dpd_min: u32,
    keys: &'static str,
) -> Caps {
    Caps {
        endpoint,
        ike,
        p1_enc,
        p1_integ: SHA_ALL,
        p1_dh: dh,
        p2_enc: AES_ALL,
        p2_integ: SHA_ALL,
        pfs: dh,
        pfs_optional: true,
        p1_life: life,
        p2_life: life,
        dpd_timeout: Some(Life::Range { min: dpd_min, max: 86_400 }),
        src: src(keys),
    }
}

/// Every endpoint × IKE version this build knows. A missing (endpoint, version) pair means
/// the endpoint does not speak that IKE version.
pub const CAPS: &[Caps] = &[
    // AWS: VpnTunnelOptionsSpecification. Phase 2 lifetime must stay below phase 1's.
    Caps {
        endpoint: Endpoint::Aws,
        ike: IkeVersion::V2,
        p1_enc: &[Aes128, Aes256, Aes128Gcm16, Aes256Gcm16],
        p1_integ: SHA_ALL,
        p1_dh: &[2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
        p2_enc: &[Aes128, Aes256, Aes128Gcm16, Aes256Gcm16],
        p2_integ: SHA_ALL,
        pfs: &[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
        pfs_optional: false,
        p1_life: Life::Range { min: 900, max: 28_800 },
        p2_life: Life::Range { min: 900, max: 3_600 },
        dpd_timeout: Some(Life::Range { min: 30, max: 86_400 }),
        src: src("[AWS-UG-TUN] [AWS-API] [AWS-UG-CGW]"),
    },
    Caps {
        endpoint: Endpoint::Aws,
        ike: IkeVersion::V1,
        p1_enc: &[Aes128, Aes256, Aes128Gcm16, Aes256Gcm16],
        p1_integ: SHA_ALL,
        p1_dh: &[2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
        p2_enc: &[Aes128, Aes256, Aes128Gcm16, Aes256Gcm16],
        p2_integ: SHA_ALL,
        pfs: &[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
        pfs_optional: false,
        p1_life: Life::Range { min: 900, max: 28_800 },
        p2_life: Life::Range { min: 900, max: 3_600 },
        dpd_timeout: Some(Life::Range { min: 30, max: 86_400 }),
        src: src("[AWS-UG-TUN] [AWS-UG-CGW] (IKEv1 main mode only)"),
    },
    // Azure VpnGw*AZ with a custom IPsec/IKE policy (2024 list). Phase 1 lifetime is fixed.
    Caps {
        endpoint: Endpoint::AzureRouteBased,
        ike: IkeVersion::V2,
        p1_enc: &[Aes128, Aes192, Aes256, Aes128Gcm16, Aes256Gcm16],
        p1_integ: &[Sha1, Sha256, Sha384],
        p1_dh: &[2, 14, 19, 20, 24],
        p2_enc: AES_ALL,
        p2_integ: &[Sha1, Sha256],
        pfs: &[2, 14, 19, 20, 24],
        pfs_optional: true,
        p1_life: Life::Fixed(28_800),
        p2_life: Life::Range { min: 300, max: 2_147_483_647 },
        dpd_timeout: Some(Life::Range { min: 9, max: 3_600 }),
        src: src("[AZ-ALG] [AZ-FAQ] [AZ-DEV]"),
    },
    Caps {
        endpoint: Endpoint::AzureRouteBased,
        ike: IkeVersion::V1,
        p1_enc: &[Aes128, Aes192, Aes256],
        p1_integ: &[Sha1, Sha256, Sha384],
        p1_dh: &[2, 14, 19, 20, 24],
        p2_enc: AES_ALL,
        p2_integ: &[Sha1, Sha256],
        pfs: &[2, 14, 19, 20, 24],
        pfs_optional: true,
        p1_life: Life::Fixed(28_800),
        p2_life: Life::Range { min: 300, max: 2_147_483_647 },
        dpd_timeout: Some(Life::Range { min: 9, max: 3_600 }),
        src: src("[AZ-ALG] [AZ-FAQ] (IKEv1 rekey drops the tunnel up to 5 s)"),
    },
    // Azure Basic: no custom policy; Azure's default route-based proposals (DH group 2 only).
    Caps {
        endpoint: Endpoint::AzureBasic,
        ike: IkeVersion::V2,
        p1_enc: &[Aes128, Aes256],
        p1_integ: &[Sha1, Sha256],
        p1_dh: &[2],
        p2_enc: &[Aes128, Aes256, Aes256Gcm16],
        p2_integ: &[Sha1, Sha256],
        pfs: &[2, 14, 24],
        pfs_optional: true,
        p1_life: Life::Fixed(28_800),
        p2_life: Life::Fixed(27_000),
        dpd_timeout: Some(Life::Fixed(45)),
        src: src("[AZ-DEV] [AZ-SKU] [AZ-FAQ]"),
    },
    // Azure policy-based: IKEv1 only, no PFS, no DPD.
    Caps {
        endpoint: Endpoint::AzurePolicyBased,
        ike: IkeVersion::V1,
        p1_enc: &[Aes128, Aes256],
        p1_integ: &[Sha1, Sha256],
        p1_dh: &[2],
        p2_enc: &[Aes128, Aes256],
        p2_integ: &[Sha1, Sha256],
        pfs: &[],
        pfs_optional: true,
        p1_life: Life::Fixed(28_800),
        p2_life: Life::Fixed(3_600),
        dpd_timeout: None,
        src: src("[AZ-DEV] [AZ-FAQ]"),
    },
    // Google Cloud VPN: fixed lifetimes, PFS required, no SHA-384 in phase 2.
    Caps {
        endpoint: Endpoint::Gcp,
        ike: IkeVersion::V2,
        p1_enc: AES_ALL,
        p1_integ: SHA_ALL,
        p1_dh: &[2, 5, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 31],
        p2_enc: AES_ALL,
        p2_integ: &[Sha1, Sha256, Sha512],
        pfs: &[2, 5, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 31],
        pfs_optional: false,
        p1_life: Life::Fixed(36_000),
        p2_life: Life::Fixed(10_800),
        dpd_timeout: None,
        src: src("[GCP-CIPH] [GCP-PEER]"),
    },
    Caps {
        endpoint: Endpoint::Gcp,
        ike: IkeVersion::V1,
        p1_enc: &[Aes128],
        p1_integ: &[Sha1],
        p1_dh: &[2],
        p2_enc: &[Aes128],
        p2_integ: &[Sha1],
        pfs: &[2],
        pfs_optional: false,
        p1_life: Life::Fixed(36_600),
        p2_life: Life::Fixed(10_800),
        dpd_timeout: None,
        src: src("[GCP-CIPH]"),
    },
    // Libreswan: DH 2 removed from the build in 3.30; DH 22–24 not in stock builds. Libreswan 5
    // drops IKEv1 by default (ikev1-policy=drop), so it has no IKEv1 row.
    appliance(Endpoint::Libreswan4, IkeVersion::V2, AES_ALL, DH_LIBRESWAN, ANY_LIFE, 1, "[LS-CONN] [LS-ALG] [LS-CHG]"),
    appliance(Endpoint::Libreswan4, IkeVersion::V1, AES_CBC, DH_LIBRESWAN, ANY_LIFE, 1, "[LS-CONN] [LS-ALG]"),
    appliance(Endpoint::Libreswan5, IkeVersion::V2, AES_ALL, DH_LIBRESWAN, ANY_LIFE, 1, "[LS-CHG] [LS-SETUP] [LS-ALG]"),
    // strongSwan: explicit proposals may use any group, modp1024 included (not in its defaults).
    appliance(Endpoint::Strongswan5, IkeVersion::V2, AES_ALL, DH_WIDE, ANY_LIFE, 1, "[SS-OPT] [SS-PROP] [SS-NEWS]"),
    appliance(Endpoint::Strongswan5, IkeVersion::V1, AES_ALL, DH_WIDE, ANY_LIFE, 1, "[SS-OPT] [SS-MAN]"),
    appliance(Endpoint::Strongswan6, IkeVersion::V2, AES_ALL, DH_WIDE, ANY_LIFE, 1, "[SS-OPT] [SS-PROP] [SS-PROP-LOG]"),
    appliance(Endpoint::Strongswan6, IkeVersion::V1, AES_ALL, DH_WIDE, ANY_LIFE, 1, "[SS-OPT]"),
    // VyOS: dh-group 1 2 5 14-32, lifetimes 30–86400 s (ike and esp groups).
    appliance(Endpoint::Vyos13, IkeVersion::V2, AES_ALL, DH_WIDE, VYOS_LIFE, 2, "[VY-XML] [VY-MIG]"),
    appliance(Endpoint::Vyos13, IkeVersion::V1, AES_ALL, DH_WIDE, VYOS_LIFE, 2, "[VY-XML] [VY-MIG]"),
    appliance(Endpoint::Vyos14, IkeVersion::V2, AES_ALL, DH_WIDE, VYOS_LIFE, 2, "[VY-XML]"),
    appliance(Endpoint::Vyos14, IkeVersion::V1, AES_ALL, DH_WIDE, VYOS_LIFE, 2, "[VY-XML]"),
];

/// The capabilities of `endpoint` with IKE version `ike`, if it speaks it.
pub fn caps(endpoint: Endpoint, ike: IkeVersion) -> Option<&'static Caps> {
    CAPS.iter().find(|c| c.endpoint == endpoint && c.ike == ike)
}

/// The IKE versions `endpoint` speaks.
pub fn ike_versions(endpoint: Endpoint) -> Vec<IkeVersion> {
    [IkeVersion::V2, IkeVersion::V1].into_iter().filter(|v| caps(endpoint, *v).is_some()).collect()
}

/// An appliance software version this build generates configuration for.
#[derive(Debug, Clone, Copy)]
pub struct ApplianceVersion {
    pub software: Software,
    /// As written in the plan.
    pub version: &'static str,
    pub endpoint: Endpoint,
    /// Where people get it today.
    pub shipped_in: &'static str,
    pub src: Src,
}

pub const APPLIANCE_VERSIONS: &[ApplianceVersion] = &[
    ApplianceVersion {
        software: Software::Libreswan,
        version: "4",
        endpoint: Endpoint::Libreswan4,
        shipped_in: "Debian 12, Ubuntu 24.04",
        src: src("[LS-CHG]"),
    },
    ApplianceVersion {
        software: Software::Libreswan,
        version: "5",
        endpoint: Endpoint::Libreswan5,
        shipped_in: "Debian 13",
        src: src("[LS-CHG]"),
    },
    ApplianceVersion {
        software: Software::Strongswan,
        version: "5",
        endpoint: Endpoint::Strongswan5,
        shipped_in: "Debian 12, Ubuntu 24.04",
        src: src("[SS-NEWS]"),
    },
    ApplianceVersion {
        software: Software::Strongswan,
        version: "6",
        endpoint: Endpoint::Strongswan6,
        shipped_in: "Debian 13",
        src: src("[SS-NEWS]"),
    },
    ApplianceVersion {
        software: Software::Vyos,
        version: "1.3",
        endpoint: Endpoint::Vyos13,
        shipped_in: "VyOS 1.3 equuleus",
        src: src("[VY-MIG]"),
    },
    ApplianceVersion {
        software: Software::Vyos,
        version: "1.4",
        endpoint: Endpoint::Vyos14,
        shipped_in: "VyOS 1.4 sagitta",
        src: src("[VY-XML]"),
    },
    ApplianceVersion {
        software: Software::Vyos,
        version: "1.5",
        endpoint: Endpoint::Vyos14,
        shipped_in: "VyOS 1.5 circinus and rolling",
        src: src("[VY-XML]"),
    },
];

/// The versions known for a software, for messages and the wizard's choices.
pub fn versions_of(software: Software) -> impl Iterator<Item = &'static ApplianceVersion> {
    APPLIANCE_VERSIONS.iter().filter(move |v| v.software == software)
}

/// The recommended profile: the first entry of each list that both ends accept.
pub struct Preference {
    pub ike: &'static [IkeVersion],
    pub p1_enc: &'static [Encryption],
    pub p1_integ: &'static [Integrity],
    pub dh: &'static [u8],
    pub p2_enc: &'static [Encryption],
    pub p2_integ: &'static [Integrity],
    /// Phase 1 lifetime when both ends can choose.
    pub p1_life: u32,
    /// Phase 2 lifetime when both ends can choose (AWS allows at most 3600 s).
    pub p2_life: u32,
    pub dpd_timeout: u32,
    pub dpd_interval: u32,
    pub src: Src,
}

pub const PREFERENCE: Preference = Preference {
    ike: &[IkeVersion::V2, IkeVersion::V1],
    p1_enc: &[Aes256, Aes128, Aes256Gcm16, Aes128Gcm16, Aes192],
    p1_integ: &[Sha256, Sha384, Sha512, Sha1],
    // ECP groups first, then MODP 2048+; weak groups only as a last resort (flagged).
    dh: &[20, 19, 14, 21, 15, 16, 31, 18, 17, 24, 23, 5, 22, 2],
    p2_enc: &[Aes256, Aes256Gcm16, Aes128, Aes128Gcm16, Aes192],
    p2_integ: &[Sha256, Sha512, Sha384, Sha1],
    p1_life: 28_800,
    p2_life: 3_600,
    dpd_timeout: 30,
    dpd_interval: 10,
    src: src("[AWS-UG-TUN] [AZ-DEV] [GCP-CIPH] (§7 safe common set)"),
};

/// Security strength (bits) of a DH group, for "nearest choice" suggestions.
pub fn dh_strength(group: u8) -> u32 {
    match group {
        1 => 70,
        2 | 22 => 80,
        5 => 90,
        14 | 23 | 24 => 112,
        15 | 19 | 31 => 128,
        16 => 152,
        17 => 168,
        18 | 20 => 192,
        21 => 256,
        _ => 0,
    }
}

/// A DH group's everyday name (the RFC names as strongSwan spells them), or `None` for a group
/// no platform here offers. strongSwan's proposals use these names as they are
/// ([`super::dialects::dh_group`]).
pub fn dh_name(group: u8) -> Option<&'static str> {
    Some(match group {
        1 => "modp768",
        2 => "modp1024",
        5 => "modp1536",
        14 => "modp2048",
        15 => "modp3072",
        16 => "modp4096",
        17 => "modp6144",
        18 => "modp8192",
        19 => "ecp256",
        20 => "ecp384",
        21 => "ecp521",
        22 => "modp1024s160",
        23 => "modp2048s224",
        24 => "modp2048s256",
        31 => "curve25519",
        _ => return None,
    })
}

/// A DH group's everyday name, with its number: "DH 14 (modp2048)".
pub fn dh_label(group: u8) -> String {
    format!("DH {group} ({})", dh_name(group).unwrap_or("unknown"))
}

/// Choices that work but that a careful engineer replaces.
pub struct Weak {
    pub what: &'static str,
    pub why: &'static str,
    pub src: Src,
}

/// DH groups considered weak (RFC 8247 MUST NOT / SHOULD NOT).
pub const WEAK_DH: &[(u8, Weak)] = &[
    (1, Weak { what: "DH 1", why: "768-bit MODP is broken", src: src("[LS-CHG] [SS-NEWS]") }),
    (
        2,
        Weak {
            what: "DH 2",
            why: "1024-bit MODP: removed from Libreswan since 3.30 and from strongSwan's defaults (RFC 8247)",
            src: src("[LS-CHG] [SS-NEWS] [AZ-CRYPTO]"),
        },
    ),
    (5, Weak { what: "DH 5", why: "1536-bit MODP is below current guidance (RFC 8247)", src: src("[LS-CHG]") }),
    (22, Weak { what: "DH 22", why: "1024-bit MODP with 160-bit subgroup (RFC 8247 MUST NOT)", src: src("[LS-ALG]") }),
];

/// Integrity algorithms considered weak.
pub const WEAK_INTEGRITY: &[(Integrity, Weak)] = &[(
    Integrity::Sha1,
    Weak {
        what: "SHA-1",
        why: "SHA-1 is deprecated for IKE and ESP integrity; every platform here offers SHA2-256",
        src: src("[AZ-CRYPTO] [AWS-UG-CGW]"),
    },
)];

/// IKEv1 is deprecated (RFC 9395) and dropped by default in Libreswan 5.
pub const WEAK_IKEV1: Weak = Weak {
    what: "IKEv1",
    why: "IKEv1 is deprecated (RFC 9395): Libreswan 5 drops it by default, Azure IKEv1 tunnels drop for up to 5 s at every rekey",
    src: src("[LS-CHG] [AZ-FAQ]"),
};
