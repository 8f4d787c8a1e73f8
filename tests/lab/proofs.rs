//! Which interop-lab test (tests/lab.rs) runs which plan. The pairing matrix
//! (tests/pairing_matrix.rs) reads this table: it analyzes each plan, takes the gateway classes
//! and routing of every link in it, and names the test as the proof of those cells. So a cell
//! says "proven" only when a plan that holds that pairing passes in the lab. The matrix test also
//! checks that each test named here exists in tests/lab.rs and is not ignored.

/// Where a lab test's plan comes from.
#[derive(Clone, Copy, Debug)]
pub enum PlanOf {
    /// A seed preset, by the start of its id (`"004"`).
    Preset(&'static str),
    /// A plan of tests/fixtures/plans/.
    Fixture(&'static str),
}

/// (lab test, its plan).
pub const PROOFS: &[(&str, PlanOf)] = &[
    ("preset_000_vyos_on_ec2_to_azure", PlanOf::Preset("000")),
    ("preset_001_libreswan_on_ec2_to_azure", PlanOf::Preset("001")),
    ("preset_002_aws_vgw_to_azure_static", PlanOf::Preset("002")),
    ("preset_003_strongswan_on_ec2_to_aws_vgw", PlanOf::Preset("003")),
    ("preset_004_aws_azure_gcp_bgp", PlanOf::Preset("004")),
    ("strongswan_on_premises_to_aws_vgw_over_bgp", PlanOf::Fixture("strongswan-onprem-aws-bgp.json")),
    ("libreswan_on_premises_to_gcp_ha_vpn_over_bgp", PlanOf::Fixture("libreswan-onprem-gcp-bgp.json")),
    ("vyos_on_premises_to_azure_active_standby_over_bgp", PlanOf::Fixture("vyos-onprem-azure-bgp.json")),
    ("strongswan_to_libreswan_on_premises_static", PlanOf::Fixture("strongswan-libreswan-onprem-static.json")),
    (
        "strongswan_on_premises_to_active_active_azure_over_bgp",
        PlanOf::Fixture("strongswan-onprem-azure-active-active-bgp.json"),
    ),
    ("strongswan_on_an_azure_vm_alone_in_its_site_to_aws", PlanOf::Fixture("strongswan-on-azure-vm-alone-to-aws.json")),
    ("azure_vnet_to_vnet_between_every_kind_of_gateway", PlanOf::Fixture("azure-vnet-to-vnet.json")),
    ("aws_transit_gateway_static_to_azure_and_strongswan", PlanOf::Fixture("tgw-static-to-azure-and-appliance.json")),
    ("gcp_ha_vpn_pair_and_transit_gateway_over_bgp", PlanOf::Fixture("gcp-gcp-bgp.json")),
];

/// Appliance versions whose generated configuration the lab runs on an older daemon, the only one
/// this machine (Debian 12) has: (software and version, the daemon that ran it). The lab test of
/// such a plan checks that the daemon's own log names that version; the matrix says both.
pub const RUN_BY: &[(&str, &str)] = &[("strongSwan 6", "strongSwan 5.9.8")];

/// Appliance versions no lab plan holds because no daemon here can run their configuration:
/// (software and version, why). tests/appliance_daemons.rs checks the quoted error against the
/// installed daemon.
pub const UNRUN: &[(&str, &str)] = &[(
    "Libreswan 5",
    "Libreswan 4.10, the version Debian 12 ships (it has no Libreswan 5), rejects its configuration: \
     `ipsec addconn`: keyword keyexchange, invalid value: ikev2 (Libreswan 5's `keyexchange=ikev2`, \
     4's `ikev2=insist`)",
)];

/// The quoted daemon error of an [`UNRUN`] reason.
#[allow(dead_code)]
pub fn unrun_error(why: &str) -> &str {
    why.split("`ipsec addconn`: ").nth(1).and_then(|r| r.split(" (").next()).unwrap_or(why)
}
