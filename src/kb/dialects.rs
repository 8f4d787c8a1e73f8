//! How each platform spells one algorithm choice (ike-facts §0, the algorithm name map).
//! Renderers translate the resolved profile through these tables only.

use super::crypto::{dh_name, Endpoint};
use super::{src, Src};
use crate::plan::{Encryption, Integrity};

/// A configuration dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// AWS `TunnelOptions` values.
    Aws,
    /// Azure IPsec/IKE policy values (`az network vpn-connection ipsec-policy add`).
    Azure,
    /// Google Cloud cipher names (`gcloud compute vpn-tunnels create --phase1-*`).
    Gcp,
    /// Libreswan `ike=` / `esp=`.
    Libreswan,
    /// strongSwan proposals (swanctl.conf, ipsec.conf).
    Strongswan,
    /// VyOS `set vpn ipsec` values.
    Vyos,
}

impl Dialect {
    /// The dialect an endpoint is configured in.
    pub fn of(e: Endpoint) -> Dialect {
        match e {
            Endpoint::Aws => Dialect::Aws,
            Endpoint::AzureRouteBased | Endpoint::AzureBasic | Endpoint::AzurePolicyBased => Dialect::Azure,
            Endpoint::Gcp => Dialect::Gcp,
            Endpoint::Libreswan4 | Endpoint::Libreswan5 => Dialect::Libreswan,
            Endpoint::Strongswan5 | Endpoint::Strongswan6 => Dialect::Strongswan,
            Endpoint::Vyos13 | Endpoint::Vyos14 => Dialect::Vyos,
        }
    }
}

pub const SRC: Src = src("[AWS-UG-TUN] [AZ-ALG] [AZ-DH] [GCP-CIPH] [LS-ALG] [SS-PROP] [VY-XML]");

/// Encryption algorithm name.
pub fn encryption(d: Dialect, e: Encryption) -> Option<&'static str> {
    use Encryption::*;
    Some(match (d, e) {
        (Dialect::Aws, Aes128) => "AES128",
        (Dialect::Aws, Aes256) => "AES256",
        (Dialect::Aws, Aes128Gcm16) => "AES128-GCM-16",
        (Dialect::Aws, Aes256Gcm16) => "AES256-GCM-16",
        (Dialect::Aws, Aes192) => return None,
        (Dialect::Azure, Aes128) => "AES128",
        (Dialect::Azure, Aes192) => "AES192",
        (Dialect::Azure, Aes256) => "AES256",
        (Dialect::Azure, Aes128Gcm16) => "GCMAES128",
        (Dialect::Azure, Aes256Gcm16) => "GCMAES256",
        (Dialect::Gcp, Aes128) => "AES-CBC-128",
        (Dialect::Gcp, Aes192) => "AES-CBC-192",
        (Dialect::Gcp, Aes256) => "AES-CBC-256",
        (Dialect::Gcp, Aes128Gcm16) => "AES-GCM-16-128",
        (Dialect::Gcp, Aes256Gcm16) => "AES-GCM-16-256",
        (Dialect::Libreswan, Aes128) => "aes128",
        (Dialect::Libreswan, Aes192) => "aes192",
        (Dialect::Libreswan, Aes256) => "aes256",
        (Dialect::Libreswan, Aes128Gcm16) => "aes_gcm128",
        (Dialect::Libreswan, Aes256Gcm16) => "aes_gcm256",
        (Dialect::Strongswan, Aes128) => "aes128",
        (Dialect::Strongswan, Aes192) => "aes192",
        (Dialect::Strongswan, Aes256) => "aes256",
        (Dialect::Strongswan, Aes128Gcm16) => "aes128gcm16",
        (Dialect::Strongswan, Aes256Gcm16) => "aes256gcm16",
        (Dialect::Vyos, Aes128) => "aes128",
        (Dialect::Vyos, Aes192) => "aes192",
        (Dialect::Vyos, Aes256) => "aes256",
        (Dialect::Vyos, Aes128Gcm16) => "aes128gcm128",
        (Dialect::Vyos, Aes256Gcm16) => "aes256gcm128",
    })
}

/// Integrity (and, in phase 1, PRF) algorithm name.
pub fn integrity(d: Dialect, i: Integrity) -> Option<&'static str> {
    use Integrity::*;
    Some(match (d, i) {
        (Dialect::Aws, Sha1) => "SHA1",
        (Dialect::Aws, Sha256) => "SHA2-256",
        (Dialect::Aws, Sha384) => "SHA2-384",
        (Dialect::Aws, Sha512) => "SHA2-512",
        (Dialect::Azure, Sha1) => "SHA1",
        (Dialect::Azure, Sha256) => "SHA256",
        (Dialect::Azure, Sha384) => "SHA384",
        (Dialect::Azure, Sha512) => return None,
        (Dialect::Gcp, Sha1) => "HMAC-SHA1-96",
        (Dialect::Gcp, Sha256) => "HMAC-SHA2-256-128",
        (Dialect::Gcp, Sha384) => "HMAC-SHA2-384-192",
        (Dialect::Gcp, Sha512) => "HMAC-SHA2-512-256",
        (Dialect::Libreswan, Sha1) => "sha1",
        (Dialect::Libreswan, Sha256) => "sha2_256",
        (Dialect::Libreswan, Sha384) => "sha2_384",
        (Dialect::Libreswan, Sha512) => "sha2_512",
        (Dialect::Strongswan | Dialect::Vyos, Sha1) => "sha1",
        (Dialect::Strongswan | Dialect::Vyos, Sha256) => "sha256",
        (Dialect::Strongswan | Dialect::Vyos, Sha384) => "sha384",
        (Dialect::Strongswan | Dialect::Vyos, Sha512) => "sha512",
    })
}

/// Google Cloud's PRF name for a phase 1 integrity choice.
pub fn gcp_prf(i: Integrity) -> &'static str {
    match i {
        Integrity::Sha1 => "PRF-HMAC-SHA1",
        Integrity::Sha256 => "PRF-HMAC-SHA2-256",
        Integrity::Sha384 => "PRF-HMAC-SHA2-384",
        Integrity::Sha512 => "PRF-HMAC-SHA2-512",
    }
}

/// strongSwan's PRF name for a phase 1 integrity choice (needed with AEAD ciphers).
pub fn strongswan_prf(i: Integrity) -> &'static str {
    match i {
        Integrity::Sha1 => "prfsha1",
        Integrity::Sha256 => "prfsha256",
        Integrity::Sha384 => "prfsha384",
        Integrity::Sha512 => "prfsha512",
    }
}

/// Phase 1 Diffie-Hellman group name.
pub fn dh_group(d: Dialect, g: u8) -> Option<&'static str> {
    Some(match d {
        Dialect::Aws | Dialect::Vyos => NUMBERS.iter().find(|(n, _)| *n == g)?.1,
        Dialect::Azure => match g {
            1 => "DHGroup1",
            2 => "DHGroup2",
            14 => "DHGroup14",
            19 => "ECP256",
            20 => "ECP384",
            24 => "DHGroup24",
            _ => return None,
        },
        Dialect::Gcp => match g {
            2 => "Group-2",
            5 => "Group-5",
            14 => "Group-14",
            15 => "Group-15",
            16 => "Group-16",
            18 => "Group-18",
            19 => "Group-19",
            20 => "Group-20",
            21 => "Group-21",
            22 => "modp-1024-160",
            23 => "modp-2048-224",
            24 => "modp-2048-256",
            31 => "Group-31",
            _ => return None,
        },
        Dialect::Libreswan => match g {
            5 | 14..=18 => dh_name(g)?,
            19 => "dh19",
            20 => "dh20",
            21 => "dh21",
            31 => "dh31",
            _ => return None,
        },
        Dialect::Strongswan => dh_name(g)?,
    })
}

/// PFS group name (`None` group: no PFS). Azure and VyOS spell PFS differently from phase 1.
pub fn pfs_group(d: Dialect, g: Option<u8>) -> Option<&'static str> {
    match (d, g) {
        (Dialect::Azure, None) => Some("None"),
        (Dialect::Azure, Some(g)) => Some(match g {
            1 => "PFS1",
            2 => "PFS2",
            14 => "PFS2048",
            19 => "ECP256",
            20 => "ECP384",
            24 => "PFS24",
            _ => return None,
        }),
        (Dialect::Vyos, None) => Some("disable"),
        (Dialect::Vyos, Some(g)) => VYOS_PFS.iter().find(|(n, _)| *n == g).map(|(_, s)| *s),
        (_, None) => None,
        (d, Some(g)) => dh_group(d, g),
    }
}

const NUMBERS: &[(u8, &str)] = &[
    (1, "1"),
    (2, "2"),
    (5, "5"),
    (14, "14"),
    (15, "15"),
    (16, "16"),
    (17, "17"),
    (18, "18"),
    (19, "19"),
    (20, "20"),
    (21, "21"),
    (22, "22"),
    (23, "23"),
    (24, "24"),
    (31, "31"),
];

const VYOS_PFS: &[(u8, &str)] = &[
    (1, "dh-group1"),
    (2, "dh-group2"),
    (5, "dh-group5"),
    (14, "dh-group14"),
    (15, "dh-group15"),
    (16, "dh-group16"),
    (17, "dh-group17"),
    (18, "dh-group18"),
    (19, "dh-group19"),
    (20, "dh-group20"),
    (21, "dh-group21"),
    (22, "dh-group22"),
    (23, "dh-group23"),
    (24, "dh-group24"),
    (31, "dh-group31"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::crypto::CAPS;

    /// Every value an endpoint accepts has a name in its dialect: a renderer can never meet a
    /// negotiated value it cannot write.
    #[test]
    fn every_accepted_value_has_a_name_in_the_endpoints_dialect() {
        for c in CAPS {
            let d = Dialect::of(c.endpoint);
            for e in c.p1_enc.iter().chain(c.p2_enc) {
                assert!(encryption(d, *e).is_some(), "{:?} {e:?}", c.endpoint);
            }
            for i in c.p1_integ.iter().chain(c.p2_integ) {
                assert!(integrity(d, *i).is_some(), "{:?} {i:?}", c.endpoint);
            }
            for g in c.p1_dh {
                assert!(dh_group(d, *g).is_some(), "{:?} DH {g}", c.endpoint);
            }
            for g in c.pfs {
                assert!(pfs_group(d, Some(*g)).is_some(), "{:?} PFS {g}", c.endpoint);
            }
            if c.pfs_optional && matches!(d, Dialect::Azure | Dialect::Vyos) {
                assert!(pfs_group(d, None).is_some());
            }
        }
    }

    #[test]
    fn spellings_follow_the_name_map() {
        assert_eq!(encryption(Dialect::Gcp, Encryption::Aes256Gcm16), Some("AES-GCM-16-256"));
        assert_eq!(pfs_group(Dialect::Azure, Some(14)), Some("PFS2048"));
        assert_eq!(dh_group(Dialect::Azure, 14), Some("DHGroup14"));
        assert_eq!(dh_group(Dialect::Libreswan, 2), None, "Libreswan has no DH 2 since 3.30");
        assert_eq!(pfs_group(Dialect::Vyos, Some(20)), Some("dh-group20"));
        assert_eq!(integrity(Dialect::Libreswan, Integrity::Sha256), Some("sha2_256"));
    }
}
