//! `Resolved`: the plan with every derived value filled in. Everything below `check`
//! (steps, render, the wizard's views) reads this, never re-derives.

use crate::kb::crypto::Endpoint;
use crate::plan::{Encryption, Gateway, IkeVersion, Integrity, Network, Platform, Routing};
use ipnet::Ipv4Net;
use serde::Serialize;
use std::net::Ipv4Addr;

/// The resolved plan. Built even when the plan has errors (best effort: values that could not
/// be derived are left out), so the wizard can always show what it can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The plan's name if it follows the naming rule, else the rule's fix of it (so every
    /// artifact gets a name that is safe in resource names, tags, comments and scripts).
    pub plan_name: String,
    pub kb_date: &'static str,
    /// Same order and indices as the plan's sites.
    pub sites: Vec<RSite>,
    /// The plan's links that name two different, existing sites (first of any duplicates).
    pub links: Vec<RLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RSite {
    /// The site's name if it follows the naming rule, else the rule's fix of it.
    pub name: String,
    pub platform: Platform,
    pub region: String,
    /// Parsed and normalised (host bits cleared); unparsable entries are left out.
    pub address_spaces: Vec<Ipv4Net>,
    pub subnets: Vec<RSubnet>,
    pub network: Network,
    pub gateway: Gateway,
    /// The crypto personality; `None` for an unknown appliance version.
    #[serde(skip)]
    pub endpoint: Option<Endpoint>,
    /// The BGP ASN (the plan's, or a unique default); `None` where a gateway has none.
    pub asn: Option<u32>,
    /// Public endpoints the gateway presents (AWS: tunnels per connection).
    pub outside_addresses: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RSubnet {
    pub name: String,
    pub cidr: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RLink {
    /// Index in the plan's links.
    pub index: usize,
    /// `<a>-<b>` from the site names.
    pub id: String,
    /// Site indices.
    pub a: usize,
    pub b: usize,
    pub routing: Routing,
    /// How the two gateways meet (`kb::pairing`), oriented a → b; `None` when they cannot.
    #[serde(skip)]
    pub pairing: Option<crate::kb::pairing::Connect>,
    /// The negotiated crypto; `None` when the ends share no IKE version.
    pub profile: Option<Profile>,
    pub tunnels: Vec<RTunnel>,
    /// Recommended tunnel interface MTU and TCP MSS clamp (minimum over both ends).
    pub mtu: u32,
    pub mss: u32,
}

impl RLink {
    /// The site index at end `e` (0 = a, 1 = b).
    pub fn site(&self, e: usize) -> usize {
        if e == 0 {
            self.a
        } else {
            self.b
        }
    }
}

/// The crypto a link uses: one choice per parameter, lifetimes per end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub ike: IkeVersion,
    pub p1_encryption: Encryption,
    pub p1_integrity: Integrity,
    pub p1_dh: u8,
    pub p2_encryption: Encryption,
    /// `None` with an AEAD (GCM) cipher.
    pub p2_integrity: Option<Integrity>,
    /// `None`: no PFS.
    pub pfs: Option<u8>,
    /// Per end (a, b): what each side is configured with (fixed platforms keep theirs).
    pub p1_lifetime: [u32; 2],
    pub p2_lifetime: [u32; 2],
    /// Per end; `None` where the platform runs its own DPD.
    pub dpd_timeout: [Option<u32>; 2],
    pub dpd_interval: u32,
    /// True when no crypto field was set by the user.
    pub recommended: bool,
    /// Why these values, in a sentence.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RTunnel {
    /// 0-based index within the link.
    pub index: usize,
    /// `<link id>-t<n>`, 1-based, e.g. `aws-azure-t1`.
    pub id: String,
    /// Per end (a, b).
    pub ends: [TunnelEnd; 2],
    /// The inside /30, where one was pinned or allocated.
    pub inside: Option<Ipv4Net>,
    /// Name of the pre-shared key in the secrets file, e.g. `PSK_AWS_AZURE_T1`.
    pub psk_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TunnelEnd {
    /// Which of the gateway's outside addresses the tunnel uses: the Azure instance, the
    /// Google HA VPN interface, or for AWS the tunnel within its VPN connection.
    pub outside: u8,
    /// For AWS ends: which VPN connection (one per peer address); 0 elsewhere.
    pub connection: u8,
    /// This end's inside address.
    pub inside_ip: Option<Ipv4Addr>,
}
