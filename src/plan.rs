//! The plan: what the user chose, as a versioned serde model (`"version": 1`).
//!
//! This layer only parses and describes. Text the user typed (CIDRs, names, IPs) is kept
//! exactly as typed so the wizard never silently changes input; `check` validates it and
//! `resolve` normalises it. The format is documented in `docs/plan-format.md`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The only plan format version this build reads and writes.
pub const PLAN_VERSION: u32 = 1;

/// A whole multi-site VPN plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Format version; always [`PLAN_VERSION`].
    pub version: u32,
    /// Short lowercase name; prefixes every resource name and is the tag/label that
    /// teardown looks for.
    pub name: String,
    /// Free text shown in the runbook.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// 2 to 8 sites.
    pub sites: Vec<Site>,
    /// Tunnelled links between pairs of sites.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Whether pairs of sites left without a link are meant to be (absent: a full mesh is meant,
    /// and every missing pair is warned about).
    #[serde(default, skip_serializing_if = "Topology::is_full_mesh")]
    pub topology: Topology,
}

/// What the user means the links to form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Every pair of sites that must talk has its own link; a missing pair is a warning.
    #[default]
    FullMesh,
    /// Pairs left unlinked are intended (their traffic goes through a hub, or they need not talk):
    /// what a missing pair means is still said, as information, not as a warning.
    HubAndSpoke,
}

impl Topology {
    pub fn is_full_mesh(&self) -> bool {
        *self == Topology::FullMesh
    }
}

/// Where a site lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// An AWS VPC.
    Aws,
    /// An Azure virtual network.
    Azure,
    /// A Google Cloud VPC network.
    Gcp,
    /// A self-managed site (data centre, office, another provider) with an appliance.
    Onprem,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Aws, Platform::Azure, Platform::Gcp, Platform::Onprem];

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Aws => "AWS",
            Platform::Azure => "Azure",
            Platform::Gcp => "Google Cloud",
            Platform::Onprem => "self-managed",
        }
    }

    /// What the network is called on this platform.
    pub fn network_noun(self) -> &'static str {
        match self {
            Platform::Aws => "VPC",
            Platform::Azure => "VNet",
            Platform::Gcp => "VPC network",
            Platform::Onprem => "network",
        }
    }

    /// Where an appliance runs on this platform.
    pub fn appliance_host(self) -> &'static str {
        match self {
            Platform::Aws => "EC2 instance",
            Platform::Azure => "Azure VM",
            Platform::Gcp => "Compute Engine VM",
            Platform::Onprem => "on-premises host",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One network joined by the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Short lowercase name, unique in the plan.
    pub name: String,
    pub platform: Platform,
    /// Cloud region (`us-east-1`, `westeurope`, `us-east1`); for a self-managed site a
    /// free label such as `fra-dc1`.
    #[serde(default)]
    pub region: String,
    /// The site's address spaces as typed, e.g. `10.1.0.0/16`.
    pub address_spaces: Vec<String>,
    /// Subnets inside the address spaces.
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    /// Create the network, or use one that exists.
    #[serde(default)]
    pub network: Network,
    pub gateway: Gateway,
}

/// A subnet of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub name: String,
    pub cidr: String,
}

/// Whether the scripts create the network or use an existing one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", try_from = "wire::NetworkRepr")]
pub enum Network {
    /// The scripts create the VPC/VNet/network and its subnets.
    #[default]
    New,
    /// Use an existing network: AWS `vpc-…` ID, Azure VNet name, Google Cloud network name.
    Existing {
        id: String,
        /// Azure only: the resource group that holds the VNet.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        resource_group: String,
    },
}

/// The VPN gateway of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "wire::GatewayRepr")]
pub enum Gateway {
    /// AWS virtual private gateway.
    AwsVgw {
        /// Amazon-side ASN; default 64512.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
    },
    /// AWS transit gateway.
    AwsTgw {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
    },
    /// Azure virtual network gateway (type Vpn).
    AzureVpnGateway {
        /// SKU name as Azure spells it, e.g. `VpnGw1AZ`.
        sku: String,
        #[serde(default)]
        active_active: bool,
        /// Route-based (default) or policy-based.
        #[serde(default)]
        vpn_type: AzureVpnType,
        /// Gateway ASN; default 65515.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
    },
    /// Google Cloud HA VPN gateway with a Cloud Router.
    GcpHaVpn {
        /// Cloud Router ASN.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
    },
    /// Google Cloud Classic VPN (deprecated; kept so old plans get a clear finding).
    GcpClassicVpn {},
    /// A software gateway: Libreswan, strongSwan or VyOS on a VM or on premises.
    Appliance {
        software: Software,
        /// Major version: Libreswan `4`/`5`, strongSwan `5`/`6`, VyOS `1.3`/`1.4`/`1.5`.
        version: String,
        /// Public (elastic) IP if known; required on premises.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        public_ip: String,
        /// Private IP of the appliance's interface, if known.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        private_ip: String,
        /// BGP ASN of the appliance (FRR or VyOS); default 65000 and up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asn: Option<u32>,
    },
}

/// The kind of a gateway, without its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    AwsVgw,
    AwsTgw,
    AzureVpnGateway,
    GcpHaVpn,
    GcpClassicVpn,
    Appliance,
}

impl GatewayKind {
    pub fn label(self) -> &'static str {
        match self {
            GatewayKind::AwsVgw => "AWS virtual private gateway",
            GatewayKind::AwsTgw => "AWS transit gateway",
            GatewayKind::AzureVpnGateway => "Azure VPN gateway",
            GatewayKind::GcpHaVpn => "Google Cloud HA VPN",
            GatewayKind::GcpClassicVpn => "Google Cloud Classic VPN",
            GatewayKind::Appliance => "appliance",
        }
    }

    /// The platform a gateway of this kind belongs to (`None`: any, i.e. appliances).
    pub fn platform(self) -> Option<Platform> {
        match self {
            GatewayKind::AwsVgw | GatewayKind::AwsTgw => Some(Platform::Aws),
            GatewayKind::AzureVpnGateway => Some(Platform::Azure),
            GatewayKind::GcpHaVpn | GatewayKind::GcpClassicVpn => Some(Platform::Gcp),
            GatewayKind::Appliance => None,
        }
    }
}

impl Gateway {
    pub fn kind(&self) -> GatewayKind {
        match self {
            Gateway::AwsVgw { .. } => GatewayKind::AwsVgw,
            Gateway::AwsTgw { .. } => GatewayKind::AwsTgw,
            Gateway::AzureVpnGateway { .. } => GatewayKind::AzureVpnGateway,
            Gateway::GcpHaVpn { .. } => GatewayKind::GcpHaVpn,
            Gateway::GcpClassicVpn {} => GatewayKind::GcpClassicVpn,
            Gateway::Appliance { .. } => GatewayKind::Appliance,
        }
    }

    /// The ASN the user set, if any.
    pub fn asn(&self) -> Option<u32> {
        match self {
            Gateway::AwsVgw { asn }
            | Gateway::AwsTgw { asn }
            | Gateway::AzureVpnGateway { asn, .. }
            | Gateway::GcpHaVpn { asn }
            | Gateway::Appliance { asn, .. } => *asn,
            Gateway::GcpClassicVpn {} => None,
        }
    }
}

/// Azure gateway VPN type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AzureVpnType {
    #[default]
    RouteBased,
    PolicyBased,
}

/// Appliance software.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Software {
    Libreswan,
    Strongswan,
    Vyos,
}

impl Software {
    pub const ALL: [Software; 3] = [Software::Libreswan, Software::Strongswan, Software::Vyos];

    pub fn label(self) -> &'static str {
        match self {
            Software::Libreswan => "Libreswan",
            Software::Strongswan => "strongSwan",
            Software::Vyos => "VyOS",
        }
    }
}

/// A tunnelled link between two sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Name of one site.
    pub a: String,
    /// Name of the other site.
    pub b: String,
    #[serde(default)]
    pub routing: Routing,
    /// Number of tunnels; absent: every tunnel the two gateways can form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnels: Option<u8>,
    /// Crypto choices; every field left out takes the recommended value for the pair.
    #[serde(default, skip_serializing_if = "Crypto::is_recommended")]
    pub crypto: Crypto,
    /// Pinned tunnel inside /30s by tunnel index; `null` or absent entries are allocated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inside: Vec<Option<String>>,
}

/// Routing mode of a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Static routes to the other site's address spaces.
    #[default]
    Static,
    /// BGP over the tunnels' inside addresses.
    Bgp,
}

impl Routing {
    pub fn label(self) -> &'static str {
        match self {
            Routing::Static => "static",
            Routing::Bgp => "BGP",
        }
    }
}

/// IKE version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IkeVersion {
    #[serde(rename = "ikev1")]
    V1,
    #[serde(rename = "ikev2")]
    V2,
}

impl IkeVersion {
    pub fn label(self) -> &'static str {
        match self {
            IkeVersion::V1 => "IKEv1",
            IkeVersion::V2 => "IKEv2",
        }
    }
}

/// Encryption algorithm (phase 1 or 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    Aes128,
    Aes192,
    Aes256,
    /// AES-GCM with a 16-octet ICV, 128-bit key.
    Aes128Gcm16,
    /// AES-GCM with a 16-octet ICV, 256-bit key.
    Aes256Gcm16,
}

impl Encryption {
    pub const ALL: [Encryption; 5] =
        [Encryption::Aes128, Encryption::Aes192, Encryption::Aes256, Encryption::Aes128Gcm16, Encryption::Aes256Gcm16];

    pub fn is_aead(self) -> bool {
        matches!(self, Encryption::Aes128Gcm16 | Encryption::Aes256Gcm16)
    }

    pub fn label(self) -> &'static str {
        match self {
            Encryption::Aes128 => "AES-128-CBC",
            Encryption::Aes192 => "AES-192-CBC",
            Encryption::Aes256 => "AES-256-CBC",
            Encryption::Aes128Gcm16 => "AES-128-GCM-16",
            Encryption::Aes256Gcm16 => "AES-256-GCM-16",
        }
    }

    /// Key strength in bits, for "nearest choice" suggestions.
    pub fn strength(self) -> u32 {
        match self {
            Encryption::Aes128 => 128,
            Encryption::Aes192 => 192,
            Encryption::Aes256 => 256,
            Encryption::Aes128Gcm16 => 129,
            Encryption::Aes256Gcm16 => 257,
        }
    }
}

/// Integrity / PRF algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integrity {
    Sha1,
    #[serde(rename = "sha2-256")]
    Sha256,
    #[serde(rename = "sha2-384")]
    Sha384,
    #[serde(rename = "sha2-512")]
    Sha512,
}

impl Integrity {
    pub const ALL: [Integrity; 4] = [Integrity::Sha1, Integrity::Sha256, Integrity::Sha384, Integrity::Sha512];

    pub fn label(self) -> &'static str {
        match self {
            Integrity::Sha1 => "SHA-1",
            Integrity::Sha256 => "SHA2-256",
            Integrity::Sha384 => "SHA2-384",
            Integrity::Sha512 => "SHA2-512",
        }
    }

    pub fn strength(self) -> u32 {
        match self {
            Integrity::Sha1 => 160,
            Integrity::Sha256 => 256,
            Integrity::Sha384 => 384,
            Integrity::Sha512 => 512,
        }
    }
}

/// Crypto choices of a link. Every `None` takes the value recommended for the pair; a link
/// with all fields `None` uses the recommended profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crypto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_version: Option<IkeVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1_encryption: Option<Encryption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1_integrity: Option<Integrity>,
    /// Phase 1 Diffie-Hellman group number (IANA), e.g. 14, 19, 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1_dh_group: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1_lifetime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase2_encryption: Option<Encryption>,
    /// Ignored (and must be left out) with an AES-GCM phase 2 cipher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase2_integrity: Option<Integrity>,
    /// PFS group for phase 2; `0` means no PFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfs_group: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase2_lifetime: Option<u32>,
    /// Dead peer detection timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpd_timeout: Option<u32>,
}

impl Crypto {
    /// True when nothing is overridden.
    pub fn is_recommended(&self) -> bool {
        *self == Crypto::default()
    }
}

/// Flat wire forms of the tagged enums. Deserialising a flat struct (instead of serde's
/// buffered internally-tagged enum) keeps the exact field path and position in errors.
mod wire {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NetworkRepr {
        mode: NetworkMode,
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        resource_group: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum NetworkMode {
        New,
        Existing,
    }

    impl TryFrom<NetworkRepr> for Network {
        type Error = String;
        fn try_from(r: NetworkRepr) -> Result<Self, String> {
            match r.mode {
                NetworkMode::New => {
                    only(
                        &[("id", r.id.is_some()), ("resource_group", r.resource_group.is_some())],
                        "\"mode\": \"new\"",
                    )?;
                    Ok(Network::New)
                }
                NetworkMode::Existing => Ok(Network::Existing {
                    id: r.id.ok_or("missing field `id`: an existing network needs its ID or name")?,
                    resource_group: r.resource_group.unwrap_or_default(),
                }),
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GatewayRepr {
        kind: GatewayKind,
        asn: Option<u32>,
        sku: Option<String>,
        active_active: Option<bool>,
        vpn_type: Option<AzureVpnType>,
        software: Option<Software>,
        version: Option<String>,
        public_ip: Option<String>,
        private_ip: Option<String>,
    }

    /// Reject fields that are set but do not belong to this kind.
    fn only(set: &[(&str, bool)], kind: &str) -> Result<(), String> {
        match set.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(format!("field `{name}` does not apply to {kind}")),
            None => Ok(()),
        }
    }

    impl TryFrom<GatewayRepr> for Gateway {
        type Error = String;
        fn try_from(r: GatewayRepr) -> Result<Self, String> {
            let kind = format!(
                "a gateway of kind `{}`",
                serde_json::to_value(r.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            );
            let azure = [
                ("sku", r.sku.is_some()),
                ("active_active", r.active_active.is_some()),
                ("vpn_type", r.vpn_type.is_some()),
            ];
            let appliance = [
                ("software", r.software.is_some()),
                ("version", r.version.is_some()),
                ("public_ip", r.public_ip.is_some()),
                ("private_ip", r.private_ip.is_some()),
            ];
            Ok(match r.kind {
                GatewayKind::AwsVgw | GatewayKind::AwsTgw | GatewayKind::GcpHaVpn | GatewayKind::GcpClassicVpn => {
                    only(&azure, &kind)?;
                    only(&appliance, &kind)?;
                    match r.kind {
                        GatewayKind::AwsVgw => Gateway::AwsVgw { asn: r.asn },
                        GatewayKind::AwsTgw => Gateway::AwsTgw { asn: r.asn },
                        GatewayKind::GcpHaVpn => Gateway::GcpHaVpn { asn: r.asn },
                        _ => {
                            only(&[("asn", r.asn.is_some())], &kind)?;
                            Gateway::GcpClassicVpn {}
                        }
                    }
                }
                GatewayKind::AzureVpnGateway => {
                    only(&appliance, &kind)?;
                    Gateway::AzureVpnGateway {
                        sku: r.sku.ok_or("missing field `sku`, e.g. \"VpnGw1AZ\"")?,
                        active_active: r.active_active.unwrap_or(false),
                        vpn_type: r.vpn_type.unwrap_or_default(),
                        asn: r.asn,
                    }
                }
                GatewayKind::Appliance => {
                    only(&azure, &kind)?;
                    Gateway::Appliance {
                        software: r.software.ok_or("missing field `software`: libreswan, strongswan or vyos")?,
                        version: r.version.ok_or("missing field `version`, e.g. \"5\" or \"1.4\"")?,
                        public_ip: r.public_ip.unwrap_or_default(),
                        private_ip: r.private_ip.unwrap_or_default(),
                        asn: r.asn,
                    }
                }
            })
        }
    }
}

/// Why a plan file could not be read: where, which field, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// Field path such as `sites[1].gateway.asn`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        if !self.path.is_empty() && self.path != "." {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// Parse a plan from JSON text. Errors name the line, column and field.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        // First only the version, so a plan from a newer Tunnelsmith gets a version error
        // rather than a confusing complaint about a field this build does not know.
        #[derive(Deserialize)]
        struct Head {
            version: Option<serde_json::Value>,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| json_error(&e, String::new()))?;
        match head.version {
            None => {
                return Err(PlanError {
                    line: 0,
                    column: 0,
                    path: "version".into(),
                    message: format!("missing field `version`; add \"version\": {PLAN_VERSION} at the top of the plan"),
                })
            }
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(PLAN_VERSION as u64) => {}
            Some(other) => {
                return Err(PlanError {
                    line: 0,
                    column: 0,
                    path: "version".into(),
                    message: format!(
                        "unsupported plan version {other}; this Tunnelsmith reads version {PLAN_VERSION} \
                         (a newer plan needs a newer Tunnelsmith)"
                    ),
                })
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let plan: Plan = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            json_error(e.inner(), path)
        })?;
        de.end().map_err(|e| json_error(&e, String::new()))?;
        Ok(plan)
    }

    /// Pretty JSON, as written to `tunnelsmith-plan.json`.
    pub fn to_json_pretty(&self) -> String {
        // Serialising this model cannot fail: it has only strings, numbers and plain enums.
        serde_json::to_string_pretty(self).expect("plan serialises") + "\n"
    }

    /// The site with this name.
    pub fn site(&self, name: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.name == name)
    }
}

fn json_error(e: &serde_json::Error, path: String) -> PlanError {
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; we report those separately.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("{message}: the file ends too early (truncated?)"),
        serde_json::error::Category::Syntax => format!("{message}: this is not valid JSON"),
        _ => message,
    };
    PlanError { line: e.line(), column: e.column(), path, message }
}

/// The plan-format spelling of an enum value (`aws`, `azure_vpn_gateway`, `ikev2`): its serde
/// name, read by a serializer that takes unit variants only (no JSON value in between).
pub fn code_of<T: serde::Serialize>(v: &T) -> String {
    v.serialize(VariantName).unwrap_or_default()
}

/// The enum value spelled `s` in the plan format.
pub fn parse_code<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(s)).ok()
}

/// A serializer of unit enum variants to their names; anything else is an error.
struct VariantName;

type NoCompound = serde::ser::Impossible<String, serde::de::value::Error>;

/// Trait methods that refuse: anything but a unit variant has no code.
macro_rules! not_a_variant {
    ($($f:ident $(<$g:ident>)? ($($t:ty),*) -> $r:ty;)*) => {
        $(fn $f $(<$g: serde::Serialize + ?Sized>)? (self, $(_: $t),*) -> Result<$r, serde::de::value::Error> {
            Err(serde::ser::Error::custom("not a unit variant"))
        })*
    };
}

impl serde::Serializer for VariantName {
    type Ok = String;
    type Error = serde::de::value::Error;
    type SerializeSeq = NoCompound;
    type SerializeTuple = NoCompound;
    type SerializeTupleStruct = NoCompound;
    type SerializeTupleVariant = NoCompound;
    type SerializeMap = NoCompound;
    type SerializeStruct = NoCompound;
    type SerializeStructVariant = NoCompound;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, Self::Error> {
        Ok(variant.to_string())
    }

    not_a_variant! {
        serialize_bool(bool) -> String; serialize_i8(i8) -> String; serialize_i16(i16) -> String;
        serialize_i32(i32) -> String; serialize_i64(i64) -> String; serialize_u8(u8) -> String;
        serialize_u16(u16) -> String; serialize_u32(u32) -> String; serialize_u64(u64) -> String;
        serialize_f32(f32) -> String; serialize_f64(f64) -> String; serialize_char(char) -> String;
        serialize_str(&str) -> String; serialize_bytes(&[u8]) -> String; serialize_none() -> String;
        serialize_unit() -> String; serialize_unit_struct(&'static str) -> String;
        serialize_some<T>(&T) -> String; serialize_newtype_struct<T>(&'static str, &T) -> String;
        serialize_newtype_variant<T>(&'static str, u32, &'static str, &T) -> String;
        serialize_seq(Option<usize>) -> NoCompound; serialize_tuple(usize) -> NoCompound;
        serialize_tuple_struct(&'static str, usize) -> NoCompound;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> NoCompound;
        serialize_map(Option<usize>) -> NoCompound; serialize_struct(&'static str, usize) -> NoCompound;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> NoCompound;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_codes_are_their_plan_file_spelling() {
        fn json<T: Serialize>(v: &T) -> String {
            serde_json::to_value(v).unwrap().as_str().unwrap().to_string()
        }
        for p in Platform::ALL {
            assert_eq!(code_of(&p), json(&p));
            assert_eq!(parse_code::<Platform>(&code_of(&p)), Some(p));
        }
        for r in [Routing::Static, Routing::Bgp] {
            assert_eq!(code_of(&r), json(&r));
            assert_eq!(parse_code::<Routing>(&code_of(&r)), Some(r));
        }
        for t in [AzureVpnType::RouteBased, AzureVpnType::PolicyBased] {
            assert_eq!(code_of(&t), json(&t));
        }
        assert_eq!(code_of(&AzureVpnType::RouteBased), "route_based");
        assert_eq!(parse_code::<Platform>("nope"), None);
        // Not a unit variant: no code.
        assert_eq!(code_of(&"text"), "");
    }

    const MINIMAL: &str = r#"{
  "version": 1,
  "name": "demo",
  "sites": [
    {"name": "a", "platform": "aws", "region": "us-east-1", "address_spaces": ["10.1.0.0/16"],
     "gateway": {"kind": "aws_vgw"}},
    {"name": "b", "platform": "azure", "region": "westeurope", "address_spaces": ["10.2.0.0/16"],
     "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ"}}
  ],
  "links": [{"a": "a", "b": "b"}]
}"#;

    #[test]
    fn parses_minimal_plan_with_defaults() {
        let plan = Plan::from_json(MINIMAL).unwrap();
        assert_eq!(plan.sites.len(), 2);
        assert_eq!(plan.sites[0].network, Network::New);
        assert_eq!(plan.links[0].routing, Routing::Static);
        assert!(plan.links[0].crypto.is_recommended());
        match &plan.sites[1].gateway {
            Gateway::AzureVpnGateway { active_active, vpn_type, .. } => {
                assert!(!active_active);
                assert_eq!(*vpn_type, AzureVpnType::RouteBased);
            }
            g => panic!("wrong gateway {g:?}"),
        }
    }

    #[test]
    fn round_trips_through_pretty_json() {
        let plan = Plan::from_json(MINIMAL).unwrap();
        let again = Plan::from_json(&plan.to_json_pretty()).unwrap();
        assert_eq!(plan, again);
    }

    #[test]
    fn unknown_field_names_line_column_and_path() {
        let text = MINIMAL.replace("\"region\": \"westeurope\"", "\"regoin\": \"westeurope\"");
        let err = Plan::from_json(&text).unwrap_err();
        assert_eq!(err.path, "sites[1].regoin");
        assert!(err.message.contains("unknown field `regoin`"), "{err}");
        assert_eq!(err.line, 7);
        assert!(err.column > 0);
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let text = MINIMAL.replace("\"kind\": \"aws_vgw\"", "\"kind\": \"aws_vgw\", \"asn\": \"64512\"");
        let err = Plan::from_json(&text).unwrap_err();
        assert_eq!(err.path, "sites[0].gateway.asn");
        assert!(err.message.contains("invalid type"), "{err}");
        assert_eq!(err.line, 6);
    }

    #[test]
    fn fields_of_another_gateway_kind_are_rejected() {
        let text = MINIMAL.replace("\"kind\": \"aws_vgw\"", "\"kind\": \"aws_vgw\", \"sku\": \"VpnGw1AZ\"");
        let err = Plan::from_json(&text).unwrap_err();
        assert_eq!(err.path, "sites[0].gateway");
        assert!(err.message.contains("`sku` does not apply to a gateway of kind `aws_vgw`"), "{err}");
        let text = MINIMAL.replace("\"sku\": \"VpnGw1AZ\"", "\"skew\": \"VpnGw1AZ\"");
        let err = Plan::from_json(&text).unwrap_err();
        assert_eq!(err.path, "sites[1].gateway.skew");
    }

    #[test]
    fn wrong_and_missing_version_are_explained() {
        let err = Plan::from_json(&MINIMAL.replace("\"version\": 1", "\"version\": 2")).unwrap_err();
        assert_eq!(err.path, "version");
        assert!(err.message.contains("unsupported plan version 2"), "{err}");
        let err = Plan::from_json(&MINIMAL.replace("\"version\": 1,", "")).unwrap_err();
        assert!(err.message.contains("missing field `version`"), "{err}");
    }

    #[test]
    fn malformed_json_reports_position() {
        let err = Plan::from_json("{\n  \"version\": 1,\n  \"name\": \"x\",,\n}").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("not valid JSON"), "{err}");
        let err = Plan::from_json(&MINIMAL[..MINIMAL.len() / 2]).unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
    }

    #[test]
    fn pfs_zero_and_algorithm_spellings() {
        let text = MINIMAL.replace(
            "{\"a\": \"a\", \"b\": \"b\"}",
            r#"{"a": "a", "b": "b", "crypto": {"ike_version": "ikev2", "phase1_encryption": "aes256-gcm16",
                "phase1_integrity": "sha2-384", "phase2_encryption": "aes128", "pfs_group": 0}}"#,
        );
        let plan = Plan::from_json(&text).unwrap();
        let c = &plan.links[0].crypto;
        assert_eq!(c.phase1_encryption, Some(Encryption::Aes256Gcm16));
        assert_eq!(c.phase1_integrity, Some(Integrity::Sha384));
        assert_eq!(c.pfs_group, Some(0));
        assert!(!c.is_recommended());
    }
}
