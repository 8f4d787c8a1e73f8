//! What the steps create, as one enum: every place that asks "is this a VPN connection?" (the
//! cost estimate, the teardown, the runbook's verify commands) matches on [`ResourceKind`], so a
//! typo is a compile error and a new kind makes the compiler list what must learn it.
//!
//! The noun is what people read (runbook, teardown, `apply` messages, `state.json`); the table
//! below is the one place each kind's facts live: which CLI makes it, which meter bills it, and
//! whether deleting it takes minutes.

use crate::kb::prices::Meter;
use serde::Serialize;

use super::Program;

/// A kind of cloud resource a step creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    AwsVpc,
    AwsSubnet,
    AwsInternetGateway,
    AwsInternetGatewayAttachment,
    AwsRouteTable,
    AwsRouteTableAssociation,
    AwsTransitGateway,
    AwsTransitGatewayVpcAttachment,
    AwsVirtualPrivateGateway,
    AwsVirtualPrivateGatewayAttachment,
    AwsCustomerGateway,
    AwsVpnConnection,
    AwsSecurityGroup,
    AwsNetworkInterface,
    AwsElasticIp,
    AwsElasticIpAssociation,
    AzureResourceGroup,
    AzureVnet,
    AzurePublicIp,
    AzureVpnGateway,
    AzureLocalNetworkGateway,
    AzureVpnConnection,
    AzureNetworkSecurityGroup,
    AzureNetworkInterface,
    AzureRouteTable,
    GcpVpcNetwork,
    GcpSubnet,
    GcpFirewallRule,
    GcpHaVpnGateway,
    GcpCloudRouter,
    GcpExternalVpnGateway,
    GcpVpnTunnel,
    GcpExternalAddress,
    GcpRoute,
}

/// The facts of one kind.
#[derive(Debug, Clone, Copy)]
pub struct KindFacts {
    pub kind: ResourceKind,
    pub program: Program,
    /// What people call it, e.g. `VPN connection`.
    pub noun: &'static str,
    /// The meter that bills it by the hour (the cost estimate); `None`: no hourly charge of its
    /// own (networks, subnets, route tables, customer and local gateways, routers).
    pub meter: Option<Meter>,
    /// Its delete returns only when the cloud has finished, which takes minutes (the teardown
    /// says so before it starts).
    pub slow_delete: bool,
}

const fn k(kind: ResourceKind, program: Program, noun: &'static str) -> KindFacts {
    KindFacts { kind, program, noun, meter: None, slow_delete: false }
}

impl KindFacts {
    /// Billed by the hour on `meter`.
    const fn billed(self, meter: Meter) -> KindFacts {
        KindFacts { meter: Some(meter), ..self }
    }

    /// Its delete takes minutes.
    const fn slow(self) -> KindFacts {
        KindFacts { slow_delete: true, ..self }
    }
}

use Program::{Aws, Az, Gcloud};
use ResourceKind as R;

/// One row per kind, in the enum's order (a test checks it).
pub const KINDS: &[KindFacts] = &[
    k(R::AwsVpc, Aws, "VPC"),
    k(R::AwsSubnet, Aws, "subnet"),
    k(R::AwsInternetGateway, Aws, "internet gateway"),
    k(R::AwsInternetGatewayAttachment, Aws, "internet gateway attachment"),
    k(R::AwsRouteTable, Aws, "route table"),
    k(R::AwsRouteTableAssociation, Aws, "route table association"),
    k(R::AwsTransitGateway, Aws, "transit gateway"),
    k(R::AwsTransitGatewayVpcAttachment, Aws, "transit gateway VPC attachment").billed(Meter::AwsTgwAttachment),
    k(R::AwsVirtualPrivateGateway, Aws, "virtual private gateway"),
    k(R::AwsVirtualPrivateGatewayAttachment, Aws, "virtual private gateway attachment"),
    k(R::AwsCustomerGateway, Aws, "customer gateway"),
    k(R::AwsVpnConnection, Aws, "VPN connection").billed(Meter::AwsVpnConnection),
    k(R::AwsSecurityGroup, Aws, "security group"),
    k(R::AwsNetworkInterface, Aws, "network interface"),
    k(R::AwsElasticIp, Aws, "elastic IP").billed(Meter::AwsPublicIpv4),
    k(R::AwsElasticIpAssociation, Aws, "elastic IP association"),
    k(R::AzureResourceGroup, Az, "resource group").slow(),
    k(R::AzureVnet, Az, "VNet"),
    k(R::AzurePublicIp, Az, "public IP").billed(Meter::AzurePublicIp),
    k(R::AzureVpnGateway, Az, "VPN gateway").billed(Meter::AzureGateway).slow(),
    k(R::AzureLocalNetworkGateway, Az, "local network gateway"),
    k(R::AzureVpnConnection, Az, "VPN connection").billed(Meter::AzureExtraConnection),
    k(R::AzureNetworkSecurityGroup, Az, "network security group"),
    k(R::AzureNetworkInterface, Az, "network interface"),
    k(R::AzureRouteTable, Az, "route table"),
    k(R::GcpVpcNetwork, Gcloud, "VPC network"),
    k(R::GcpSubnet, Gcloud, "subnet"),
    k(R::GcpFirewallRule, Gcloud, "firewall rule"),
    k(R::GcpHaVpnGateway, Gcloud, "HA VPN gateway"),
    k(R::GcpCloudRouter, Gcloud, "Cloud Router"),
    k(R::GcpExternalVpnGateway, Gcloud, "external VPN gateway"),
    k(R::GcpVpnTunnel, Gcloud, "VPN tunnel").billed(Meter::GcpVpnTunnel),
    k(R::GcpExternalAddress, Gcloud, "external address").billed(Meter::GcpExternalIp),
    k(R::GcpRoute, Gcloud, "route"),
];

impl ResourceKind {
    /// This kind's row of [`KINDS`].
    pub fn facts(self) -> &'static KindFacts {
        &KINDS[self as usize]
    }

    /// What people call it, e.g. `VPN connection`.
    pub fn noun(self) -> &'static str {
        self.facts().noun
    }

    /// The CLI that creates it.
    pub fn program(self) -> Program {
        self.facts().program
    }

    /// A VPN connection, on whichever cloud.
    pub fn is_vpn_connection(self) -> bool {
        matches!(self, R::AwsVpnConnection | R::AzureVpnConnection)
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// Serialized as its noun, as the steps' JSON always showed it.
impl Serialize for ResourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.noun())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_kind_in_order() {
        for (i, row) in KINDS.iter().enumerate() {
            assert_eq!(row.kind as usize, i, "{:?} is out of place", row.kind);
        }
        assert_eq!(KINDS.len(), R::GcpRoute as usize + 1, "a kind has no row");
    }

    #[test]
    fn a_noun_names_one_kind_per_cli() {
        for a in KINDS {
            for b in KINDS {
                if a.kind != b.kind {
                    assert!(a.noun != b.noun || a.program != b.program, "{:?} and {:?}", a.kind, b.kind);
                }
            }
        }
    }
}
