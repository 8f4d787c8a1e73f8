//! How two gateways meet: the pairing table.
//!
//! One row per pair of gateway classes (and routing mode, where it matters) says, with its
//! sources, either how the two ends connect (what each end creates for the other, the tunnel
//! layout, which inside addresses each end takes, who starts IKE and BGP, what cannot be
//! changed afterwards) or why they cannot, with the finding code `check` raises and what to do
//! instead. `check` (links, layout, inside /30s), `steps` (which connection object each cloud
//! creates), the appliance renderers (where BGP sessions come from) and the published pairing
//! matrix (`docs/pairing-matrix.md`, made by `tests/pairing_matrix.rs`) all read it.
//!
//! The table is keyed by [`Class`], the gateway kind refined by what changes how it meets a
//! peer (Azure's active-active, policy-based and Basic gateways differ). Every pair of classes
//! has exactly one row for each routing mode (a unit test enumerates them), so adding a class
//! means adding its rows, and the test lists the ones missing.

use super::gateways::{azure_sku, routing_unsupported};
use super::{src, Src};
use crate::plan::{AzureVpnType, Gateway, Routing};

/// A gateway kind, refined by what changes how it meets a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    AwsVgw,
    AwsTgw,
    /// Route-based Azure VPN gateway, one instance active (VpnGw1AZ and up).
    AzureActiveStandby,
    /// Route-based Azure VPN gateway, both instances active.
    AzureActiveActive,
    /// Policy-based Azure gateway (Basic SKU only): IKEv1, one tunnel, no BGP.
    AzurePolicyBased,
    /// Route-based Basic SKU: no BGP, no custom IPsec policy.
    AzureBasic,
    GcpHaVpn,
    GcpClassicVpn,
    /// Libreswan, strongSwan or VyOS on any host (versions differ only in crypto, which
    /// `kb::crypto` decides; hosts only in the cloud steps around them).
    Appliance,
}

impl Class {
    pub const ALL: [Class; 9] = [
        Class::AwsVgw,
        Class::AwsTgw,
        Class::AzureActiveStandby,
        Class::AzureActiveActive,
        Class::AzurePolicyBased,
        Class::AzureBasic,
        Class::GcpHaVpn,
        Class::GcpClassicVpn,
        Class::Appliance,
    ];

    /// The class of a gateway.
    pub fn of(g: &Gateway) -> Class {
        match g {
            Gateway::AwsVgw { .. } => Class::AwsVgw,
            Gateway::AwsTgw { .. } => Class::AwsTgw,
            Gateway::AzureVpnGateway { vpn_type: AzureVpnType::PolicyBased, .. } => Class::AzurePolicyBased,
            Gateway::AzureVpnGateway { sku, .. } if sku.eq_ignore_ascii_case("Basic") => Class::AzureBasic,
            Gateway::AzureVpnGateway { active_active: true, .. } => Class::AzureActiveActive,
            Gateway::AzureVpnGateway { .. } => Class::AzureActiveStandby,
            Gateway::GcpHaVpn { .. } => Class::GcpHaVpn,
            Gateway::GcpClassicVpn {} => Class::GcpClassicVpn,
            Gateway::Appliance { .. } => Class::Appliance,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Class::AwsVgw => "AWS virtual private gateway",
            Class::AwsTgw => "AWS transit gateway",
            Class::AzureActiveStandby => "Azure route-based, active-standby",
            Class::AzureActiveActive => "Azure route-based, active-active",
            Class::AzurePolicyBased => "Azure policy-based (Basic)",
            Class::AzureBasic => "Azure route-based Basic",
            Class::GcpHaVpn => "Google Cloud HA VPN",
            Class::GcpClassicVpn => "Google Cloud Classic VPN",
            Class::Appliance => "appliance",
        }
    }
}

/// What one end creates to represent the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerObject {
    /// AWS: a customer gateway per peer address and a VPN connection (two tunnels) to each.
    CustomerGateway,
    /// Azure: a local network gateway per peer address and a site-to-site connection to each.
    LocalNetworkGateway,
    /// Azure: one VNet-to-VNet connection naming the other gateway (`--vnet-gateway2`).
    VnetToVnet,
    /// Google Cloud: an external VPN gateway holding the peer's addresses.
    ExternalVpnGateway,
    /// Google Cloud: tunnels naming the other HA VPN gateway (`--peer-gcp-gateway`).
    PeerGcpGateway,
    /// An appliance: one route-based IPsec connection per tunnel.
    IpsecConnection,
}

impl PeerObject {
    pub fn label(self) -> &'static str {
        match self {
            PeerObject::CustomerGateway => "customer gateway + VPN connection",
            PeerObject::LocalNetworkGateway => "local network gateway + site-to-site connection",
            PeerObject::VnetToVnet => "VNet-to-VNet connection",
            PeerObject::ExternalVpnGateway => "external VPN gateway + tunnels",
            PeerObject::PeerGcpGateway => "tunnels to the peer HA VPN gateway",
            PeerObject::IpsecConnection => "IPsec connection per tunnel",
        }
    }
}

/// Which tunnels two gateways form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// End `n` is AWS: two tunnels per VPN connection, one connection per address of the peer.
    Aws(usize),
    /// End `n` is Google HA VPN: its interface `i` to the peer's address `i` (modulo their count).
    Ha(usize),
    /// Every outside address of one end to every outside address of the other.
    Mesh,
}

/// Where the tunnels' inside (BGP) addresses come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inside {
    /// A /30 per tunnel from 169.254.0.0/16, every rule of both ends honoured; the end that
    /// ranks first (`kb::addressing::first_host_rank`) takes the first host.
    Allocated,
    /// No inside addresses: the gateways talk BGP from their own default BGP addresses (Azure
    /// VNet-to-VNet), or route statically with nothing inside the tunnel to address.
    GatewayDefault,
    /// No inside addresses: a policy-based gateway has no tunnel interface; its traffic selectors
    /// (its network's prefixes with the peer's) decide what enters the tunnel, and the other end
    /// routes the peer's prefixes into its tunnel interface without an address on it.
    Selectors,
}

/// Who starts a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Both,
    /// Only end a (0) or b (1).
    End(usize),
    /// Nothing to start (static routing has no BGP).
    NotApplicable,
}

/// How two classes connect, oriented to ends a and b.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect {
    pub object: [PeerObject; 2],
    pub layout: Layout,
    pub inside: Inside,
    pub ike: Initiator,
    pub bgp: Initiator,
    /// End e must open all its BGP sessions to the other end from one address: the one the
    /// other end's single peer object names (an active-active Azure gateway's local network
    /// gateway holds one BGP peer address, and both instances expect the session from it).
    pub one_bgp_source: [bool; 2],
    /// Where the pairing needs every tunnel the layout forms: the refusal when fewer are asked.
    pub all_tunnels: Option<Refusal>,
    /// With an AWS layout of several VPN connections to one peer: why traffic does not move to
    /// another connection when the peer instance of one is down (`W_AWS_STATIC_NO_FAILOVER`;
    /// `{peer}` stands for the peer site's name).
    pub no_failover_across_connections: Option<&'static str>,
    /// What cannot be changed once created.
    pub immutable: &'static str,
}

impl Connect {
    fn flip(self) -> Connect {
        let end = |i: Initiator| match i {
            Initiator::End(e) => Initiator::End(1 - e),
            x @ (Initiator::Both | Initiator::NotApplicable) => x,
        };
        Connect {
            object: [self.object[1], self.object[0]],
            layout: match self.layout {
                Layout::Aws(e) => Layout::Aws(1 - e),
                Layout::Ha(e) => Layout::Ha(1 - e),
                Layout::Mesh => Layout::Mesh,
            },
            ike: end(self.ike),
            bgp: end(self.bgp),
            one_bgp_source: [self.one_bgp_source[1], self.one_bgp_source[0]],
            ..self
        }
    }

    /// Every tunnel the layout forms for gateways with `n[0]` and `n[1]` outside addresses, in a
    /// stable order, as (outside address, connection) per end. AWS builds two tunnels per VPN
    /// connection and one connection per peer address; Google HA VPN pairs its interfaces with
    /// the peer's addresses; otherwise every address meets every address.
    pub fn tunnels(&self, n: [u8; 2]) -> Vec<[(u8, u8); 2]> {
        let orient = |e: usize, x: (u8, u8), y: (u8, u8)| if e == 0 { [x, y] } else { [y, x] };
        match self.layout {
            Layout::Aws(e) => (0..n[1 - e]).flat_map(|p| (0..2).map(move |t| orient(e, (t, p), (p, 0)))).collect(),
            Layout::Ha(e) => (0..n[e]).map(|i| orient(e, (i, 0), (i % n[1 - e].max(1), 0))).collect(),
            Layout::Mesh => (0..n[0]).flat_map(|i| (0..n[1]).map(move |j| [(i, 0), (j, 0)])).collect(),
        }
    }
}

/// Why two classes cannot be joined (with a routing mode), and what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The finding code `check` raises.
    pub code: &'static str,
    /// The link field the finding points at (`""`: the link itself).
    pub field: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Connect(Connect),
    Refuse(Refusal),
}

/// One row: classes `a` and `b`, a routing mode (`None`: both), the outcome and its sources.
#[derive(Debug, Clone, Copy)]
pub struct Pairing {
    pub a: Class,
    pub b: Class,
    pub routing: Option<Routing>,
    pub outcome: Outcome,
    pub src: Src,
}

/// The verdict for one cell, oriented to the ends as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Connect(Connect, Src),
    Refuse(Refusal, Src),
}

use Class::*;
use Initiator::{Both, End, NotApplicable};
use PeerObject::*;

const NO_BGP: Initiator = NotApplicable;

const fn connect(
    object: [PeerObject; 2],
    layout: Layout,
    ike: Initiator,
    bgp: Initiator,
    immutable: &'static str,
) -> Outcome {
    Outcome::Connect(Connect {
        object,
        layout,
        inside: Inside::Allocated,
        ike,
        bgp,
        one_bgp_source: [false, false],
        all_tunnels: None,
        no_failover_across_connections: None,
        immutable,
    })
}

/// `outcome` (a connection), whose static routes do not fail over between the AWS VPN
/// connections of its layout, for the reason `why`.
const fn no_failover_across_connections(outcome: Outcome, why: &'static str) -> Outcome {
    match outcome {
        Outcome::Connect(c) => Outcome::Connect(Connect { no_failover_across_connections: Some(why), ..c }),
        r @ Outcome::Refuse(_) => r,
    }
}

/// A virtual private gateway over static routes [AWS-VPN-ROUTES].
const VGW_STATIC_ROUTES: &str = "gets the same static routes on each connection, AWS documents no failover between the VPN connections of static routes, and";
/// A transit gateway route table [AWS-TGW-RT].
const TGW_STATIC_ROUTES: &str = "routes each of {peer}'s prefixes to one VPN attachment only (a route table holds one static route per destination), so";

const fn refuse(code: &'static str, field: &'static str, why: &'static str, fix: &'static str) -> Outcome {
    Outcome::Refuse(Refusal { code, field, why, fix })
}

const fn row(a: Class, b: Class, routing: Option<Routing>, outcome: Outcome, keys: &'static str) -> Pairing {
    Pairing { a, b, routing, outcome, src: src(keys) }
}

const AWS_IMMUTABLE: &str = "AWS: the customer gateway's address and ASN (a new VPN connection replaces it); tunnel inside CIDRs only by modifying the tunnel options";
const AZ_LNG_IMMUTABLE: &str = "Azure: the gateway's ASN and active-active mode need the gateway updated (tens of minutes); the local network gateway's BGP peer address";
const GCP_IMMUTABLE: &str =
    "Google Cloud: a tunnel's peer gateway, interface and shared secret (delete and recreate the tunnel)";
const APPLIANCE_IMMUTABLE: &str = "nothing on the appliance side: its configuration is rewritten by the install script";

const V2V: Outcome = Outcome::Connect(Connect {
    object: [VnetToVnet, VnetToVnet],
    layout: Layout::Mesh,
    inside: Inside::GatewayDefault,
    ike: Both,
    bgp: Both,
    one_bgp_source: [false, false],
    all_tunnels: Some(Refusal {
        code: "E_TUNNELS_COUNT",
        field: "tunnels",
        why: "a VNet-to-VNet connection always forms a tunnel between every instance of one gateway and every instance of the other; the count cannot be chosen",
        fix: "leave tunnels out",
    }),
    no_failover_across_connections: None,
    immutable: "Azure: the gateways' ASNs and BGP addresses (gateway updates); a connection's gateways",
});

const AWS_TWO: &str = "two AWS managed VPN gateways cannot terminate a tunnel to each other: each waits as responder for a customer gateway";
const CLASSIC: Refusal = Refusal {
    code: "E_LINK_INCOMPATIBLE",
    field: "",
    why: "Google Cloud Classic VPN is deprecated (no new tunnels to other clouds since 2021-10-31, no new BGP tunnels since 2025-08-01), and Tunnelsmith generates no Classic VPN",
    fix: "use an HA VPN gateway (`gcp_ha_vpn`) with BGP",
};
const AZ_POLICY: &str = "a policy-based Azure gateway offers one IKEv1 tunnel with prefix traffic selectors, while the other end is a route-based cloud gateway with 0.0.0.0/0 selectors, several tunnels and IKEv2 (Azure's VNet-to-VNet also needs route-based gateways at both ends)";
const AZ_POLICY_FIX: &str = "make the Azure gateway route-based (the default; VpnGw1AZ or larger)";

/// The pairing table. Rows name `a` before `b` in [`Class::ALL`] order.
pub const PAIRINGS: &[Pairing] = &[
    // --- AWS ----------------------------------------------------------------------------------
    row(AwsVgw, AwsVgw, None, refuse("E_LINK_INCOMPATIBLE", "", AWS_TWO, "run an appliance (strongSwan, Libreswan or VyOS on EC2) in one of the two VPCs, as in the cross-region field report"), "[AWS-UG-INIT] [AWS-UG-TUN]"),
    row(AwsVgw, AwsTgw, None, refuse("E_LINK_INCOMPATIBLE", "", "two AWS managed VPN gateways cannot terminate a tunnel to each other", "use an appliance on EC2 at one end, or transit gateway peering within AWS"), "[AWS-UG-INIT]"),
    row(AwsTgw, AwsTgw, None, refuse("E_LINK_INCOMPATIBLE", "", "two AWS transit gateways join with transit gateway peering, not Site-to-Site VPN", "use transit gateway peering, or an appliance on EC2 at one end"), "[AWS-UG-INIT]"),
    // AWS ↔ Azure, as Microsoft's "connect AWS and Azure" article.
    row(AwsVgw, AzureActiveStandby, Some(Routing::Static), connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), "[AZ-AWS] [AWS-UG-TUN] [AWS-UG-INIT]"),
    row(AwsTgw, AzureActiveStandby, Some(Routing::Static), connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), "[AZ-AWS] [AWS-UG-TUN] [AWS-UG-INIT]"),
    row(AwsVgw, AzureActiveStandby, Some(Routing::Bgp), refuse("E_AZURE_AWS_BGP", "routing", "BGP between AWS and Azure needs an active-active Azure gateway and 4 tunnels (two AWS VPN connections, one per Azure instance)", "make the Azure gateway active-active, or use static routing"), "[AZ-AWS] [AZ-BGP]"),
    row(AwsTgw, AzureActiveStandby, Some(Routing::Bgp), refuse("E_AZURE_AWS_BGP", "routing", "BGP between AWS and Azure needs an active-active Azure gateway and 4 tunnels (two AWS VPN connections, one per Azure instance)", "make the Azure gateway active-active, or use static routing"), "[AZ-AWS] [AZ-BGP]"),
    row(AwsVgw, AzureActiveActive, Some(Routing::Static), no_failover_across_connections(connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), VGW_STATIC_ROUTES), "[AZ-AWS] [AWS-UG-TUN] [AWS-UG-INIT] [AWS-VPN-ROUTES] [AZ-AA]"),
    row(AwsTgw, AzureActiveActive, Some(Routing::Static), no_failover_across_connections(connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), TGW_STATIC_ROUTES), "[AZ-AWS] [AWS-UG-TUN] [AWS-UG-INIT] [AWS-TGW-RT] [AZ-AA]"),
    row(AwsVgw, AzureActiveActive, Some(Routing::Bgp), AWS_AZURE_BGP, "[AZ-AWS] [AZ-AWS-BGP] [AZ-BGP-APIPA] [AWS-UG-TUN]"),
    row(AwsTgw, AzureActiveActive, Some(Routing::Bgp), AWS_AZURE_BGP, "[AZ-AWS] [AZ-AWS-BGP] [AZ-BGP-APIPA] [AWS-UG-TUN]"),
    row(AwsVgw, AzurePolicyBased, None, refuse("E_LINK_INCOMPATIBLE", "", AZ_POLICY, AZ_POLICY_FIX), "[AZ-FAQ] [AZ-SKU] [AWS-UG-CGW]"),
    row(AwsTgw, AzurePolicyBased, None, refuse("E_LINK_INCOMPATIBLE", "", AZ_POLICY, AZ_POLICY_FIX), "[AZ-FAQ] [AZ-SKU] [AWS-UG-CGW]"),
    row(AwsVgw, AzureBasic, None, connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), "[AZ-AWS] [AZ-SKU] [AWS-UG-TUN]"),
    row(AwsTgw, AzureBasic, None, connect([CustomerGateway, LocalNetworkGateway], Layout::Aws(0), Both, NO_BGP, AWS_IMMUTABLE), "[AZ-AWS] [AZ-SKU] [AWS-UG-TUN]"),
    // AWS ↔ Google Cloud, as Google's "HA VPN to AWS" tutorial: four tunnels.
    row(AwsVgw, GcpHaVpn, None, connect([CustomerGateway, ExternalVpnGateway], Layout::Aws(0), Both, Both, GCP_IMMUTABLE), "[GCP-AWS] [AWS-UG-TUN] [GCP-KEY]"),
    row(AwsTgw, GcpHaVpn, None, connect([CustomerGateway, ExternalVpnGateway], Layout::Aws(0), Both, Both, GCP_IMMUTABLE), "[GCP-AWS] [AWS-UG-TUN] [GCP-KEY]"),
    row(AwsVgw, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(AwsTgw, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(AwsVgw, Appliance, None, connect([CustomerGateway, IpsecConnection], Layout::Aws(0), Both, Both, AWS_IMMUTABLE), "[AWS-UG-TUN] [AWS-UG-INIT] [AWS-UG-CGW]"),
    row(AwsTgw, Appliance, None, connect([CustomerGateway, IpsecConnection], Layout::Aws(0), Both, Both, AWS_IMMUTABLE), "[AWS-UG-TUN] [AWS-UG-INIT] [AWS-UG-CGW]"),
    // --- Azure ↔ Azure: VNet-to-VNet between route-based gateways -----------------------------
    row(AzureActiveStandby, AzureActiveStandby, None, V2V, "[AZ-V2V] [AZ-FAQ-BGP] [AZ-BGP-APIPA]"),
    row(AzureActiveStandby, AzureActiveActive, None, V2V, "[AZ-V2V] [AZ-FAQ-BGP] [AZ-BGP-APIPA]"),
    row(AzureActiveActive, AzureActiveActive, None, V2V, "[AZ-V2V] [AZ-FAQ-BGP] [AZ-BGP-APIPA]"),
    row(AzureActiveStandby, AzureBasic, None, V2V, "[AZ-V2V] [AZ-SKU]"),
    row(AzureActiveActive, AzureBasic, None, V2V, "[AZ-V2V] [AZ-SKU]"),
    row(AzureBasic, AzureBasic, None, V2V, "[AZ-V2V] [AZ-SKU]"),
    row(AzureActiveStandby, AzurePolicyBased, None, refuse("E_LINK_INCOMPATIBLE", "", "Azure connects two of its gateways with a VNet-to-VNet connection, which needs route-based gateways at both ends", AZ_POLICY_FIX), "[AZ-V2V] [AZ-FAQ]"),
    row(AzureActiveActive, AzurePolicyBased, None, refuse("E_LINK_INCOMPATIBLE", "", "Azure connects two of its gateways with a VNet-to-VNet connection, which needs route-based gateways at both ends", AZ_POLICY_FIX), "[AZ-V2V] [AZ-FAQ]"),
    row(AzurePolicyBased, AzurePolicyBased, None, refuse("E_LINK_INCOMPATIBLE", "", "Azure connects two of its gateways with a VNet-to-VNet connection, which needs route-based gateways at both ends", AZ_POLICY_FIX), "[AZ-V2V] [AZ-FAQ]"),
    row(AzurePolicyBased, AzureBasic, None, refuse("E_LINK_INCOMPATIBLE", "", "Azure connects two of its gateways with a VNet-to-VNet connection, which needs route-based gateways at both ends", AZ_POLICY_FIX), "[AZ-V2V] [AZ-FAQ]"),
    // --- Azure ↔ Google Cloud, as Google's "HA VPN to Azure" tutorial ------------------------
    row(AzureActiveStandby, GcpHaVpn, None, connect([LocalNetworkGateway, ExternalVpnGateway], Layout::Ha(1), Both, End(1), GCP_IMMUTABLE), "[GCP-AZ] [AZ-BGP-APIPA] [GCP-KEY]"),
    row(AzureActiveActive, GcpHaVpn, None, connect([LocalNetworkGateway, ExternalVpnGateway], Layout::Ha(1), Both, End(1), GCP_IMMUTABLE), "[GCP-AZ] [AZ-BGP-APIPA] [GCP-KEY]"),
    row(AzurePolicyBased, GcpHaVpn, None, refuse("E_LINK_INCOMPATIBLE", "", AZ_POLICY, AZ_POLICY_FIX), "[AZ-FAQ] [GCP-KEY]"),
    row(AzureBasic, GcpHaVpn, None, connect([LocalNetworkGateway, ExternalVpnGateway], Layout::Ha(1), Both, End(1), GCP_IMMUTABLE), "[GCP-AZ] [AZ-SKU]"),
    row(AzureActiveStandby, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(AzureActiveActive, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(AzurePolicyBased, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(AzureBasic, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    // --- Azure ↔ appliance: the appliance initiates BGP toward Azure's APIPA addresses ---------
    row(AzureActiveStandby, Appliance, None, connect([LocalNetworkGateway, IpsecConnection], Layout::Mesh, Both, End(1), AZ_LNG_IMMUTABLE), "[AZ-DEV] [AZ-BGP] [AZ-BGP-APIPA]"),
    row(AzureActiveActive, Appliance, Some(Routing::Static), connect([LocalNetworkGateway, IpsecConnection], Layout::Mesh, Both, NO_BGP, AZ_LNG_IMMUTABLE), "[AZ-DEV] [AZ-FAQ]"),
    row(AzureActiveActive, Appliance, Some(Routing::Bgp), Outcome::Connect(Connect {
        object: [LocalNetworkGateway, IpsecConnection],
        layout: Layout::Mesh,
        inside: Inside::Allocated,
        ike: Both,
        bgp: End(1),
        one_bgp_source: [false, true],
        all_tunnels: None,
        no_failover_across_connections: None,
        immutable: AZ_LNG_IMMUTABLE,
    }), "[AZ-AWS-BGP] [AZ-BGP-APIPA] [AZ-ARM]"),
    // Policy-based: one IKEv1 tunnel whose selectors are the VNet's prefixes with the local
    // network gateway's, no tunnel interface, so no inside addresses [AZ-PBTS] [AZ-FAQ].
    row(AzurePolicyBased, Appliance, None, Outcome::Connect(Connect {
        object: [LocalNetworkGateway, IpsecConnection],
        layout: Layout::Mesh,
        inside: Inside::Selectors,
        ike: Both,
        bgp: NO_BGP,
        one_bgp_source: [false, false],
        all_tunnels: None,
        no_failover_across_connections: None,
        immutable: "Azure: the gateway's VPN type (a policy-based gateway is deleted and created again to become route-based); the local network gateway's prefixes are the tunnel's traffic selectors",
    }), "[AZ-FAQ] [AZ-DEV] [AZ-PBTS]"),
    row(AzureBasic, Appliance, None, connect([LocalNetworkGateway, IpsecConnection], Layout::Mesh, Both, NO_BGP, AZ_LNG_IMMUTABLE), "[AZ-SKU] [AZ-DEV]"),
    // --- Google Cloud ------------------------------------------------------------------------
    row(GcpHaVpn, GcpHaVpn, None, Outcome::Connect(Connect {
        object: [PeerGcpGateway, PeerGcpGateway],
        layout: Layout::Ha(0),
        inside: Inside::Allocated,
        ike: Both,
        bgp: Both,
        one_bgp_source: [false, false],
        all_tunnels: None,
        no_failover_across_connections: None,
        immutable: GCP_IMMUTABLE,
    }), "[GCP-HA-TS] [GCLOUD-TUN] [GCLOUD-TUN-REF]"),
    row(GcpHaVpn, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-HA-TS] [GCP-DEPR]"),
    row(GcpHaVpn, Appliance, None, connect([ExternalVpnGateway, IpsecConnection], Layout::Ha(0), Both, Both, GCP_IMMUTABLE), "[GCP-PEER] [GCP-KEY] [GCP-BGP]"),
    row(GcpClassicVpn, GcpClassicVpn, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    row(GcpClassicVpn, Appliance, None, Outcome::Refuse(CLASSIC), "[GCP-DEPR]"),
    // --- appliance ↔ appliance -----------------------------------------------------------------
    row(Appliance, Appliance, None, connect([IpsecConnection, IpsecConnection], Layout::Mesh, Both, Both, APPLIANCE_IMMUTABLE), "[LS-CONN] [SS-OPT] [VY-XML]"),
];

const AWS_AZURE_BGP: Outcome = Outcome::Connect(Connect {
    object: [CustomerGateway, LocalNetworkGateway],
    layout: Layout::Aws(0),
    inside: Inside::Allocated,
    ike: Both,
    // Azure does not open BGP from its APIPA addresses; AWS does.
    bgp: End(0),
    one_bgp_source: [false, false],
    all_tunnels: Some(Refusal {
        code: "E_AZURE_AWS_BGP",
        field: "tunnels",
        why: "BGP between AWS and Azure needs all 4 tunnels (two AWS VPN connections, one per Azure instance)",
        fix: "leave tunnels out (4)",
    }),
    no_failover_across_connections: None,
    immutable: AWS_IMMUTABLE,
});

/// Why class `c` cannot route with `routing` at all, whatever its peer.
pub fn class_routing(c: Class, routing: Routing) -> Option<(Refusal, Src)> {
    let other = if routing == Routing::Bgp { "set routing to \"static\"" } else { "set routing to \"bgp\"" };
    match c {
        GcpHaVpn | GcpClassicVpn => {
            let kind = if c == GcpHaVpn {
                crate::plan::GatewayKind::GcpHaVpn
            } else {
                crate::plan::GatewayKind::GcpClassicVpn
            };
            routing_unsupported(kind, routing).map(|r| {
                (
                    Refusal {
                        code: "E_ROUTING_UNSUPPORTED",
                        field: "routing",
                        why: r.unsupported.unwrap_or(""),
                        fix: other,
                    },
                    r.src,
                )
            })
        }
        AzurePolicyBased | AzureBasic if routing == Routing::Bgp => azure_sku("Basic").filter(|s| !s.bgp).map(|s| {
            (
                Refusal {
                    code: "E_ROUTING_UNSUPPORTED",
                    field: "routing",
                    why: "an Azure Basic gateway has no BGP",
                    fix: "use static routing, or a VpnGw1AZ or larger SKU",
                },
                s.src,
            )
        }),
        AwsVgw | AwsTgw | AzureActiveStandby | AzureActiveActive | AzurePolicyBased | AzureBasic | Appliance => None,
    }
}

/// The row for classes `a` and `b` with `routing`, and whether it is written the other way round.
pub fn row_for(a: Class, b: Class, routing: Routing) -> Option<(&'static Pairing, bool)> {
    let hit = |r: &Pairing, x: Class, y: Class| r.a == x && r.b == y && r.routing.is_none_or(|m| m == routing);
    PAIRINGS.iter().find_map(|r| {
        if hit(r, a, b) {
            Some((r, false))
        } else if hit(r, b, a) {
            Some((r, true))
        } else {
            None
        }
    })
}

/// How ends of classes `a` and `b` meet with `routing`, or why they cannot: the pair's own
/// refusal first, then either end's routing limits.
pub fn verdict(a: Class, b: Class, routing: Routing) -> Verdict {
    let Some((r, flipped)) = row_for(a, b, routing) else {
        // Unreachable while the table is complete (a unit test holds it so).
        return Verdict::Refuse(
            Refusal {
                code: "E_LINK_INCOMPATIBLE",
                field: "",
                why: "this pairing is not in Tunnelsmith's table",
                fix: "",
            },
            src(""),
        );
    };
    match r.outcome {
        Outcome::Refuse(x) => Verdict::Refuse(x, r.src),
        Outcome::Connect(c) => {
            for end in [a, b] {
                if let Some((x, s)) = class_routing(end, routing) {
                    return Verdict::Refuse(x, s);
                }
            }
            Verdict::Connect(if flipped { c.flip() } else { c }, r.src)
        }
    }
}

/// Does a gateway of class `c` pass traffic between its tunnels (transit) when its links route
/// with `routing`, and if so why (and on what authority)?
pub fn transit(c: Class, routing: Routing) -> Option<(&'static str, Src)> {
    match (c, routing) {
        (AzureActiveStandby | AzureActiveActive, Routing::Bgp) => Some((
            "an Azure VPN gateway with BGP forwards between its connections and advertises to each peer what it learned from the others",
            src("[AZ-FAQ-BGP]"),
        )),
        (AwsVgw, Routing::Bgp) => Some((
            "an AWS virtual private gateway with BGP re-advertises each VPN connection's routes to the others (VPN CloudHub)",
            src("[AWS-CLOUDHUB]"),
        )),
        (AwsTgw, Routing::Bgp) => Some((
            "an AWS transit gateway, created here with default route table association and propagation, learns each VPN attachment's BGP routes and advertises its route table to the others",
            src("[AWS-TGW-RT]"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_classes_has_exactly_one_row_per_routing_mode() {
        for (i, &a) in Class::ALL.iter().enumerate() {
            for &b in &Class::ALL[i..] {
                for routing in [Routing::Static, Routing::Bgp] {
                    let n = PAIRINGS
                        .iter()
                        .filter(|r| {
                            ((r.a == a && r.b == b) || (r.a == b && r.b == a)) && r.routing.is_none_or(|m| m == routing)
                        })
                        .count();
                    assert_eq!(n, 1, "{a:?} × {b:?} with {routing:?}: {n} rows");
                }
            }
        }
        for r in PAIRINGS {
            let (i, j) = (Class::ALL.iter().position(|c| *c == r.a), Class::ALL.iter().position(|c| *c == r.b));
            assert!(i <= j, "{:?} × {:?} is written the wrong way round", r.a, r.b);
            assert!(!r.src.keys.is_empty(), "{:?} × {:?} has no source", r.a, r.b);
        }
    }

    #[test]
    fn verdicts_are_oriented_and_routing_limits_apply() {
        let Verdict::Connect(c, _) = verdict(Appliance, AwsVgw, Routing::Static) else { panic!() };
        assert_eq!(c.object, [IpsecConnection, CustomerGateway]);
        assert_eq!(c.tunnels([1, 2]), [[(0, 0), (0, 0)], [(0, 0), (1, 0)]]);
        let Verdict::Connect(c, _) = verdict(Appliance, AzureActiveActive, Routing::Bgp) else { panic!() };
        assert_eq!(c.one_bgp_source, [true, false]);
        assert_eq!(c.bgp, End(0));
        assert!(
            matches!(verdict(GcpHaVpn, AwsVgw, Routing::Static), Verdict::Refuse(r, _) if r.code == "E_ROUTING_UNSUPPORTED")
        );
        assert!(
            matches!(verdict(AzureBasic, Appliance, Routing::Bgp), Verdict::Refuse(r, _) if r.code == "E_ROUTING_UNSUPPORTED")
        );
        let Verdict::Connect(c, _) = verdict(AzureActiveActive, AzureActiveActive, Routing::Bgp) else { panic!() };
        assert_eq!((c.object[0], c.inside, c.tunnels([2, 2]).len()), (VnetToVnet, Inside::GatewayDefault, 4));
        let Verdict::Connect(c, _) = verdict(GcpHaVpn, GcpHaVpn, Routing::Bgp) else { panic!() };
        assert_eq!(c.tunnels([2, 2]), [[(0, 0), (0, 0)], [(1, 0), (1, 0)]]);
    }
}
