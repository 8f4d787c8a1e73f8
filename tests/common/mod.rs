//! Test helpers shared by several test crates: an arbitrary-plan strategy for proptest.
#![allow(dead_code)]

use proptest::prelude::*;
use tunnelsmith::plan::*;

fn text_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,12}",
        ".{0,8}",
        Just("10.0.0.0/8".to_string()),
        Just("$(reboot)'\"`;\n".to_string()),
    ]
}

fn cidr_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0u8..=3, 0u8..=255, 8u8..=30).prop_map(|(a, b, len)| format!("10.{}.{b}.0/{len}", a * 60)),
        1 => Just("169.254.0.0/16".to_string()),
        1 => Just("not-a-cidr".to_string()),
        1 => Just("172.16.5.7/12".to_string()),
    ]
}

fn gateway() -> impl Strategy<Value = Gateway> {
    let asn = prop_oneof![3 => Just(None), 1 => (0u32..70_000).prop_map(Some)];
    prop_oneof![
        asn.clone().prop_map(|asn| Gateway::AwsVgw { asn }),
        asn.clone().prop_map(|asn| Gateway::AwsTgw { asn }),
        (
            prop_oneof![Just("VpnGw1AZ"), Just("Basic"), Just("VpnGw2"), Just("Nope")],
            any::<bool>(),
            any::<bool>(),
            asn.clone()
        )
            .prop_map(|(sku, aa, pb, asn)| Gateway::AzureVpnGateway {
                sku: sku.into(),
                active_active: aa,
                vpn_type: if pb { AzureVpnType::PolicyBased } else { AzureVpnType::RouteBased },
                asn,
            }),
        asn.clone().prop_map(|asn| Gateway::GcpHaVpn { asn }),
        Just(Gateway::GcpClassicVpn {}),
        (
            prop_oneof![Just(Software::Libreswan), Just(Software::Strongswan), Just(Software::Vyos)],
            prop_oneof![Just("4"), Just("5"), Just("6"), Just("1.3"), Just("1.4"), Just("9")],
            prop_oneof![Just(""), Just("198.51.100.7"), Just("10.0.0.1"), Just("x")],
            asn,
        )
            .prop_map(|(software, version, ip, asn)| Gateway::Appliance {
                software,
                version: version.into(),
                public_ip: ip.into(),
                private_ip: String::new(),
                asn,
            }),
    ]
}

fn site(i: usize) -> impl Strategy<Value = Site> {
    (
        prop_oneof![Just(Platform::Aws), Just(Platform::Azure), Just(Platform::Gcp), Just(Platform::Onprem)],
        text_field(),
        prop::collection::vec(cidr_text(), 0..3),
        prop::collection::vec((text_field(), cidr_text()), 0..3),
        gateway(),
    )
        .prop_map(move |(platform, region, spaces, subnets, gateway)| Site {
            name: format!("s{i}"),
            platform,
            region,
            address_spaces: spaces,
            subnets: subnets.into_iter().map(|(name, cidr)| Subnet { name, cidr }).collect(),
            network: Network::New,
            gateway,
        })
}

pub fn plan() -> impl Strategy<Value = Plan> {
    (1usize..10)
        .prop_flat_map(|n| {
            let sites: Vec<_> = (0..n).map(site).collect();
            let links = prop::collection::vec(
                (
                    0..n + 1,
                    0..n + 1,
                    any::<bool>(),
                    prop::option::of(0u8..6),
                    prop::option::of(prop_oneof![Just(2u8), Just(14), Just(20), Just(21), Just(0)]),
                    prop::collection::vec(prop::option::of(cidr_text()), 0..3),
                ),
                0..12,
            );
            (text_field(), sites, links, any::<bool>())
        })
        .prop_map(|(name, sites, links, hub)| {
            let n = sites.len();
            let links = links
                .into_iter()
                .map(|(a, b, bgp, tunnels, dh, inside)| Link {
                    a: format!("s{}", a.min(n)),
                    b: format!("s{}", b.min(n)),
                    routing: if bgp { Routing::Bgp } else { Routing::Static },
                    tunnels,
                    crypto: Crypto { phase1_dh_group: dh.filter(|d| *d != 0), pfs_group: dh, ..Crypto::default() },
                    inside,
                })
                .collect();
            let topology = if hub { Topology::HubAndSpoke } else { Topology::FullMesh };
            Plan { version: PLAN_VERSION, name, description: String::new(), sites, links, topology }
        })
}
