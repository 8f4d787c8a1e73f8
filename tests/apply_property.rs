//! Day 2, property: for random sequences of plan edits (sites removed and added back, link
//! crypto and lifetimes, address spaces, an ASN, a link's tunnel count), applying each edit in
//! turn ends in the same clouds as applying the final plan from scratch on an empty world: the
//! same resources with the same settings, nothing orphaned; and `plan` says there is nothing to
//! do after every apply. Against the stand-in clouds (tests/standins), seed 004.
//!
//! Cases: `TUNNELSMITH_DAY2_CASES` (default 3), each 1 to 3 edits; every apply takes seconds.

mod apply_support;

use apply_support::{python, require, Lab};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

const SEED: &str = "004-aws-azure-gcp-bgp";

fn full() -> Value {
    serde_json::from_str(&tunnelsmith::presets::find(SEED).unwrap().plan().to_json_pretty()).unwrap()
}

/// Edit `k` of the pool, applied to `v` (a plan derived from seed 004). Some edits do nothing
/// on some plans (removing a site that is gone).
fn edit(v: &mut Value, k: u8) {
    let sites = |v: &Value| {
        v["sites"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let link = |v: &mut Value, a: &str, b: &str| -> Option<usize> {
        v["links"].as_array().unwrap().iter().position(|l| (l["a"] == a && l["b"] == b) || (l["a"] == b && l["b"] == a))
    };
    match k % 8 {
        0 | 1 => {
            let site = if k.is_multiple_of(8) { "gcp" } else { "azure" };
            if sites(v).len() == 3 {
                v["sites"].as_array_mut().unwrap().retain(|s| s["name"] != site);
                v["links"].as_array_mut().unwrap().retain(|l| l["a"] != site && l["b"] != site);
            }
        }
        2 => {
            // Add back what is missing, with its links.
            let f = full();
            let have = sites(v);
            for s in f["sites"].as_array().unwrap() {
                if !have.contains(&s["name"].as_str().unwrap().to_string()) {
                    v["sites"].as_array_mut().unwrap().push(s.clone());
                }
            }
            for l in f["links"].as_array().unwrap() {
                if link(v, l["a"].as_str().unwrap(), l["b"].as_str().unwrap()).is_none() {
                    v["links"].as_array_mut().unwrap().push(l.clone());
                }
            }
        }
        3 | 4 => {
            let n = v["links"].as_array().unwrap().len();
            let i = usize::from(k / 8) % n.max(1);
            let c = &mut v["links"][i]["crypto"];
            if c.is_null() {
                *c = json!({});
            }
            if k % 8 == 3 {
                let now = c["phase1_encryption"].as_str() == Some("aes128");
                c["phase1_encryption"] = json!(if now { "aes256" } else { "aes128" });
            } else {
                let now = c["phase2_lifetime"].as_u64() == Some(1800);
                c["phase2_lifetime"] = json!(if now { 3600 } else { 1800 });
            }
        }
        5 => {
            if let Some(az) = v["sites"].as_array_mut().unwrap().iter_mut().find(|s| s["name"] == "azure") {
                let spaces = az["address_spaces"].as_array_mut().unwrap();
                if spaces.len() > 1 {
                    spaces.truncate(1);
                } else {
                    spaces.push(json!("10.50.0.0/16"));
                }
            }
        }
        6 => {
            if let Some(g) = v["sites"].as_array_mut().unwrap().iter_mut().find(|s| s["name"] == "gcp") {
                let now = g["gateway"]["asn"].as_u64() == Some(65010);
                g["gateway"]["asn"] = json!(if now { 65003 } else { 65010 });
            }
        }
        _ => {
            if let Some(i) = link(v, "aws", "gcp") {
                let now = v["links"][i]["tunnels"].as_u64() == Some(2);
                v["links"][i]["tunnels"] = if now { json!(4) } else { json!(2) };
            }
        }
    }
}

fn ok(v: &Value) -> bool {
    tunnelsmith::plan::Plan::from_json(&v.to_string()).is_ok_and(|p| !tunnelsmith::check::analyze(&p).has_errors())
}

fn apply(l: &Lab, what: &str) -> Result<(), TestCaseError> {
    let r = l.run(&["apply", "--yes", "--jobs", "4"], &[]);
    prop_assert_eq!(r.code, Some(0), "{}: {}", what, r.all());
    let p = l.run(&["plan"], &[]);
    prop_assert!(p.stdout.contains("Nothing to do"), "{}: plan after apply:\n{}", what, p.stdout);
    Ok(())
}

static CASE: AtomicUsize = AtomicUsize::new(0);

fn cases() -> u32 {
    std::env::var("TUNNELSMITH_DAY2_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn edits_applied_in_turn_end_like_the_final_plan_applied_from_scratch(edits in proptest::collection::vec(0u8..24, 1..=3)) {
        let Some(py) = require("python3 with jmespath (for the stand-in CLIs)", python()) else { return Ok(()) };
        let l = Lab::new(&format!("prop{}", CASE.fetch_add(1, Ordering::SeqCst)), SEED, &["aws", "az", "gcloud"], &py);
        apply(&l, "the seed")?;
        let mut done = Vec::new();
        for &k in &edits {
            let mut v: Value = serde_json::from_str(&l.plan_text()).unwrap();
            edit(&mut v, k);
            if !ok(&v) {
                continue;
            }
            l.set_plan(&serde_json::to_string_pretty(&v).unwrap());
            done.push(k % 8);
            apply(&l, &format!("after edits {done:?}"))?;
        }
        let stepwise = l.inventory();
        let plan = l.plan_text();
        l.reset();
        l.set_plan(&plan);
        apply(&l, "the final plan from scratch")?;
        let fresh = l.inventory();
        let d: Vec<_> = stepwise.symmetric_difference(&fresh).collect();
        prop_assert!(d.is_empty(), "edits {:?}: the clouds differ from a fresh apply of the final plan: {:#?}", done, d);
    }
}
