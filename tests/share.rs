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
