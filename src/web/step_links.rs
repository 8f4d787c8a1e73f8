//! Step 3, Links: which pairs of sites are joined (a full mesh by default: cloud gateways do not
//! transit), and per link its routing, redundancy (tunnel count), the BGP ASNs of both ends and
//! the inside /30 of every tunnel, shown as allocated and pinnable.

use leptos::prelude::*;

use super::fields::{CheckField, ChoiceGroup, MoveButtons, Notes, Opt, Radio, SelectField};
use super::state::{code_of, field_id, parse_code, plural, wiz, Wiz};
use crate::check::RLink;
use crate::edit::{default_routing_why, routing_choices, tunnel_capacity};
use crate::plan::{Routing, Topology};

/// The Links step.
#[component]
pub fn LinksStep() -> impl IntoView {
    view! {
        <p class="lead">
            "Each link is a set of IPsec tunnels between two sites. Cloud gateways do not pass traffic on "
            "to a third site, so every pair that must talk needs its own link."
        </p>
        <div id="f-links">
            <Notes path="links"/>
            <super::fields::Cards items=super::fields::Items::Links card=|i| view! { <LinkCard i/> }.into_any()/>
        </div>
        <MissingPairs/>
    }
}

/// Pairs no link joins, with a button to join them, and a way to say they are meant to be
/// unlinked (hub and spoke), which turns their warnings into information (issue 18 item 7).
#[component]
fn MissingPairs() -> impl IntoView {
    let w = wiz();
    let pairs = Memo::new(move |_| {
        w.editor.with(|e| {
            e.missing_pairs()
                .into_iter()
                .map(|(a, b)| (a, b, e.plan().sites[a].name.clone(), e.plan().sites[b].name.clone()))
                .collect::<Vec<_>>()
        })
    });
    let intended = Signal::derive(move || w.plan(|p| p.topology == Topology::HubAndSpoke));
    view! {
        <Show when=move || !pairs.with(|p| p.is_empty())>
            <section class="card" aria-labelledby="missing-heading">
                <h3 id="missing-heading">
                    {move || if intended.get() { "Pairs left unlinked on purpose" } else { "Pairs without a link" }}
                </h3>
                <ul class="plain">
                    {move || {
                        pairs
                            .get()
                            .into_iter()
                            .map(|(a, b, na, nb)| {
                                view! {
                                    <li>
                                        {format!("{na} and {nb} cannot reach each other without a link. ")}
                                        <button type="button" class="secondary" on:click=move |_| w.restructure(|e| { e.add_link(a, b); })>
                                            {format!("+ Link {na} ↔ {nb}")}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <CheckField
                    label="Hub and spoke is intended: leave these pairs unlinked"
                    path="topology"
                    checked=intended
                    on_change=Callback::new(move |on: bool| {
                        w.edit(|p| p.topology = if on { Topology::HubAndSpoke } else { Topology::FullMesh })
                    })
                    hint="Their warnings become information: the findings still say whether their traffic goes through a hub. Kept in the share link."
                />
            </section>
        </Show>
    }
}

fn link_path(i: ReadSignal<usize>, field: &'static str) -> Signal<String> {
    Signal::derive(
        move || if field.is_empty() { format!("links[{}]", i.get()) } else { format!("links[{}].{field}", i.get()) },
    )
}

/// The resolved link at plan index `li`.
pub fn resolved_link(w: Wiz, li: usize) -> Option<RLink> {
    w.checked.with(|c| c.resolved.links.iter().find(|l| l.index == li).cloned())
}

/// One link.
#[component]
fn LinkCard(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let ends = move || w.plan(|p| p.links.get(i.get()).map(|l| (l.a.clone(), l.b.clone())).unwrap_or_default());
    super::fields::provide_field_context(move || {
        let (a, b) = ends();
        format!("Link {a} ↔ {b}")
    });
    let n_links = move || w.plan(|p| p.links.len());
    let heading_id = move || format!("link-{}-heading", i.get());
    let site_options = Signal::derive(move || {
        let names: Vec<String> = w.plan(|p| p.sites.iter().map(|s| s.name.clone()).collect());
        names
    });
    let end_field = move |end: usize| {
        let options = Signal::derive(move || {
            let (a, b) = ends();
            let cur = if end == 0 { a } else { b };
            let mut v: Vec<Opt> = site_options.get().into_iter().map(|n| Opt::new(n.clone(), n)).collect();
            if !v.iter().any(|o| o.value == cur) {
                v.insert(0, Opt::new(cur.clone(), format!("{cur} (no such site)")));
            }
            v
        });
        view! {
            <SelectField
                label=if end == 0 { "First site" } else { "Second site" }
                path=link_path(i, if end == 0 { "a" } else { "b" })
                options
                value=Signal::derive(move || if end == 0 { ends().0 } else { ends().1 })
                on_change=Callback::new(move |v: String| {
                    let li = i.get_untracked();
                    w.editor.update(|e| e.set_link_end(li, end, &v));
                })
            />
        }
    };
    let routing = Signal::derive(move || {
        let li = i.get();
        let why = w.plan(|p| {
            let l = p.links.get(li)?;
            Some(default_routing_why(p.site(&l.a)?, p.site(&l.b)?).1)
        });
        w.plan(|p| routing_choices(p, li))
            .into_iter()
            .map(|c| Radio {
                value: code_of(&c.value),
                label: c.label,
                tag: c.recommended.then(|| why.map_or("recommended".to_string(), |y| format!("recommended: {y}"))),
                weak: None,
                disabled: c.unavailable,
            })
            .collect::<Vec<_>>()
    });
    let capacity = move || {
        let li = i.get();
        w.plan(|p| tunnel_capacity(p, li))
    };
    let tunnel_options = Signal::derive(move || {
        let cap = capacity();
        let cur = w.plan(|p| p.links.get(i.get()).and_then(|l| l.tunnels));
        let mut v = vec![Opt::new("", format!("All {cap} (recommended)"))];
        v.extend((1..=cap).rev().map(|n| Opt::new(n.to_string(), plural(n, "tunnel"))));
        if let Some(c) = cur.filter(|c| usize::from(*c) > cap || *c == 0) {
            v.push(Opt::new(c.to_string(), format!("{} (more than the pair can form)", plural(c.into(), "tunnel"))));
        }
        v
    });
    view! {
        <section class="card link" id=move || field_id(&link_path(i, "").get()) aria-labelledby=heading_id>
            <header class="card-head">
                <h3 id=heading_id>{move || { let (a, b) = ends(); format!("Link {}: {a} ↔ {b}", i.get() + 1) }}</h3>
                <div class="card-actions">
                    <button
                        type="button"
                        class="icon"
                        aria-label=move || { let (a, b) = ends(); format!("Swap ends of {a} ↔ {b}") }
                        title="Swap the two ends (tunnel and key names follow the order)"
                        id=move || format!("link-{}-swap", i.get())
                        on:click=move |_| {
                            let li = i.get_untracked();
                            w.editor.update(|e| e.swap_link_ends(li));
                        }
                    >
                        "⇄"
                    </button>
                    <MoveButtons
                        prefix="link"
                        i
                        count=Signal::derive(n_links)
                        what=Signal::derive(move || { let (a, b) = ends(); format!("link {a} ↔ {b}") })
                        on_move=Callback::new(move |to: usize| {
                            let from = i.get_untracked();
                            w.restructure(|e| e.move_link(from, to));
                        })
                    />
                    <button
                        type="button"
                        class="danger"
                        aria-label=move || { let (a, b) = ends(); format!("Remove link {a} ↔ {b}") }
                        on:click=move |_| {
                            let li = i.get_untracked();
                            w.restructure(|e| e.remove_link(li));
                        }
                    >
                        "Remove"
                    </button>
                </div>
            </header>
            <Notes path=link_path(i, "")/>
            <div class="grid">
                {end_field(0)}
                {end_field(1)}
            </div>
            <ChoiceGroup
                legend="Routing"
                path=link_path(i, "routing")
                choices=routing
                value=Signal::derive(move || code_of(&w.plan(|p| p.links.get(i.get()).map(|l| l.routing).unwrap_or_default())))
                on_change=Callback::new(move |v: String| {
                    if let Some(r) = parse_code::<Routing>(&v) {
                        let li = i.get_untracked();
                        w.edit(|p| if let Some(l) = p.links.get_mut(li) { l.routing = r });
                    }
                })
                hint="BGP fails over between tunnels by itself; static routes need no routing daemon."
            />
            <BgpSummary i/>
            <SelectField
                label="Redundancy"
                path=link_path(i, "tunnels")
                options=tunnel_options
                value=Signal::derive(move || w.plan(|p| p.links.get(i.get()).and_then(|l| l.tunnels)).map(|n| n.to_string()).unwrap_or_default())
                on_change=Callback::new(move |v: String| {
                    let li = i.get_untracked();
                    let n = v.parse::<u8>().ok();
                    w.edit(|p| if let Some(l) = p.links.get_mut(li) { l.tunnels = n });
                })
                hint="How many of the tunnels the two gateways can form to configure (each instance or interface adds tunnels); fewer means less redundancy."
            />
            <Tunnels i/>
        </section>
    }
}

/// The two ASNs of a BGP link, each a button to its site's ASN field.
#[component]
fn BgpSummary(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let info = move || {
        let li = i.get();
        let bgp = w.plan(|p| p.links.get(li).is_some_and(|l| l.routing == Routing::Bgp));
        if !bgp {
            return None;
        }
        let rl = resolved_link(w, li)?;
        w.checked.with(|c| {
            let s = |k: usize| {
                let site = &c.resolved.sites[k];
                (k, site.name.clone(), site.asn)
            };
            Some([s(rl.a), s(rl.b)])
        })
    };
    view! {
        {move || {
            info()
                .map(|ends| {
                    view! {
                        <div class="bgp">
                            <span class="label">"BGP sessions"</span>
                            {ends
                                .into_iter()
                                .enumerate()
                                .map(|(k, (si, name, asn))| {
                                    let path = format!("sites[{si}].gateway.asn");
                                    let asn_text = asn.map(|a| format!("AS {a}")).unwrap_or_else(|| "no ASN".into());
                                    view! {
                                        {(k == 1).then_some(" ↔ ")}
                                        <button type="button" class="linkish" title="Change this site's ASN on the Sites step" data-path=path.clone() on:click=move |_| w.go_to(&path)>
                                            {format!("{name} {asn_text}")}
                                        </button>
                                    }
                                })
                                .collect_view()}
                        </div>
                    }
                })
        }}
    }
}

/// The tunnels of a link with their inside /30s.
#[component]
fn Tunnels(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let rows = Memo::new(move |_| {
        let li = i.get();
        let pins: Vec<Option<String>> = w.plan(|p| p.links.get(li).map(|l| l.inside.clone()).unwrap_or_default());
        let rl = resolved_link(w, li);
        let names = rl
            .as_ref()
            .map(|l| w.checked.with(|c| (c.resolved.sites[l.a].name.clone(), c.resolved.sites[l.b].name.clone())));
        let tunnels = rl
            .map(|l| {
                l.tunnels
                    .iter()
                    .map(|t| {
                        let ip = |e: usize| t.ends[e].inside_ip.map(|a| a.to_string()).unwrap_or_else(|| "—".into());
                        (t.index, t.id.clone(), t.inside.map(|n| n.to_string()), ip(0), ip(1))
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        (pins, names, tunnels)
    });
    let count = Memo::new(move |_| rows.with(|r| r.2.len()));
    view! {
        <fieldset class="group" id=move || field_id(&format!("links[{}].inside", i.get()))>
            <legend>"Tunnels and inside /30s"</legend>
            <p class="hint">
                "Each tunnel gets a link-local /30 for its two inside addresses (BGP peers talk over them). "
                "They are allocated to fit every platform's rules; type one to pin it."
            </p>
            <Notes path=Signal::derive(move || format!("links[{}].inside", i.get()))/>
            <Show
                when={move || count.get() > 0}
                fallback={|| view! { <p class="empty">"Tunnels appear here once both ends can form a link."</p> }}
            >
                <div class="table-wrap">
                    <table class="tunnels">
                        <thead>
                            <tr>
                                <th scope="col">"Tunnel"</th>
                                <th scope="col">"Inside /30 (allocated; type to pin)"</th>
                                <th scope="col">{move || rows.with(|r| r.1.as_ref().map(|n| format!("{} address", n.0)).unwrap_or_default())}</th>
                                <th scope="col">{move || rows.with(|r| r.1.as_ref().map(|n| format!("{} address", n.1)).unwrap_or_default())}</th>
                                <th scope="col"><span class="sr-only">"Pin"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || (0..count.get()).map(|t| view! { <TunnelRow i t rows/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
        </fieldset>
    }
}

type Rows = (Vec<Option<String>>, Option<(String, String)>, Vec<(usize, String, Option<String>, String, String)>);

#[component]
fn TunnelRow(i: ReadSignal<usize>, t: usize, rows: Memo<Rows>) -> impl IntoView {
    let w = wiz();
    let path = Signal::derive(move || format!("links[{}].inside[{t}]", i.get()));
    let row = move || rows.with(|r| r.2.get(t).cloned());
    let pinned = move || rows.with(|r| r.0.get(t).cloned().flatten());
    let id = move || field_id(&path.get());
    let class = move || {
        let p = path.get();
        let mut c = String::from("field");
        if w.target.with(|x| x.as_deref() == Some(p.as_str())) {
            c.push_str(" is-target");
        }
        if w.checked.with(|x| x.error_at(&p)) {
            c.push_str(" has-error");
        }
        c
    };
    view! {
        <tr>
            <th scope="row" class="mono">{move || row().map(|r| r.1).unwrap_or_default()}</th>
            <td data-label="Inside /30">
                <div class=class>
                    <label class="sr-only" for=id>{move || format!("Inside /30 of {}", row().map(|r| r.1).unwrap_or_default())}</label>
                    <input
                        id=id
                        type="text"
                        class="mono"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder=move || row().and_then(|r| r.2).unwrap_or_else(|| "none free".into())
                        prop:value=move || pinned().unwrap_or_default()
                        aria-invalid=move || if w.checked.with(|x| x.error_at(&path.get())) { "true" } else { "false" }
                        aria-describedby=move || format!("{}-notes", id())
                        on:input=move |ev| {
                            let li = i.get_untracked();
                            let v = event_target_value(&ev);
                            w.editor.update(|e| e.set_inside(li, t, &v));
                        }
                    />
                    <Notes path/>
                </div>
            </td>
            <td class="mono" data-label=move || rows.with(|r| r.1.as_ref().map(|n| format!("{} address", n.0)).unwrap_or_default())>
                {move || row().map(|r| r.3).unwrap_or_default()}
            </td>
            <td class="mono" data-label=move || rows.with(|r| r.1.as_ref().map(|n| format!("{} address", n.1)).unwrap_or_default())>
                {move || row().map(|r| r.4).unwrap_or_default()}
            </td>
            <td>
                {move || {
                    let li = i.get();
                    match (pinned(), row().and_then(|r| r.2)) {
                        (Some(_), _) => view! {
                            <button type="button" class="secondary small" on:click=move |_| w.editor.update(|e| e.set_inside(li, t, ""))>
                                "Unpin"
                            </button>
                        }
                            .into_any(),
                        (None, Some(net)) => view! {
                            <button
                                type="button"
                                class="secondary small"
                                title="Keep this /30 even when other tunnels change"
                                on:click=move |_| w.editor.update(|e| e.set_inside(li, t, &net))
                            >
                                "Pin"
                            </button>
                        }
                            .into_any(),
                        (None, None) => ().into_any(),
                    }
                }}
            </td>
        </tr>
    }
}
