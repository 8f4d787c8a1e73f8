//! `make bench`, engine row: check + resolve (`check::analyze`) and render (`render::render`) of
//! every preset and of the largest plan (`benches/largest-plan.json`: 8 sites, full mesh of 28
//! links, BGP, 4 tunnels per link). Parsing the plan is outside the timed part: the wizard keeps
//! the parsed plan and re-runs exactly this on every keystroke.
//!
//! Criterion writes each median to `target/criterion/engine/<id>/new/estimates.json`, where
//! `benches/report.mjs` reads it. Budget (issue 9): the largest plan under 5 ms. The largest plan
//! is also timed without render (`largest-plan-analyze`), to show where its time goes.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tunnelsmith::check::analyze;
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::{render, RenderOptions};

const LARGEST: &str = include_str!("largest-plan.json");

/// Everything the engine derives from a plan: findings, the resolved plan, every artifact.
fn check_resolve_render(plan: &Plan) -> usize {
    let analysis = analyze(plan);
    let artifacts = render(&analysis.resolved, &RenderOptions::default());
    analysis.findings.len() + artifacts.iter().map(|a| a.text.len()).sum::<usize>()
}

fn engine(c: &mut Criterion) {
    let mut plans: Vec<(String, Plan)> = PRESETS.iter().map(|p| (p.id.to_string(), p.plan())).collect();
    plans.push(("largest-plan".into(), Plan::from_json(LARGEST).expect("benches/largest-plan.json parses")));
    let mut group = c.benchmark_group("engine");
    for (id, plan) in &plans {
        group.bench_function(id.as_str(), |b| b.iter(|| check_resolve_render(black_box(plan))));
    }
    // The share of check + resolve in the largest plan's figure (render is the rest).
    let largest = &plans.last().expect("the largest plan").1;
    group.bench_function("largest-plan-analyze", |b| b.iter(|| analyze(black_box(largest)).findings.len()));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = engine
}
criterion_main!(benches);
