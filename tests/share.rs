//! Share links: committed fixtures of every link format version keep decoding to the same plan
//! forever; arbitrary plans round-trip; the decoder never panics on arbitrary input.
//! `make fuzz` runs the decoder property for minutes (PROPTEST_CASES).

mod common;

use proptest::prelude::*;
use std::path::Path;
use tunnelsmith::plan::{Plan, Topology};
use tunnelsmith::share::{decode, encode};

#[test]
fn every_shipped_link_fixture_still_decodes_to_its_plan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/links");
    let mut checked = 0;
    for version in std::fs::read_dir(&root).unwrap() {
        let dir = version.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let link_path = f.unwrap().path();
            if link_path.extension().is_none_or(|e| e != "link") {
                continue;
            }
            let link = std::fs::read_to_string(&link_path).unwrap();
            let json = std::fs::read_to_string(link_path.with_extension("json")).unwrap();
            let expected = Plan::from_json(&json).unwrap();
            let got = decode(&link).unwrap_or_else(|e| panic!("{}: {e}", link_path.display()));
            assert_eq!(got.plan, expected, "{} decodes to a different plan", link_path.display());
            assert_eq!(got.kb_date, "2026-11-21", "{}", link_path.display());
            // Links made before `topology` existed say nothing of it: a full mesh is meant.
            if !json.contains("\"topology\"") {
                assert_eq!(got.plan.topology, Topology::FullMesh, "{}", link_path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "expected the v1 fixtures, found {checked}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_plan_round_trips_through_a_link(p in common::plan()) {
        let back = decode(&encode(&p)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.plan, p);
    }
}

fn fuzz_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    /// Arbitrary text, and valid links with bytes flipped, cut or appended: a clear error or a
    /// plan, never a panic, and never a plan larger than the format allows.
    #[test]
    fn the_decoder_never_panics(
        text in ".{0,300}",
        p in common::plan(),
        cut in 0usize..400,
        flip in 0usize..400,
        with in any::<char>(),
    ) {
        let _ = decode(&text);
        let link = encode(&p);
        let _ = decode(&link[..cut.min(link.len())]);
        let mut chars: Vec<char> = link.chars().collect();
        if !chars.is_empty() {
            let i = flip % chars.len();
            chars[i] = with;
        }
        let damaged: String = chars.into_iter().collect();
        if let Ok(s) = decode(&damaged) {
            prop_assert!(s.plan.sites.len() <= 64 && s.plan.links.len() <= 256);
        }
    }
}

/// FNV-1a (32 bits, big-endian): the check a newer build ends a body with when it writes a code
/// beyond the v1 tables, written out here as that build would (extension tag 64, then 4 bytes).
fn sealed(mut body: Vec<u8>) -> Vec<u8> {
    let h = body.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    body.push(64);
    body.extend_from_slice(&h.to_be_bytes());
    body
}

/// A link of an uncompressed body (payload kind 0).
fn raw_link(body: &[u8]) -> String {
    let mut bytes = vec![0u8];
    bytes.extend_from_slice(body);
    format!("p=1.{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes))
}

/// The body of the Libreswan preset with its appliance software's code replaced by 9, a code a
/// newer Tunnelsmith (with a fourth device) could write; and the index of a byte of its name.
fn body_with_unknown_software() -> (Vec<u8>, usize) {
    use tunnelsmith::plan::{Gateway, Software};
    let json =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/001-libreswan-ec2-to-azure.json"))
            .unwrap();
    let plan = Plan::from_json(&json).unwrap();
    let mut other = plan.clone();
    for site in &mut other.sites {
        if let Gateway::Appliance { software, .. } = &mut site.gateway {
            *software = Software::Strongswan;
        }
    }
    let (a, b) = (tunnelsmith::share::body(&plan), tunnelsmith::share::body(&other));
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert_eq!((a.len(), differ.len()), (b.len(), 1), "only the software code differs");
    assert_eq!((a[differ[0]], b[differ[0]]), (0, 1), "Libreswan is 0, strongSwan 1");
    let mut body = a;
    body[differ[0]] = 9;
    let name = plan.name.as_bytes();
    let in_name = body.windows(name.len()).position(|w| w == name).expect("the name is in the body");
    (body, in_name)
}

#[test]
fn a_newer_builds_device_code_says_newer_and_a_damaged_byte_says_damaged() {
    let (body, in_name) = body_with_unknown_software();
    // Sealed by its check: made by a newer Tunnelsmith, and the message names the setting.
    let why = decode(&raw_link(&sealed(body.clone()))).unwrap_err().to_string();
    assert!(why.contains("newer Tunnelsmith") && why.contains("appliance software"), "{why}");
    assert!(why.contains("ask for the plan file") && !why.contains("damaged"), "{why}");
    // The same link with one byte of the plan changed after sealing: damaged.
    let mut flipped = sealed(body.clone());
    flipped[in_name] ^= 0x01;
    let why = decode(&raw_link(&flipped)).unwrap_err().to_string();
    assert!(why.contains("damaged") && !why.contains("newer"), "{why}");
    // No check at all (every link a v1 build writes): an unknown code is damage, as before.
    let why = decode(&raw_link(&body)).unwrap_err().to_string();
    assert!(why.contains("damaged (unknown appliance software)"), "{why}");
}

#[test]
fn a_sealed_link_of_known_values_opens_and_a_wrong_check_is_damage() {
    let plan = tunnelsmith::presets::PRESETS[1].plan();
    let body = sealed(tunnelsmith::share::body(&plan));
    assert_eq!(decode(&raw_link(&body)).unwrap().plan, plan);
    let mut wrong = body;
    *wrong.last_mut().unwrap() ^= 0x80;
    let why = decode(&raw_link(&wrong)).unwrap_err().to_string();
    assert!(why.contains("damaged (its check does not match its plan)"), "{why}");
}
