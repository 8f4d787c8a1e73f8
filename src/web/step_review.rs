//! Step 5, Review: whether the plan is ready, its topology, every finding with a link to its
//! field, and (with issue 5) the cost estimate.

use leptos::prelude::*;

use super::findings::{summary, FindingList};
use super::state::{plural, wiz, Step};
use super::topology::Topology;

/// The Review step.
#[component]
pub fn ReviewStep() -> impl IntoView {
    let w = wiz();
    let errors = move || w.checked.with(|c| c.errors());
    let first_error = move || w.checked.with(|c| c.findings.iter().find(|f| f.is_error()).map(|f| f.path.clone()));
    view! {
        <section class="card" aria-labelledby="ready-heading">
            <h3 id="ready-heading">"Status"</h3>
            {move || {
                let n = errors();
                if n == 0 {
                    view! {
                        <p class="callout ok" data-testid="ready">
                            "✓ No errors: the files are ready on the Files step. "
                            <button type="button" class="linkish" on:click=move |_| w.step.set(Step::Files)>"Go to Files"</button>
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="callout bad" data-testid="not-ready">
                            {format!("✖ {} to fix before the files can be downloaded. ", plural(n, "error"))}
                            <button
                                type="button"
                                class="linkish"
                                on:click=move |_| if let Some(p) = first_error() { w.go_to(&p) }
                            >
                                "Go to the first one"
                            </button>
                        </p>
                    }
                        .into_any()
                }
            }}
            <p class="hint">{move || w.checked.with(|c| summary(&c.findings))}</p>
        </section>
        <Topology/>
        // Seam for issue 5: the cost estimate, with its monthly-traffic input, renders here from
        // the engine's estimate of `checked.resolved`.
        <section class="card" aria-labelledby="cost-heading" data-testid="cost">
            <h3 id="cost-heading">"Cost estimate"</h3>
            <p class="hint">"Not available in this version yet: check each cloud's VPN pricing for gateways, tunnels and data transfer."</p>
        </section>
        <section class="card review-findings" aria-labelledby="review-findings-heading">
            <h3 id="review-findings-heading">"All findings"</h3>
            <FindingList id_prefix="review"/>
        </section>
    }
}
