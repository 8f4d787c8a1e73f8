//! Property tests: the overlap detector against brute force, the /30 allocator against every
//! platform rule, and `analyze` on arbitrary plans.

use ipnet::Ipv4Net;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use tunnelsmith::check::overlap::{overlapping_pairs, overlapping_pairs_naive, overlaps};
use tunnelsmith::check::{allocate, analyze, InsideRequest};
use tunnelsmith::kb::addressing::{within, AWS_RESERVED_INSIDE, AZURE_APIPA, LINK_LOCAL};
use tunnelsmith::plan::*;

fn prefix() -> impl Strategy<Value = Ipv4Net> {
    // Small address range and wide lengths so that overlaps are common.
    (0u32..1 << 12, 8u8..=32)
        .prop_map(|(hi, len)| Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 | (hi << 12)), len).unwrap().trunc())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn overlap_detector_agrees_with_brute_force(nets in prop::collection::vec(prefix(), 0..80)) {
        let fast = overlapping_pairs(&nets);
        let naive = overlapping_pairs_naive(&nets);
        for &(a, b) in &fast {
            prop_assert!(a != b && overlaps(&nets[a], &nets[b]), "reported pair does not overlap");
        }
        let in_fast: BTreeSet<usize> = fast.iter().flat_map(|&(a, b)| [a, b]).collect();
        let in_naive: BTreeSet<usize> = naive.iter().flat_map(|&(a, b)| [a, b]).collect();
        prop_assert_eq!(in_fast, in_naive, "every overlapping prefix must be reported");
        prop_assert!(fast.len() < nets.len().max(1), "at most one pair per prefix");
    }
}

fn kind() -> impl Strategy<Value = GatewayKind> {
    prop_oneof![
        Just(GatewayKind::AwsVgw),
        Just(GatewayKind::AwsTgw),
        Just(GatewayKind::AzureVpnGateway),
        Just(GatewayKind::GcpHaVpn),
        Just(GatewayKind::Appliance),
    ]
}

fn request() -> impl Strategy<Value = InsideRequest> {
    let pin = prop_oneof![
        4 => Just(None),
        // anywhere in link-local, in the Azure window, or not a /30 at all
        2 => (0u32..1 << 14).prop_map(|q| Some(Ipv4Net::new(Ipv4Addr::from(0xa9fe_0000 | (q << 2)), 30).unwrap())),
        2 => (0u32..128).prop_map(|q| Some(Ipv4Net::new(Ipv4Addr::from(0xa9fe_1500 | (q << 2)), 30).unwrap())),
        1 => Just(Some("169.254.21.0/29".parse().unwrap())),
        1 => (0u32..7).prop_map(|k| Some(AWS_RESERVED_INSIDE[k as usize])),
    ];
    (kind(), kind(), any::<bool>(), pin, 0u8..2).prop_map(|(a, b, bgp, pinned, inst)| InsideRequest {
        kinds: [a, b],
        bgp,
        pinned,
        azure_instance: [a, b].contains(&GatewayKind::AzureVpnGateway).then_some(inst),
    })
}

/// Every platform rule, restated from the platform documents independently of the kb tables.
fn obeys_platform_rules(r: &InsideRequest, net: Ipv4Net) -> bool {
    let aws = r.kinds.iter().any(|k| matches!(k, GatewayKind::AwsVgw | GatewayKind::AwsTgw));
    let azure_bgp = r.bgp && r.kinds.contains(&GatewayKind::AzureVpnGateway);
    net.prefix_len() == 30
        && LINK_LOCAL.contains(&net)
        && (!aws || !AWS_RESERVED_INSIDE.contains(&net))
        && (!azure_bgp || within(net, AZURE_APIPA))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn allocator_honours_every_rule_and_never_reuses(reqs in prop::collection::vec(request(), 0..60)) {
        let got = allocate(&reqs);
        prop_assert_eq!(got.len(), reqs.len());
        let mut seen = BTreeSet::new();
        for (r, res) in reqs.iter().zip(&got) {
            match res {
                Ok(net) => {
                    prop_assert!(obeys_platform_rules(r, *net), "{net} breaks a rule for {r:?}");
                    prop_assert!(seen.insert(*net), "{net} given twice");
                    if let Some(p) = r.pinned {
                        prop_assert_eq!(p, *net, "a valid pin is honoured");
                    }
                }
                Err(_) => prop_assert!(
                    r.pinned.is_some_and(|p| !obeys_platform_rules(r, p) || reqs.iter().filter(|o| o.pinned == Some(p)).count() > 1),
                    "only bad or duplicate pins fail in a plan this small: {r:?}"
                ),
            }
        }
    }

    #[test]
    fn allocation_is_deterministic(reqs in prop::collection::vec(request(), 0..30)) {
        prop_assert_eq!(format!("{:?}", allocate(&reqs)), format!("{:?}", allocate(&reqs)));
    }
}

#[test]
fn exhausting_the_azure_window_is_reported() {
    // 128 /30s fit in 169.254.21.0–169.254.22.255; the 129th BGP tunnel to Azure has none.
    let req = InsideRequest {
        kinds: [GatewayKind::AwsVgw, GatewayKind::AzureVpnGateway],
        bgp: true,
        pinned: None,
        azure_instance: Some(0),
    };
    let got = allocate(&vec![req; 129]);
    assert!(got[..128].iter().all(|r| r.is_ok()));
    assert!(got[128].is_err());
}

mod common;
use common::plan;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn analyze_is_total_and_consistent(p in plan()) {
        let a = analyze(&p);
        let mut seen = BTreeSet::new();
        for l in &a.resolved.links {
            prop_assert!(l.a < p.sites.len() && l.b < p.sites.len() && l.a != l.b);
            for t in &l.tunnels {
                if let Some(net) = t.inside {
                    prop_assert!(seen.insert(net), "inside /30 {net} used twice");
                    prop_assert!(LINK_LOCAL.contains(&net));
                }
            }
        }
        for f in &a.findings {
            prop_assert!(!f.message.is_empty() && !f.path.is_empty(), "{f:?}");
        }
        // A plan survives its own file format.
        let again = Plan::from_json(&p.to_json_pretty()).unwrap();
        prop_assert_eq!(&again, &p);
        // Determinism: the same plan gives the same analysis.
        prop_assert_eq!(format!("{:?}", analyze(&again).findings), format!("{:?}", a.findings));
    }
}
