//! Every check rule, shown firing on a plan that breaks it and silent on the plan it was made
//! from. A code in `check::CODES` without a case here fails `every_code_has_a_case`.

use tunnelsmith::check::{analyze, Finding, Severity, CODES};
use tunnelsmith::plan::*;
use tunnelsmith::presets::PRESETS;

fn preset(i: usize) -> Plan {
    PRESETS[i].plan()
}

struct Case {
    code: &'static str,
    /// Preset the case starts from; must be silent for `code`.
    base: usize,
    mutate: fn(&mut Plan),
    /// Path of the finding.
    path: &'static str,
    /// Words the message or fix must contain.
    says: &'static [&'static str],
}

fn azure_gw(p: &mut Plan, i: usize) -> &mut Gateway {
    &mut p.sites[i].gateway
}

fn set_sku(p: &mut Plan, i: usize, new: &str) {
    if let Gateway::AzureVpnGateway { sku, .. } = azure_gw(p, i) {
        *sku = new.into();
    }
}

fn set_active_active(p: &mut Plan, i: usize, on: bool) {
    if let Gateway::AzureVpnGateway { active_active, .. } = azure_gw(p, i) {
        *active_active = on;
    }
}

fn appliance(p: &mut Plan, i: usize) -> (&mut String, &mut String, &mut String, &mut Option<u32>) {
    match &mut p.sites[i].gateway {
        Gateway::Appliance { version, public_ip, private_ip, asn, .. } => (version, public_ip, private_ip, asn),
        g => panic!("not an appliance: {g:?}"),
    }
}

fn set_asn(p: &mut Plan, i: usize, v: u32) {
    match &mut p.sites[i].gateway {
        Gateway::AwsVgw { asn } | Gateway::AwsTgw { asn } | Gateway::GcpHaVpn { asn } => *asn = Some(v),
        Gateway::AzureVpnGateway { asn, .. } | Gateway::Appliance { asn, .. } => *asn = Some(v),
        Gateway::GcpClassicVpn {} => {}
    }
}

/// Add an active-active Azure site `name` with 10.<n>.0.0/16, linked to site `to` by static routing.
fn add_azure_site(p: &mut Plan, name: &str, n: u8, to: &str) {
    p.sites.push(Site {
        name: name.into(),
        platform: Platform::Azure,
        region: "eastus".into(),
        address_spaces: vec![format!("10.{n}.0.0/16")],
        subnets: vec![Subnet { name: "GatewaySubnet".into(), cidr: format!("10.{n}.255.0/27") }],
        network: Network::New,
        gateway: Gateway::AzureVpnGateway {
            sku: "VpnGw1AZ".into(),
            active_active: true,
            vpn_type: AzureVpnType::RouteBased,
            asn: None,
        },
    });
    p.links.push(Link {
        a: to.into(),
        b: name.into(),
        routing: Routing::Static,
        tunnels: None,
        crypto: Crypto::default(),
        inside: vec![],
    });
}

const CASES: &[Case] = &[
    // plan and sites
    Case {
        code: "E_PLAN_NAME",
        base: 2,
        mutate: |p| p.name = "VPN Test".into(),
        path: "name",
        says: &["'V'", "vpn-test"],
    },
    Case {
        code: "E_SITE_COUNT",
        base: 2,
        mutate: |p| {
            p.sites.truncate(1);
            p.links.clear()
        },
        path: "sites",
        says: &["1 site", "2 to 8"],
    },
    Case {
        code: "E_SITE_NAME",
        base: 2,
        mutate: |p| {
            p.sites[0].name = "Azure $(id)".into();
            p.links[0].a = "Azure $(id)".into()
        },
        path: "sites[0].name",
        says: &["'A'", "azure-id"],
    },
    Case {
        code: "E_SITE_NAME_DUPLICATE",
        base: 2,
        mutate: |p| p.sites[1].name = "azure".into(),
        path: "sites[1].name",
        says: &["already called"],
    },
    Case {
        code: "E_REGION_MISSING",
        base: 2,
        mutate: |p| p.sites[1].region.clear(),
        path: "sites[1].region",
        says: &["needs a region"],
    },
    Case {
        code: "E_REGION_INVALID",
        base: 2,
        mutate: |p| p.sites[1].region = "eu-central-1;reboot".into(),
        path: "sites[1].region",
        says: &["';'"],
    },
    Case {
        code: "W_REGION_UNKNOWN",
        base: 2,
        mutate: |p| p.sites[1].region = "eu-centrel-1".into(),
        path: "sites[1].region",
        says: &["eu-central-1"],
    },
    Case {
        code: "E_NETWORK_ID",
        base: 2,
        mutate: |p| p.sites[1].network = Network::Existing { id: "vpc-xyz".into(), resource_group: String::new() },
        path: "sites[1].network.id",
        says: &["not an AWS VPC ID"],
    },
    Case {
        code: "E_GATEWAY_PLATFORM",
        base: 2,
        mutate: |p| p.sites[1].gateway = Gateway::GcpHaVpn { asn: None },
        path: "sites[1].gateway.kind",
        says: &["Google Cloud", "this site is on AWS"],
    },
    Case {
        code: "E_AZURE_SKU_UNKNOWN",
        base: 2,
        mutate: |p| set_sku(p, 0, "VpnGw9"),
        path: "sites[0].gateway.sku",
        says: &["VpnGw1AZ"],
    },
    Case {
        code: "E_AZURE_SKU_RETIRED",
        base: 2,
        mutate: |p| set_sku(p, 0, "VpnGw1"),
        path: "sites[0].gateway.sku",
        says: &["no longer", "use VpnGw1AZ"],
    },
    Case {
        code: "E_AZURE_SKU_FEATURE",
        base: 2,
        mutate: |p| {
            set_sku(p, 0, "Basic");
            set_active_active(p, 0, true)
        },
        path: "sites[0].gateway.active_active",
        says: &["Basic SKU cannot be active-active"],
    },
    Case {
        code: "E_APPLIANCE_VERSION",
        base: 1,
        mutate: |p| *appliance(p, 0).0 = "3".into(),
        path: "sites[0].gateway.version",
        says: &["Libreswan version '3'", "4, 5"],
    },
    Case {
        code: "E_APPLIANCE_PUBLIC_IP",
        base: 1,
        mutate: |p| *appliance(p, 0).1 = "10.9.9.9".into(),
        path: "sites[0].gateway.public_ip",
        says: &["not a public address"],
    },
    Case {
        code: "W_APPLIANCE_PUBLIC_IP_DOC",
        base: 1,
        mutate: |p| *appliance(p, 0).1 = "203.0.113.5".into(),
        path: "sites[0].gateway.public_ip",
        says: &["documentation"],
    },
    Case {
        code: "E_APPLIANCE_PRIVATE_IP",
        base: 1,
        mutate: |p| *appliance(p, 0).2 = "192.168.7.7".into(),
        path: "sites[0].gateway.private_ip",
        says: &["outside the site's address spaces"],
    },
    // addressing
    Case {
        code: "E_CIDR_INVALID",
        base: 2,
        mutate: |p| p.sites[0].address_spaces[0] = "10.1.0.0".into(),
        path: "sites[0].address_spaces[0]",
        says: &["no prefix length"],
    },
    Case {
        code: "W_CIDR_HOST_BITS",
        base: 2,
        mutate: |p| p.sites[0].address_spaces[0] = "10.1.0.1/16".into(),
        path: "sites[0].address_spaces[0]",
        says: &["10.1.0.0/16"],
    },
    Case {
        code: "E_CIDR_FORBIDDEN",
        base: 2,
        mutate: |p| p.sites[1].address_spaces.push("169.254.0.0/16".into()),
        path: "sites[1].address_spaces[1]",
        says: &["link-local"],
    },
    Case {
        code: "W_CIDR_NOT_PRIVATE",
        base: 3,
        mutate: |p| {
            p.sites[0].address_spaces[0] = "172.50.0.0/16".into();
            p.sites[0].subnets[0].cidr = "172.50.0.0/24".into();
            *appliance(p, 0).2 = "172.50.0.10".into()
        },
        path: "sites[0].address_spaces[0]",
        says: &["public address space"],
    },
    Case {
        code: "E_CIDR_SIZE",
        base: 2,
        mutate: |p| p.sites[1].address_spaces[0] = "10.2.0.0/15".into(),
        path: "sites[1].address_spaces[0]",
        says: &["/16 to /28"],
    },
    Case {
        code: "E_CIDR_OVERLAP",
        base: 2,
        mutate: |p| {
            p.sites[1].address_spaces[0] = "10.1.0.0/16".into();
            p.sites[1].subnets[0].cidr = "10.1.9.0/24".into()
        },
        path: "sites[1].address_spaces[0]",
        says: &["overlaps 10.1.0.0/16 of site azure"],
    },
    Case {
        code: "E_CIDR_OVERLAP_SITE",
        base: 2,
        mutate: |p| p.sites[0].address_spaces.push("10.1.2.0/24".into()),
        path: "sites[0].address_spaces[1]",
        says: &["same site"],
    },
    Case {
        code: "E_SUBNET_OUTSIDE",
        base: 2,
        mutate: |p| p.sites[1].subnets[0].cidr = "10.3.1.0/24".into(),
        path: "sites[1].subnets[0].cidr",
        says: &["outside"],
    },
    Case {
        code: "E_SUBNET_NAME",
        base: 4,
        mutate: |p| p.sites[2].subnets[0].name = "VMs".into(),
        path: "sites[2].subnets[0].name",
        says: &["'V'"],
    },
    Case {
        code: "E_SPACES_MISSING",
        base: 2,
        mutate: |p| {
            p.sites[1].address_spaces.clear();
            p.sites[1].subnets.clear()
        },
        path: "sites[1].address_spaces",
        says: &["no address space"],
    },
    Case {
        code: "W_SUBNETS_MISSING",
        base: 2,
        mutate: |p| p.sites[1].subnets.clear(),
        path: "sites[1].subnets",
        says: &["no subnet"],
    },
    Case {
        code: "E_AZURE_GATEWAY_SUBNET",
        base: 2,
        mutate: |p| p.sites[0].subnets.retain(|s| s.name != "GatewaySubnet"),
        path: "sites[0].subnets",
        says: &["GatewaySubnet", "10.1.255.224/27"],
    },
    Case {
        code: "W_AZURE_GATEWAY_SUBNET_SMALL",
        base: 2,
        mutate: |p| p.sites[0].subnets[1].cidr = "10.1.0.0/28".into(),
        path: "sites[0].subnets[1].cidr",
        says: &["/27"],
    },
    // ASNs
    Case {
        code: "E_ASN_INVALID",
        base: 4,
        mutate: |p| set_asn(p, 0, 1000),
        path: "sites[0].gateway.asn",
        says: &["64512–65534"],
    },
    Case {
        code: "E_ASN_PEER_RESERVED",
        base: 4,
        mutate: |p| set_asn(p, 0, 65_517),
        path: "sites[0].gateway.asn",
        says: &["reserved by Azure", "azure rejects"],
    },
    Case {
        code: "E_ASN_SAME",
        base: 4,
        mutate: |p| set_asn(p, 2, 65_001),
        path: "sites[1].gateway.asn",
        says: &["both use ASN 65001"],
    },
    Case {
        code: "W_ASN_DUPLICATE",
        base: 4,
        mutate: |p| set_asn(p, 2, 65_001),
        path: "sites[2].gateway.asn",
        says: &["65001"],
    },
    Case {
        code: "W_ASN_PUBLIC",
        base: 1,
        mutate: |p| *appliance(p, 0).3 = Some(3356),
        path: "sites[0].gateway.asn",
        says: &["public ASN"],
    },
    // links and topology
    Case {
        code: "E_LINK_SITE",
        base: 2,
        mutate: |p| p.links[0].b = "awz".into(),
        path: "links[0].b",
        says: &["no site is called 'awz'"],
    },
    Case {
        code: "E_LINK_SELF",
        base: 2,
        mutate: |p| p.links[0].b = "azure".into(),
        path: "links[0].b",
        says: &["to itself"],
    },
    Case {
        code: "E_LINK_DUPLICATE",
        base: 2,
        mutate: |p| {
            let mut l = p.links[0].clone();
            std::mem::swap(&mut l.a, &mut l.b);
            p.links.push(l)
        },
        path: "links[1]",
        says: &["already joins"],
    },
    Case {
        code: "E_LINK_INCOMPATIBLE",
        base: 3,
        mutate: |p| p.sites[0].gateway = Gateway::AwsVgw { asn: None },
        path: "links[0]",
        says: &["cannot be joined", "appliance"],
    },
    Case {
        code: "E_ROUTING_UNSUPPORTED",
        base: 4,
        mutate: |p| p.links[2].routing = Routing::Static,
        path: "links[2].routing",
        says: &["HA VPN routes only with BGP", "\"bgp\""],
    },
    Case {
        code: "E_AZURE_AWS_BGP",
        base: 2,
        mutate: |p| p.links[0].routing = Routing::Bgp,
        path: "links[0].routing",
        says: &["active-active", "4 tunnels"],
    },
    Case {
        code: "E_AZURE_APIPA_ACTIVE_STANDBY",
        base: 4,
        mutate: |p| set_active_active(p, 1, false),
        path: "sites[1].gateway.active_active",
        says: &["single custom APIPA"],
    },
    Case {
        code: "E_TUNNELS_COUNT",
        base: 2,
        mutate: |p| p.links[0].tunnels = Some(3),
        path: "links[0].tunnels",
        says: &["can form 2 tunnels"],
    },
    Case {
        code: "W_TUNNELS_REDUCED",
        base: 2,
        mutate: |p| p.links[0].tunnels = Some(1),
        path: "links[0].tunnels",
        says: &["two tunnels per VPN connection"],
    },
    Case {
        code: "W_AWS_STATIC_NO_FAILOVER",
        base: 2,
        mutate: |p| {
            if let Gateway::AzureVpnGateway { active_active, .. } = &mut p.sites[0].gateway {
                *active_active = true;
            }
        },
        path: "links[0].routing",
        says: &[
            "2 VPN connections",
            "one per Azure instance",
            "traffic from aws to azure stops",
            "bgp",
            "active-standby",
        ],
    },
    Case {
        code: "E_CONNECTION_LIMIT",
        base: 4,
        mutate: |p| {
            for (k, name) in ["az2", "az3", "az4", "az5"].iter().enumerate() {
                add_azure_site(p, name, 20 + k as u8, "aws");
            }
        },
        path: "sites[0].gateway",
        says: &["12 VPN connections", "10"],
    },
    Case {
        code: "W_TOPOLOGY_MISSING_LINK",
        base: 4,
        mutate: |p| {
            p.links.pop();
        },
        path: "links",
        // Both keep BGP links to azure's active-active gateway, which passes traffic between them.
        says: &["no direct link between aws and gcp", "goes through azure", "Azure VPN gateway with BGP"],
    },
    Case {
        code: "W_TOPOLOGY_MISSING_LINK",
        base: 2,
        // azure2 ↔ azure is static: azure's gateway advertises nothing, so aws cannot reach azure2.
        mutate: |p| add_azure_site(p, "azure2", 9, "azure"),
        path: "links",
        says: &["no link between aws and azure2", "cannot reach each other", "mark hub and spoke as intended"],
    },
    Case {
        code: "I_TOPOLOGY_UNLINKED",
        base: 4,
        mutate: |p| {
            p.links.pop();
            p.topology = Topology::HubAndSpoke;
        },
        path: "links",
        says: &["aws and gcp are left without a link, as intended (hub and spoke)", "goes through azure"],
    },
    Case {
        code: "I_TOPOLOGY_UNLINKED",
        base: 2,
        mutate: |p| {
            add_azure_site(p, "azure2", 9, "azure");
            p.topology = Topology::HubAndSpoke;
        },
        path: "links",
        says: &["aws and azure2 are left without a link, as intended", "cannot reach each other"],
    },
    Case {
        code: "W_AZURE_NO_WORKLOAD_SUBNET",
        base: 2,
        mutate: |p| p.sites[0].subnets.retain(|s| s.name == "GatewaySubnet"),
        path: "sites[0].subnets",
        says: &["only subnet is GatewaySubnet", "add a workload subnet"],
    },
    // crypto: the seed-000 situation, an IKEv1-only end against an IKEv2-only end
    Case {
        code: "E_IKE_NO_COMMON",
        base: 1,
        mutate: |p| {
            *appliance(p, 0).0 = "5".into();
            set_sku(p, 1, "Basic");
            if let Gateway::AzureVpnGateway { vpn_type, .. } = azure_gw(p, 1) {
                *vpn_type = AzureVpnType::PolicyBased;
            }
        },
        path: "links[0]",
        says: &["speaks only IKEv2", "speaks only IKEv1", "can never come up"],
    },
    Case {
        code: "E_CRYPTO_REJECTED",
        base: 2,
        mutate: |p| {
            set_sku(p, 0, "Basic");
            p.links[0].crypto.ike_version = Some(IkeVersion::V1)
        },
        path: "links[0].crypto.ike_version",
        says: &["IKEv1 is rejected", "azure (Azure Basic VPN gateway) speaks only IKEv2", "use IKEv2"],
    },
    Case {
        code: "E_CRYPTO_REJECTED",
        base: 2,
        mutate: |p| p.links[0].crypto.phase1_dh_group = Some(21),
        path: "links[0].crypto.phase1_dh_group",
        says: &["rejected by azure", "use DH 20 (ecp384), the nearest"],
    },
    Case {
        code: "E_CRYPTO_REJECTED",
        base: 4,
        mutate: |p| p.links[2].crypto.pfs_group = Some(0),
        path: "links[2].crypto.pfs_group",
        says: &["requires PFS", "aws", "gcp"],
    },
    Case {
        code: "E_CRYPTO_NO_COMMON",
        base: 1,
        mutate: |p| set_sku(p, 1, "Basic"),
        path: "links[0].crypto.phase1_dh_group",
        says: &["share no phase 1 Diffie-Hellman group", "azure accepts DH 2"],
    },
    Case {
        code: "E_LIFETIME_RANGE",
        base: 2,
        mutate: |p| p.links[0].crypto.phase2_lifetime = Some(27_000),
        path: "links[0].crypto.phase2_lifetime",
        says: &["aws accepts", "900–3600", "use 3600"],
    },
    Case {
        code: "E_LIFETIME_ORDER",
        base: 3,
        mutate: |p| p.links[0].crypto.phase1_lifetime = Some(3_600),
        path: "links[0].crypto.phase2_lifetime",
        says: &["below the phase 1 lifetime"],
    },
    Case {
        code: "E_DPD_RANGE",
        base: 2,
        mutate: |p| p.links[0].crypto.dpd_timeout = Some(10),
        path: "links[0].crypto.dpd_timeout",
        says: &["aws accepts a DPD timeout", "use 30"],
    },
    Case {
        code: "W_CRYPTO_WEAK",
        base: 2,
        mutate: |p| p.links[0].crypto.ike_version = Some(IkeVersion::V1),
        path: "links[0].crypto.ike_version",
        says: &["RFC 9395"],
    },
    Case {
        code: "W_CRYPTO_WEAK",
        base: 3,
        mutate: |p| p.links[0].crypto.phase1_dh_group = Some(2),
        path: "links[0].crypto.phase1_dh_group",
        says: &["1024-bit"],
    },
    Case {
        code: "E_AZURE_IKEV1_SCRIPTS",
        base: 0,
        mutate: |p| p.links[0].crypto.ike_version = Some(IkeVersion::V1),
        path: "links[0].crypto.ike_version",
        says: &["azure would get an IKEv2 connection", "use IKEv2"],
    },
    Case {
        code: "W_CRYPTO_IGNORED",
        base: 2,
        mutate: |p| {
            p.links[0].crypto.phase2_encryption = Some(Encryption::Aes256Gcm16);
            p.links[0].crypto.phase2_integrity = Some(Integrity::Sha256)
        },
        path: "links[0].crypto.phase2_integrity",
        says: &["ignored"],
    },
    // info findings fire on the presets; silent where the link cannot be negotiated
    Case {
        code: "I_CRYPTO_PROFILE",
        base: 0,
        mutate: |_| {},
        path: "links[0].crypto",
        says: &["recommended profile", "IKEv2"],
    },
    Case {
        code: "I_LIFETIME_DIFFERS",
        base: 4,
        mutate: |_| {},
        path: "links[2].crypto.phase2_lifetime",
        says: &["10800"],
    },
    Case { code: "I_MTU", base: 0, mutate: |_| {}, path: "links[0]", says: &["MSS clamp 1350"] },
    // inside addresses
    Case {
        code: "E_INSIDE_INVALID",
        base: 4,
        mutate: |p| p.links[0].inside = vec![Some("169.254.21.0/29".into())],
        path: "links[0].inside[0]",
        says: &["not a /30"],
    },
    Case {
        code: "E_INSIDE_RULE",
        base: 4,
        mutate: |p| p.links[0].inside = vec![Some("169.254.30.0/30".into())],
        path: "links[0].inside[0]",
        says: &["169.254.21.0–169.254.22.255"],
    },
    Case {
        code: "E_INSIDE_RULE",
        base: 2,
        mutate: |p| p.links[0].inside = vec![Some("169.254.169.252/30".into())],
        path: "links[0].inside[0]",
        says: &["AWS's reserved blocks"],
    },
    Case {
        code: "E_INSIDE_DUPLICATE",
        base: 4,
        mutate: |p| p.links[0].inside = vec![Some("169.254.21.0/30".into()), Some("169.254.21.0/30".into())],
        path: "links[0].inside[1]",
        says: &["already used", "links[0].inside[0]"],
    },
    Case {
        code: "E_INSIDE_EXTRA",
        base: 2,
        mutate: |p| p.links[0].inside = vec![None, None, Some("169.254.30.0/30".into())],
        path: "links[0].inside",
        says: &["3 inside /30s pinned for 2 tunnels"],
    },
];

/// Codes exercised by dedicated tests elsewhere (they need inputs a plan cannot carry).
const ELSEWHERE: &[(&str, &str)] = &[
    ("E_INSIDE_EXHAUSTED", "tests/properties.rs: exhausting_the_azure_window_is_reported"),
    ("E_PSK_MISSING", "src/secrets.rs: user_keys_are_checked_against_both_ends"),
    ("E_PSK_REJECTED", "src/secrets.rs: user_keys_are_checked_against_both_ends"),
];

fn with(code: &str, findings: &[Finding]) -> Vec<Finding> {
    findings.iter().filter(|f| f.code == code).cloned().collect()
}

#[test]
fn every_rule_fires_on_its_case() {
    for c in CASES {
        let mut plan = preset(c.base);
        (c.mutate)(&mut plan);
        let a = analyze(&plan);
        let hits = with(c.code, &a.findings);
        let hit = hits.iter().find(|f| f.path == c.path);
        let Some(f) = hit else {
            panic!(
                "{} did not fire at {} (fired at {:?}); all findings:\n{:#?}",
                c.code,
                c.path,
                hits.iter().map(|f| &f.path).collect::<Vec<_>>(),
                a.findings
            )
        };
        let text = format!("{} {}", f.message, f.fix);
        for w in c.says {
            assert!(text.contains(w), "{} at {}: expected {w:?} in: {text}", c.code, c.path);
        }
        assert!(!f.message.is_empty());
        if f.severity != Severity::Info {
            assert!(!f.fix.is_empty(), "{} has no fix", c.code);
        }
    }
}

/// The link index of a finding path `links[N]…`.
fn link_of(path: &str) -> Option<usize> {
    path.strip_prefix("links[")?.split(']').next()?.parse().ok()
}

/// `p` with link `l` between two AWS virtual private gateways, which cannot be negotiated (AWS
/// VPN connections end on a customer gateway, never on another VPN connection).
fn unnegotiable(p: &mut Plan, l: usize) {
    for name in [p.links[l].a.clone(), p.links[l].b.clone()] {
        let s = p.sites.iter_mut().find(|s| s.name == name).expect("the link's site");
        s.platform = Platform::Aws;
        s.gateway = Gateway::AwsVgw { asn: None };
    }
}

#[test]
fn every_rule_is_silent_on_its_base_preset() {
    for c in CASES {
        let base = preset(c.base);
        let (plan, at) = if c.code.starts_with("I_") && c.path != "links" {
            // Info codes about a link describe healthy links and fire on the base as it is: the
            // case's base with the case's link made one that cannot be negotiated must be silent
            // there. (`I_TOPOLOGY_UNLINKED`, about the plan's missing links, is silent on its base
            // like any other code.)
            let l = link_of(c.path).unwrap_or_else(|| panic!("{}: an info case names a link path", c.code));
            assert!(
                with(c.code, &analyze(&base).findings).iter().any(|f| f.path == c.path),
                "{} is silent on the healthy base {}",
                c.code,
                PRESETS[c.base].id
            );
            let mut p = base;
            unnegotiable(&mut p, l);
            (p, Some(l))
        } else {
            (base, None)
        };
        let fired = with(c.code, &analyze(&plan).findings);
        let loud: Vec<&Finding> = fired.iter().filter(|f| at.is_none() || link_of(&f.path) == at).collect();
        assert!(loud.is_empty(), "{} fires on its base preset {}: {loud:#?}", c.code, PRESETS[c.base].id);
    }
}

#[test]
fn every_code_has_a_case() {
    for code in CODES {
        let covered = CASES.iter().any(|c| c.code == code.code) || ELSEWHERE.iter().any(|(c, _)| *c == code.code);
        assert!(covered, "{} has no firing case", code.code);
        let sev = CASES.iter().find(|c| c.code == code.code).map(|c| {
            let mut p = preset(c.base);
            (c.mutate)(&mut p);
            with(c.code, &analyze(&p).findings)[0].severity
        });
        if let Some(sev) = sev {
            assert_eq!(sev, code.severity, "{} registered as {:?}", code.code, code.severity);
        }
    }
}

/// Marking hub and spoke as intended (issue 18 item 7) turns each missing-link warning into
/// information saying the same, and changes nothing else the check finds.
#[test]
fn hub_and_spoke_marked_as_intended_silences_only_the_missing_link_warnings() {
    let mut mesh = preset(4);
    add_azure_site(&mut mesh, "azure2", 9, "azure");
    mesh.links.remove(0);
    let warned = with("W_TOPOLOGY_MISSING_LINK", &analyze(&mesh).findings);
    assert_eq!(warned.len(), 3, "{warned:#?}");
    let mut hub = mesh.clone();
    hub.topology = Topology::HubAndSpoke;
    let a = analyze(&hub);
    assert!(with("W_TOPOLOGY_MISSING_LINK", &a.findings).is_empty());
    let told = with("I_TOPOLOGY_UNLINKED", &a.findings);
    assert_eq!(told.len(), warned.len());
    for (w, i) in warned.iter().zip(&told) {
        let pair = w
            .message
            .split([':', ','])
            .next()
            .unwrap()
            .replace("no direct link between ", "")
            .replace("no link between ", "");
        assert!(
            i.message.starts_with(&format!("{pair} are left without a link, as intended")),
            "{} / {}",
            w.message,
            i.message
        );
    }
    let rest = |f: &[Finding]| -> Vec<Finding> { f.iter().filter(|f| !f.code.contains("TOPOLOGY")).cloned().collect() };
    assert_eq!(rest(&analyze(&mesh).findings), rest(&a.findings));
}

/// Issue 18 item 10: typing another site's range over a site's address space lists the overlap
/// (the cause, with a free range to use) before the subnets it leaves outside (its consequences).
#[test]
fn an_overlap_comes_before_the_subnets_it_strands_and_names_a_free_range() {
    let mut p = preset(4);
    p.sites[1].address_spaces[0] = p.sites[0].address_spaces[0].clone();
    let errors: Vec<Finding> = analyze(&p).findings.into_iter().filter(|f| f.is_error()).collect();
    let codes: Vec<&str> = errors.iter().map(|f| f.code).collect();
    let overlap = codes.iter().position(|c| *c == "E_CIDR_OVERLAP").expect("overlap");
    let first_outside = codes.iter().position(|c| *c == "E_SUBNET_OUTSIDE").expect("a subnet left outside");
    assert!(overlap < first_outside, "{codes:?}");
    let taken: Vec<&String> = p.sites.iter().flat_map(|s| &s.address_spaces).collect();
    let fix = &errors[overlap].fix;
    let free = fix.strip_prefix("use '").and_then(|r| r.split('\'').next()).unwrap_or_else(|| panic!("{fix}"));
    assert!(!taken.iter().any(|t| *t == free), "{free} is taken: {fix}");
    assert!(free.ends_with(&format!("/{}", p.sites[0].address_spaces[0].split('/').nth(1).unwrap())), "{fix}");
}

#[test]
fn all_presets_check_without_errors() {
    for p in PRESETS {
        let a = analyze(&p.plan());
        let errors: Vec<&Finding> = a.findings.iter().filter(|f| f.is_error()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", p.id);
        let warnings: Vec<&Finding> = a.findings.iter().filter(|f| f.severity == Severity::Warning).collect();
        assert!(warnings.is_empty(), "{}: {warnings:#?}", p.id);
    }
}

#[test]
fn findings_come_errors_first_and_every_source_is_cited() {
    let mut p = preset(4);
    p.links.pop();
    p.links[0].crypto.phase1_dh_group = Some(21);
    let a = analyze(&p);
    let sev: Vec<Severity> = a.findings.iter().map(|f| f.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort();
    assert_eq!(sev, sorted);
    let cited: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.code.starts_with("E_CRYPTO") || f.code.starts_with("E_AZURE") || f.code.starts_with("W_TOPOLOGY"))
        .collect();
    for f in &cited {
        assert!(f.source.starts_with('['), "{} lacks a source", f.code);
    }
    // The DH group 21 this plan asks for is one the link rejects: at least that finding was checked.
    assert!(
        cited.iter().any(|f| f.code == "E_CRYPTO_REJECTED" && f.path.ends_with("phase1_dh_group")),
        "the plan no longer makes the findings whose sources this test checks: {:#?}",
        a.findings
    );
}
