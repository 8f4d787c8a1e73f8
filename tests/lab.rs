//! The interop lab (issue 20; `make test-lab`, `make lab PLAN=…`): each plan is applied to the
//! stand-in clouds, then both ends of every tunnel run between network namespaces — appliances on
//! their generated files (strongSwan, Libreswan, FRR), cloud ends (and VyOS) emulated from what the
//! stand-in world holds and the documented behaviour in `tests/lab/behaviour.rs` — and every IKE
//! SA, BGP session and runbook ping the plan promises is checked. See docs/ARCHITECTURE.md.
//!
//! Needs root (namespaces), strongSwan, Libreswan, nftables, FRR and a Python with jmespath
//! (`make bootstrap-lab`). Skipped under TUNNELSMITH_SKIP_TOOLS=1, required under
//! TUNNELSMITH_REQUIRE_TOOLS=1.

#[path = "appliance/mod.rs"]
mod appliance;
#[path = "apply_support/mod.rs"]
mod apply_support;
#[path = "lab/mod.rs"]
mod lab;

use std::path::PathBuf;
use std::sync::Mutex;
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::PRESETS;

/// One lab at a time: the machine has two cores and the labs share nothing.
static ONE: Mutex<()> = Mutex::new(());

fn ready(test: &str) -> Option<PathBuf> {
    let tools: Vec<(String, &str)> = lab::tools();
    let needed: Vec<(&str, &str)> = tools.iter().map(|(p, w)| (p.as_str(), *w)).collect();
    if !appliance::tools(test, &needed) || !appliance::root(test) {
        return None;
    }
    apply_support::require("a Python with jmespath (the stand-ins)", apply_support::python())
}

fn preset(id: &str) -> Plan {
    PRESETS.iter().find(|p| p.id.starts_with(id)).unwrap_or_else(|| panic!("preset {id}")).plan()
}

fn fixture(name: &str) -> Plan {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans").join(name);
    Plan::from_json(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e:?}", p.display()))
}

fn run(plan: &Plan, mutate: Option<lab::Mutation>) -> lab::Report {
    let python = ready("interop lab").expect("checked by the caller");
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let r = lab::run_plan(plan, &python, mutate);
    println!("{}", r.render());
    r
}

fn passes(plan: Plan) {
    if ready("interop lab").is_none() {
        return;
    }
    let r = run(&plan, None);
    assert!(r.passed(), "the lab fails for {}:\n{}", plan.name, r.failures().join("\n"));
    assert!(!r.tunnels.is_empty() && !r.pings.is_empty(), "nothing was checked:\n{}", r.render());
}

#[test]
fn preset_003_strongswan_on_ec2_to_aws_vgw() {
    passes(preset("003"));
}

#[test]
fn preset_002_aws_vgw_to_azure_static() {
    passes(preset("002"));
}

#[test]
fn preset_001_libreswan_on_ec2_to_azure() {
    passes(preset("001"));
}

#[test]
fn preset_000_vyos_on_ec2_to_azure() {
    passes(preset("000"));
}

#[test]
fn preset_004_aws_azure_gcp_bgp() {
    passes(preset("004"));
}

/// `make lab PLAN=path`: any plan, the report printed, failing when anything promised fails.
#[test]
#[ignore = "run by `make lab PLAN=…`"]
fn lab_plan() {
    let path = std::env::var("LAB_PLAN").expect("LAB_PLAN=path/to/plan.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let plan = Plan::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let python = ready("make lab").expect("tools");
    let r = lab::run_plan(&plan, &python, None);
    println!("{}", r.render());
    assert!(r.passed(), "{} problem(s):\n{}", r.failures().len(), r.failures().join("\n"));
}
