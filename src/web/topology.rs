//! The topology: the engine's SVG diagram (`render::diagram`, from the generators), shown as an image (an SVG in an
//! `<img>` runs no script and loads nothing), and the same as text, which is its accessible
//! description: sites with their gateways, links with their tunnels, routing and crypto.

use leptos::prelude::*;

use super::browser::{download_text, object_url, revoke_url};
use super::state::{plural, wiz};
use crate::check::Resolved;
use crate::kb::crypto::dh_label;

/// One line per site and per link, from the resolved plan.
pub fn describe(r: &Resolved) -> (Vec<String>, Vec<String>) {
    let sites = r
        .sites
        .iter()
        .map(|s| {
            let place = if s.region.is_empty() { String::new() } else { format!(", {}", s.region) };
            let asn = s.asn.map(|a| format!(", AS {a}")).unwrap_or_default();
            let spaces = s.address_spaces.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
            format!(
                "{} — {}{place}: {} {}, {}{asn}",
                s.name,
                s.platform.label(),
                s.gateway.kind().label(),
                if spaces.is_empty() { String::new() } else { format!("for {spaces}") },
                match s.outside_addresses {
                    1 => "1 public address".to_string(),
                    n => format!("{n} public addresses"),
                },
            )
        })
        .collect();
    let links = r
        .links
        .iter()
        .map(|l| {
            let crypto = l
                .profile
                .as_ref()
                .map(|p| format!("{} {} {}", p.ike.label(), p.p1_encryption.label(), dh_label(p.p1_dh)))
                .unwrap_or_else(|| "no common crypto".into());
            let mtu = if l.mtu > 0 { format!(", MTU {} / MSS {}", l.mtu, l.mss) } else { String::new() };
            format!(
                "{} ↔ {}: {} routing, {}, {crypto}{mtu}",
                r.sites[l.a].name,
                r.sites[l.b].name,
                l.routing.label(),
                plural(l.tunnels.len(), "tunnel"),
            )
        })
        .collect();
    (sites, links)
}

/// The topology card of the Review step.
#[component]
pub fn Topology() -> impl IntoView {
    let w = wiz();
    let lines = Memo::new(move |_| w.checked.with(|c| describe(&c.resolved)));
    // The diagram comes from the generators (loaded on first use): the text below is there at once.
    w.gens.ensure();
    let svg = Memo::new(move |_| w.gens.diagram().and_then(Result::ok));
    // One object URL at a time: the previous diagram's is revoked when the next one is made.
    let url = RwSignal::new(None::<String>);
    Effect::new(move |prev: Option<Option<String>>| {
        if let Some(Some(old)) = prev {
            revoke_url(&old);
        }
        let u = svg.get().and_then(|svg| object_url("image/svg+xml", &svg));
        url.set(u.clone());
        u
    });
    on_cleanup(move || {
        if let Some(u) = url.get_untracked() {
            revoke_url(&u);
        }
    });
    view! {
        <section class="card topology" aria-labelledby="topology-heading" data-testid="topology">
            <h3 id="topology-heading">"Topology"</h3>
            {move || {
                url.get()
                    .map(|u| {
                        let (open, img) = (u.clone(), u.clone());
                        view! {
                            <div class="diagram-frame" tabindex="0" aria-label="Topology diagram (scrolls sideways)">
                                <img class="diagram" src=img alt="Topology diagram: the sites and links listed below" aria-describedby="topology-text"/>
                            </div>
                            <div class="button-row">
                                <a class="button secondary" id="diagram-open" href=open target="_blank" rel="noopener">"Open full size"</a>
                                <button type="button" class="secondary" id="diagram-download" on:click=move |_| {
                                    if let Some(svg) = svg.get_untracked() {
                                        download_text(&format!("{}-topology.svg", w.plan(crate::bundle::folder)), "image/svg+xml", &svg);
                                    }
                                }>
                                    "Download diagram (SVG)"
                                </button>
                            </div>
                        }
                    })
            }}
            <div id="topology-text">
            <h4>"Sites"</h4>
            <ul class="plain">
                {move || lines.get().0.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <h4>"Links"</h4>
            {move || {
                let links = lines.get().1;
                if links.is_empty() {
                    view! { <p class="empty">"No links yet."</p> }.into_any()
                } else {
                    view! { <ul class="plain">{links.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul> }.into_any()
                }
            }}
            </div>
        </section>
    }
}
