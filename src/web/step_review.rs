//! Step 5, Review: whether the plan is ready, its topology, every finding with a link to its
//! field, and the monthly cost estimate per site ([`crate::cost::estimate`], the runbook's
//! figures), at a traffic the user can change.

use leptos::prelude::*;

use crate::cost;

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
        <CostEstimate/>
        <section class="card review-findings" aria-labelledby="review-findings-heading">
            <h3 id="review-findings-heading">"All findings"</h3>
            <FindingList id_prefix="review"/>
        </section>
    }
}

/// A site's figures as shown: its name, the engine's [`cost::SiteCost`], and what is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SiteCost {
    name: String,
    cost: cost::SiteCost,
    unpriced: Vec<String>,
}

/// The estimate per site at `gb` each way on every link, the date of its prices, and whether
/// any price is unverified.
fn per_site(r: &crate::check::Resolved, gb: u64) -> (Vec<SiteCost>, String, bool) {
    let e = cost::estimate(r, &crate::steps::steps(r), &cost::Traffic::each_way(gb));
    let sites = e
        .per_site(r)
        .into_iter()
        .map(|c| {
            let site = &r.sites[c.site];
            let unpriced = c
                .unpriced
                .iter()
                .map(|h| {
                    if let crate::plan::Gateway::AzureVpnGateway { sku, .. } = &site.gateway {
                        format!("Azure VPN gateway {sku}")
                    } else {
                        format!("{:?}", h.meter)
                    }
                })
                .collect();
            SiteCost { name: site.name.clone(), cost: c, unpriced }
        })
        .collect();
    let used = e.prices_used();
    let date = used.iter().map(|p| p.src.checked).max().unwrap_or(r.kb_date).to_string();
    let any_unverified = used.iter().any(|p| !p.verified());
    (sites, date, any_unverified)
}

/// The monthly cost estimate: per site, with the traffic each way on every link editable.
#[component]
fn CostEstimate() -> impl IntoView {
    let w = wiz();
    let gb = RwSignal::new(cost::Traffic::EXAMPLE_GB);
    let figures = Memo::new(move |_| {
        let gb = gb.get();
        w.checked.with(|c| per_site(&c.resolved, gb))
    });
    let mark = |unverified: bool| if unverified { " [?]" } else { "" };
    view! {
        <section class="card" aria-labelledby="cost-heading" data-testid="cost">
            <h3 id="cost-heading">"Cost estimate"</h3>
            <p>
                <label for="cost-traffic">"Data sent each way over every link, GB a month: "</label>
                <input
                    id="cost-traffic"
                    data-testid="cost-traffic"
                    type="number"
                    min="0"
                    step="1"
                    inputmode="numeric"
                    prop:value=move || gb.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<u64>() {
                            gb.set(v);
                        }
                    }
                />
            </p>
            {move || {
                let (sites, date, unverified) = figures.get();
                let total: u64 = sites.iter().map(|s| s.cost.total()).sum();
                let any_marked = sites.iter().any(|s| s.cost.unverified);
                let unpriced: Vec<String> = sites
                    .iter()
                    .filter(|s| !s.unpriced.is_empty())
                    .map(|s| format!("{} ({})", s.name, s.unpriced.join(", ")))
                    .collect();
                view! {
                    <table class="cost" data-testid="cost-table">
                        <thead>
                            <tr>
                                <th scope="col">"Site"</th>
                                <th scope="col">"Running, a month"</th>
                                <th scope="col">"Data sent, a month"</th>
                                <th scope="col">"Total, a month"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {sites
                                .iter()
                                .map(|s| {
                                    view! {
                                        <tr data-testid="cost-site" data-site=s.name.clone()>
                                            <th scope="row">{s.name.clone()}</th>
                                            <td>{cost::usd(s.cost.hours)}</td>
                                            <td>{cost::usd(s.cost.transfer)}</td>
                                            <td data-testid="cost-site-total">
                                                {format!("{}{}", cost::usd(s.cost.total()), mark(s.cost.unverified))}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                        <tfoot>
                            <tr>
                                <th scope="row">"All sites"</th>
                                <td></td>
                                <td></td>
                                <td data-testid="cost-total">{format!("{}{}", cost::usd(total), mark(any_marked))}</td>
                            </tr>
                        </tfoot>
                    </table>
                    <p class="hint" data-testid="cost-date">
                        {format!(
                            "List prices in US dollars before tax and discounts, {} hours a month, taken on {date}; check each provider's price page before you rely on them.{}",
                            cost::HOURS_PER_MONTH,
                            if unverified {
                                " [?]: a price that could not be checked against the provider's own page, an estimate."
                            } else {
                                ""
                            },
                        )}
                    </p>
                    {(!unpriced.is_empty())
                        .then(|| {
                            view! {
                                <p class="hint" data-testid="cost-unpriced">
                                    {format!("Left out, no price recorded: {}.", unpriced.join("; "))}
                                </p>
                            }
                        })}
                    <p class="hint">"Appliance VMs and their disks (their size is yours to choose) are not included. The runbook has this estimate line by line."</p>
                }
            }}
        </section>
    }
}
