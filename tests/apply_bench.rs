//! Benchmark (`make bench-apply`, not part of `make test`): seed 004 on the stand-ins with
//! simulated durations, the Azure gateway taking 3 s to provision and every command 50 ms (plus
//! the stand-in's own start-up, measured). Prints apply's wall time, the plan's critical path
//! and the sequential sum of the same costs, and fails when the wall time exceeds 1.15 times
//! the critical path.
//!
//! Costs: each step costs what its command took in the same run, as apply saw it (apply.log:
//! process start-up, the 50 ms and the machine's load included, so they count on both sides);
//! the Azure gateway's wait costs the simulated provisioning time plus its last look. The
//! critical path is the longest chain of those costs through the steps' dependencies
//! (`tunnelsmith plan --format json`): what no scheduler could beat; the sequential sum is every
//! cost added up. Also printed: the nominal path with every command at the median duration.
//! Executor time scale 0.002 (a 60 s poll interval becomes 0.12 s), as the simulated gateway
//! compresses 45 minutes into 3 s.

mod apply_support;

use apply_support::{python, require, Lab};
use std::collections::BTreeMap;

const GATEWAY_SECS: f64 = 3.0;
const DELAY: f64 = 0.05;

#[test]
#[ignore = "a benchmark: make bench-apply"]
fn apply_wall_time_against_the_critical_path() {
    let Some(py) = require("python3 with jmespath (for the stand-in CLIs)", python()) else { return };
    let mut l = Lab::new("bench", "004-aws-azure-gcp-bgp", &["aws", "az", "gcloud"], &py);
    l.env.retain(|(k, _)| k != "TUNNELSMITH_TIME_SCALE");
    l.env.push(("TUNNELSMITH_TIME_SCALE".into(), "0.002".into()));
    let plan = l.run(&["plan", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let steps = doc["steps"].as_array().unwrap().clone();
    let mut runs = Vec::new();
    for round in 0..3 {
        l.reset();
        let t0 = std::time::Instant::now();
        let r = l.run(
            &["apply", "--yes", "--jobs", "8"],
            &[("STANDIN_DELAY", &DELAY.to_string()), ("STANDIN_GATEWAY_SECS", &GATEWAY_SECS.to_string())],
        );
        let whole = t0.elapsed().as_secs_f64();
        assert_eq!(r.code, Some(0), "{}", r.all());
        // The executor's own run (after the preflight): from the first step's command to the last.
        let calls = l.calls();
        let stepped: Vec<&serde_json::Value> =
            calls.iter().filter(|c| c["step"].as_str().is_some_and(|s| s.contains('/'))).collect();
        let first = stepped.iter().map(|c| c["t0"].as_f64().unwrap()).fold(f64::MAX, f64::min);
        let last = stepped.iter().map(|c| c["t1"].as_f64().unwrap()).fold(0.0, f64::max);
        // Each step's commands as the executor saw them (process start included), from apply.log.
        let log = l.log();
        let mut took: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for x in log.lines() {
            let mut words = x.split_whitespace();
            let (Some(_time), Some(step)) = (words.next(), words.next()) else { continue };
            if let Some(secs) =
                x.split(" exit 0 after ").nth(1).and_then(|t| t.trim_end_matches('s').parse::<f64>().ok())
            {
                took.entry(step.to_string()).or_default().push(secs);
            }
        }
        let mut all: Vec<f64> = took.values().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let d = all[all.len() / 2];
        // Measured: a step costs what its command took; the gateway's wait costs the simulated
        // provisioning plus its last look. Nominal: every command costs the median `d`.
        let measured: BTreeMap<String, f64> = steps
            .iter()
            .map(|s| {
                let id = s["id"].as_str().unwrap().to_string();
                let mine = took.get(&id).cloned().unwrap_or_default();
                let c = if id == "azure/gateway-ready" {
                    GATEWAY_SECS + mine.last().copied().unwrap_or(d)
                } else {
                    mine.iter().sum()
                };
                (id, c)
            })
            .collect();
        let cost: BTreeMap<String, f64> = steps
            .iter()
            .map(|s| {
                let id = s["id"].as_str().unwrap().to_string();
                let c = if id == "azure/gateway-ready" { GATEWAY_SECS + d } else { d };
                (id, c)
            })
            .collect();
        fn finish(
            id: &str,
            steps: &[serde_json::Value],
            cost: &BTreeMap<String, f64>,
            memo: &mut BTreeMap<String, f64>,
        ) -> f64 {
            if let Some(v) = memo.get(id) {
                return *v;
            }
            let s = steps.iter().find(|s| s["id"] == id).unwrap();
            let before = s["after"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| finish(a.as_str().unwrap(), steps, cost, memo))
                .fold(0.0, f64::max);
            let v = before + cost[id];
            memo.insert(id.to_string(), v);
            v
        }
        let path = |cost: &BTreeMap<String, f64>| {
            let mut memo = BTreeMap::new();
            steps.iter().map(|s| finish(s["id"].as_str().unwrap(), &steps, cost, &mut memo)).fold(0.0, f64::max)
        };
        let nominal = path(&cost);
        let critical = path(&measured);
        let sequential: f64 = measured.values().sum();
        let wall = last - first;
        eprintln!(
            "round {}: wall {wall:.2}s (whole process {whole:.2}s, with the CLI checks) | critical path {critical:.2}s measured \
             ({nominal:.2}s with every command at the median {d:.3}s) | sequential {sequential:.2}s | wall/critical {:.3} | {} commands",
            round + 1,
            wall / critical,
            stepped.len()
        );
        runs.push((wall, critical, sequential));
    }
    runs.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
    let (wall, critical, sequential) = runs[runs.len() / 2];
    eprintln!(
        "\nbench-apply (median of 3): wall {wall:.2}s, critical path {critical:.2}s (x{:.3}), sequential {sequential:.2}s (x{:.3} of sequential); target wall <= 1.15 x critical path",
        wall / critical,
        wall / sequential
    );
    assert!(wall <= 1.15 * critical, "wall {wall:.2}s exceeds 1.15 x the critical path {critical:.2}s");
}
