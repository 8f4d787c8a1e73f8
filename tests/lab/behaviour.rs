//! What each emulated gateway does that its cloud's API does not hold: the platforms' documented
//! behaviour, written once as data, each row with its sources (keys of
//! `/work/shared/reference/ike-facts.md` §11 or `docs/kb-sources.md`). The emulator reads these
//! rows and the stand-in world, never the generator's resolved values.

/// The kinds of gateway the lab emulates (appliances run their own generated configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    AwsVgw,
    AzureGateway,
    /// A policy-based Azure gateway (Basic SKU): IKEv1, one tunnel, prefix traffic selectors.
    AzurePolicyBased,
    GcpHaVpn,
    /// VyOS cannot run here: emulated from its generated `set` commands.
    Vyos,
}

/// One platform's behaviour, as the lab emulates it.
pub struct Behaviour {
    pub kind: Kind,
    /// Which address each instance speaks IKE from.
    pub ike_from: &'static str,
    /// Whether the gateway starts IKE itself (otherwise it waits for the peer).
    pub initiates_ike: Initiates,
    /// Whether it opens BGP sessions itself, per kind of peer address.
    pub initiates_bgp: BgpInitiation,
    /// Which BGP peer addresses it accepts.
    pub accepts_bgp_from: &'static str,
    /// Whether it re-advertises routes learned from one BGP peer to another (transit).
    pub transit: bool,
    /// Proposals when the resource holds none (strongSwan syntax, IKE; ESP).
    pub default_ike: &'static str,
    pub default_esp: &'static str,
    /// Fixed IKE SA and Child SA lifetimes (seconds) when the resource holds none.
    pub ike_lifetime: u32,
    pub child_lifetime: u32,
    /// The IKE version it speaks when the resource does not say (0: the resource decides).
    pub ike_version: u8,
    /// Its traffic selectors: 0.0.0.0/0 both ways (route-based), or every combination of its
    /// network's prefixes with the peer's (policy-based), one Child SA each.
    pub selectors: Selectors,
    pub sources: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selectors {
    AnyToAny,
    /// Local: the network's address prefixes; remote: the peer's (the local network gateway's).
    PrefixPairs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiates {
    Always,
    /// As the resource says (AWS `StartupAction`; VyOS `connection-type`).
    AsConfigured,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BgpInitiation {
    Always,
    /// Never toward a peer in 169.254.0.0/16 (APIPA); otherwise yes.
    NotToApipa,
}

pub const TABLE: &[Behaviour] = &[
    Behaviour {
        kind: Kind::AwsVgw,
        ike_from: "each tunnel's OutsideIpAddress, one endpoint per tunnel; inside address: the first host of TunnelInsideCidr",
        initiates_ike: Initiates::AsConfigured,
        initiates_bgp: BgpInitiation::Always,
        accepts_bgp_from: "the second host of the tunnel's TunnelInsideCidr, with the customer gateway's BgpAsn",
        transit: true,
        default_ike: "aes128-aes256-sha1-sha256-sha384-sha512-modp1024-modp2048-modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-ecp521-modp1024s160-modp2048s224-modp2048s256,aes128gcm16-aes256gcm16-prfsha1-prfsha256-prfsha384-prfsha512-modp1024-modp2048-modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-ecp521-modp1024s160-modp2048s224-modp2048s256",
        default_esp: "aes128-aes256-sha1-sha256-sha384-sha512-modp1024-modp1536-modp2048-modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-ecp521-modp1024s160-modp2048s224-modp2048s256-noesn,aes128gcm16-aes256gcm16-modp1024-modp1536-modp2048-modp3072-modp4096-modp6144-modp8192-ecp256-ecp384-ecp521-modp1024s160-modp2048s224-modp2048s256-noesn",
        ike_lifetime: 28800,
        child_lifetime: 3600,
        ike_version: 0,
        selectors: Selectors::AnyToAny,
        sources: &["[AWS-UG-TUN]", "[AWS-UG-INIT]", "[AWS-API]", "[AWS-CLOUDHUB]", "[AWS-UG-CGW]"],
    },
    Behaviour {
        kind: Kind::AzureGateway,
        ike_from: "instance i: the gateway's i-th public IP; BGP from the connection's gatewayCustomBgpIpAddresses entry for ipConfiguration i, else the instance's customBgpIpAddresses; a VNet-to-VNet connection: to every public IP of the other gateway, BGP between the gateways' defaultBgpIpAddresses (their GatewaySubnet addresses), both sides opening it",
        initiates_ike: Initiates::Always,
        initiates_bgp: BgpInitiation::NotToApipa,
        accepts_bgp_from: "exactly the local network gateway's bgpPeeringAddress, with its ASN",
        transit: true,
        default_ike: "aes256-sha1-modp1024,aes256-sha256-modp1024,aes128-sha1-modp1024,aes128-sha256-modp1024,3des-sha1-modp1024,3des-sha256-modp1024",
        default_esp: "aes256gcm16-noesn,aes256-sha1-noesn,3des-sha1-noesn,aes256-sha256-noesn,aes128-sha1-noesn,3des-sha256-noesn",
        ike_lifetime: 28800,
        child_lifetime: 27000,
        ike_version: 2,
        selectors: Selectors::AnyToAny,
        sources: &["[AZ-DEV]", "[AZ-ALG]", "[AZ-FAQ]", "[AZ-BGP]", "[AZ-BGP-APIPA]", "[AZ-AWS-BGP]", "[AZ-ARM]", "[AZ-FAQ-BGP]", "[AZ-V2V]"],
    },
    // A policy-based gateway (Basic SKU only): IKEv1, one tunnel, no BGP, no custom IPsec policy,
    // no DPD [AZ-FAQ] [AZ-SKU]; its default main-mode offers and the 3,600 s quick-mode lifetime of
    // the policy-based column [AZ-DEV]; its selectors the combinations of the VNet's prefixes with
    // the local network gateway's [AZ-PBTS], which it proposes when it initiates, while it accepts
    // what the peer proposes [AZ-FAQ].
    Behaviour {
        kind: Kind::AzurePolicyBased,
        ike_from: "the gateway's one public IP (one instance active); one tunnel per connection",
        initiates_ike: Initiates::Always,
        initiates_bgp: BgpInitiation::NotToApipa,
        accepts_bgp_from: "none: a policy-based gateway has no BGP",
        transit: false,
        default_ike: "aes256-sha256-modp1024,aes256-sha1-modp1024,aes128-sha1-modp1024,3des-sha1-modp1024",
        default_esp: "aes256gcm16-noesn,aes256-sha1-noesn,3des-sha1-noesn,aes256-sha256-noesn,aes128-sha1-noesn,3des-sha256-noesn",
        ike_lifetime: 28800,
        child_lifetime: 3600,
        ike_version: 1,
        selectors: Selectors::PrefixPairs,
        sources: &["[AZ-DEV]", "[AZ-FAQ]", "[AZ-SKU]", "[AZ-PBTS]"],
    },
    Behaviour {
        kind: Kind::GcpHaVpn,
        ike_from: "the HA VPN gateway's interface the tunnel names (--interface); BGP from the Cloud Router interface linked to the tunnel",
        initiates_ike: Initiates::Always,
        initiates_bgp: BgpInitiation::Always,
        accepts_bgp_from: "the BGP peer's peerIpAddress on the router interface linked to the tunnel, with its peerAsn",
        transit: false,
        default_ike: "aes128gcm16-aes256gcm16-aes192gcm16-prfsha1-prfsha256-prfsha384-prfsha512-prfaesxcbc-prfaescmac-modp2048-modp2048s224-modp2048s256-modp1536-modp3072-modp4096-modp8192-modp1024-modp1024s160-ecp256-ecp384-ecp521-curve25519,aes128-aes192-aes256-3des-sha1-sha256-sha384-sha512-aesxcbc-aescmac-md5-modp2048-modp2048s224-modp2048s256-modp1536-modp3072-modp4096-modp8192-modp1024-modp1024s160-ecp256-ecp384-ecp521-curve25519",
        default_esp: "aes128gcm16-aes256gcm16-aes192gcm16-modp2048-modp2048s224-modp2048s256-modp1536-modp3072-modp4096-modp8192-modp1024-modp1024s160-ecp256-ecp384-ecp521-curve25519-noesn,aes128-aes256-aes192-sha256-sha512-sha1-modp2048-modp2048s224-modp2048s256-modp1536-modp3072-modp4096-modp8192-modp1024-modp1024s160-ecp256-ecp384-ecp521-curve25519-noesn",
        ike_lifetime: 36000,
        child_lifetime: 10800,
        ike_version: 0,
        selectors: Selectors::AnyToAny,
        sources: &["[GCP-CIPH]", "[GCP-KEY]", "[GCP-PEER]", "[GCLOUD-TUN]", "[GCLOUD-RTR]", "[GCP-BGP]", "[GCP-HA-TS]"],
    },
    Behaviour {
        kind: Kind::Vyos,
        ike_from: "site-to-site peer local-address (NAT to the site's public address on a cloud VM); BGP from the vti interface's address",
        initiates_ike: Initiates::AsConfigured,
        initiates_bgp: BgpInitiation::Always,
        accepts_bgp_from: "the neighbors of `protocols bgp`",
        transit: true,
        default_ike: "",
        default_esp: "",
        ike_lifetime: 28800,
        child_lifetime: 3600,
        ike_version: 0,
        selectors: Selectors::AnyToAny,
        sources: &["[VY-XML]", "[VY-MIG]", "[VY-SMOKE]"],
    },
];

pub fn of(kind: Kind) -> &'static Behaviour {
    TABLE.iter().find(|b| b.kind == kind).expect("every kind has a row")
}

/// strongSwan names of the IKE/ESP algorithms the clouds' APIs use (AWS TunnelOptions, Azure
/// IPsec policies, VyOS proposals, Google's cipher flags). `None`: not a name the lab knows,
/// reported as such.
pub fn algorithm(name: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        // AWS TunnelOptions [AWS-UG-TUN]
        ("AES128", "aes128"),
        ("AES256", "aes256"),
        ("AES128-GCM-16", "aes128gcm16"),
        ("AES256-GCM-16", "aes256gcm16"),
        ("SHA1", "sha1"),
        ("SHA2-256", "sha256"),
        ("SHA2-384", "sha384"),
        ("SHA2-512", "sha512"),
        // Azure IPsec policy [AZ-ALG]
        ("AES192", "aes192"),
        ("GCMAES128", "aes128gcm16"),
        ("GCMAES192", "aes192gcm16"),
        ("GCMAES256", "aes256gcm16"),
        ("DES3", "3des"),
        ("SHA256", "sha256"),
        ("SHA384", "sha384"),
        ("DHGroup14", "modp2048"),
        ("DHGroup2048", "modp2048"),
        ("DHGroup2", "modp1024"),
        ("DHGroup24", "modp2048s256"),
        ("ECP256", "ecp256"),
        ("ECP384", "ecp384"),
        ("PFS2048", "modp2048"),
        ("PFS2", "modp1024"),
        ("PFS14", "modp2048"),
        ("PFS24", "modp2048s256"),
        // Google Cloud's cipher names, as `gcloud compute vpn-tunnels create --phase1-*` /
        // `--phase2-*` take them [GCP-CIPH]
        ("AES-CBC-128", "aes128"),
        ("AES-CBC-192", "aes192"),
        ("AES-CBC-256", "aes256"),
        ("AES-GCM-16-128", "aes128gcm16"),
        ("AES-GCM-16-192", "aes192gcm16"),
        ("AES-GCM-16-256", "aes256gcm16"),
        ("HMAC-SHA1-96", "sha1"),
        ("HMAC-SHA2-256-128", "sha256"),
        ("HMAC-SHA2-384-192", "sha384"),
        ("HMAC-SHA2-512-256", "sha512"),
        ("PRF-HMAC-SHA1", "prfsha1"),
        ("PRF-HMAC-SHA2-256", "prfsha256"),
        ("PRF-HMAC-SHA2-384", "prfsha384"),
        ("PRF-HMAC-SHA2-512", "prfsha512"),
        ("Group-2", "modp1024"),
        ("Group-5", "modp1536"),
        ("Group-14", "modp2048"),
        ("Group-15", "modp3072"),
        ("Group-16", "modp4096"),
        ("Group-18", "modp8192"),
        ("Group-19", "ecp256"),
        ("Group-20", "ecp384"),
        ("Group-21", "ecp521"),
        ("Group-31", "curve25519"),
        ("modp-1024-160", "modp1024s160"),
        ("modp-2048-224", "modp2048s224"),
        ("modp-2048-256", "modp2048s256"),
        // VyOS / strongSwan spellings [VY-XML]
        ("aes128", "aes128"),
        ("aes256", "aes256"),
        ("aes128gcm128", "aes128gcm16"),
        ("aes256gcm128", "aes256gcm16"),
        ("sha1", "sha1"),
        ("sha256", "sha256"),
        ("sha384", "sha384"),
        ("sha512", "sha512"),
    ];
    NAMES.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// strongSwan's name of a DH group number (AWS Phase*DHGroupNumbers, VyOS dh-group): strongSwan's
/// own keywords [SS-PROP], as the knowledge base holds them.
pub fn dh_group(n: u32) -> Option<&'static str> {
    use tunnelsmith::kb::dialects::{dh_group, Dialect};
    u8::try_from(n).ok().and_then(|g| dh_group(Dialect::Strongswan, g))
}

/// Timers of the emulated BGP speakers: short, because the documented timers (Azure 60/180,
/// AWS 10/30, Google 20/60) decide nothing the lab asserts and would make every run minutes long.
pub const BGP_KEEPALIVE: u32 = 1;
pub const BGP_HOLD: u32 = 3;
